-- An order key's first outcome is kept with the key (SYSTEM.md §5): a refusal's code, message and
-- field errors (a success is the order row itself), so a replay long after Temporal's retention
-- period answers from the database and never runs the order again.
ALTER TABLE order_requests
  ADD COLUMN refusal_code text,
  ADD COLUMN refusal_message text,
  ADD COLUMN refusal_errors jsonb;

-- Idempotency-Key of a delivery transition, scoped to the user: the key names one request, one
-- action on one delivery. The same key for another action or delivery is IDEMPOTENCY_KEY_REUSED.
CREATE TABLE transition_requests (
  user_id          bigint NOT NULL REFERENCES users(id),
  idempotency_key  text NOT NULL,
  delivery_id      uuid NOT NULL REFERENCES service_deliveries(id),
  action           text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, idempotency_key)
);

-- The deadlines in force are copied onto the order like the rates, so an operator's resume of a
-- delivery (a new DeliveryWorkflow run rebuilt from the database) keeps the order's own deadlines.
ALTER TABLE orders
  ADD COLUMN accept_timeout_ms bigint CHECK (accept_timeout_ms > 0),
  ADD COLUMN review_timeout_ms bigint CHECK (review_timeout_ms > 0);

-- The original CHECK (balance >= 0 OR system_name = 'external') passes for a user's wallet with a
-- negative balance: system_name is NULL there, and a CHECK whose result is NULL holds. This one
-- says what was meant.
ALTER TABLE wallets ADD CONSTRAINT wallets_never_negative
  CHECK (balance >= 0 OR system_name IS NOT DISTINCT FROM 'external');

-- The lists' status filters (GET /orders?status=…, GET /deliveries?status=…) are served by indexes.
CREATE INDEX orders_customer_status ON orders(customer_id, status, created_at DESC);
CREATE INDEX service_deliveries_customer_status ON service_deliveries(customer_id, status, created_at DESC);
CREATE INDEX service_deliveries_provider_status ON service_deliveries(provider_id, status, created_at DESC);
CREATE INDEX service_deliveries_status ON service_deliveries(status, created_at DESC);
