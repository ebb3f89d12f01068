-- Users, tokens, catalog, wallets and the ledger, orders and deliveries (SYSTEM.md §3–§6).
-- Money is bigint minor units everywhere; rates are integer basis points.

CREATE TABLE users (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  role        text NOT NULL CHECK (role IN ('customer', 'provider', 'admin')),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Tokens are opaque; only their SHA-256 is stored, so a database leak reveals no usable token.
CREATE TABLE api_tokens (
  id          bigserial PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users(id),
  token_hash  text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
CREATE INDEX api_tokens_user_id ON api_tokens(user_id);

CREATE TABLE services (
  id           bigserial PRIMARY KEY,
  provider_id  bigint NOT NULL REFERENCES users(id),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  price        bigint NOT NULL CHECK (price > 0), -- a paid order always moves money
  status       text NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX services_provider_id ON services(provider_id);

CREATE TABLE service_upgrades (
  id          bigserial PRIMARY KEY,
  service_id  bigint NOT NULL REFERENCES services(id),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  price       bigint NOT NULL CHECK (price >= 0),
  status      text NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE')),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_upgrades_service_id ON service_upgrades(service_id);

-- One wallet per user plus four system wallets. Only `external` (the outside world) may go negative.
CREATE TABLE wallets (
  id           bigserial PRIMARY KEY,
  user_id      bigint UNIQUE REFERENCES users(id),
  system_name  text UNIQUE CHECK (system_name IN ('general-system', 'tax', 'profit', 'external')),
  currency     text NOT NULL,
  balance      bigint NOT NULL DEFAULT 0,
  CHECK ((user_id IS NULL) <> (system_name IS NULL)),
  CHECK (balance >= 0 OR system_name = 'external')
);

-- The ledger: append-only transfers between two wallets, each with a business idempotency key.
CREATE TABLE transfers (
  id               bigserial PRIMARY KEY,
  idempotency_key  text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 300),
  from_wallet_id   bigint NOT NULL REFERENCES wallets(id),
  to_wallet_id     bigint NOT NULL REFERENCES wallets(id),
  amount           bigint NOT NULL CHECK (amount > 0),
  kind             text NOT NULL CHECK (kind IN ('deposit', 'order_payment', 'payout_profit', 'payout_tax', 'payout_provider', 'refund')),
  order_id         uuid,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (from_wallet_id <> to_wallet_id)
);
CREATE INDEX transfers_from_wallet ON transfers(from_wallet_id, id);
CREATE INDEX transfers_to_wallet ON transfers(to_wallet_id, id);
CREATE INDEX transfers_order_id ON transfers(order_id) WHERE order_id IS NOT NULL;

CREATE FUNCTION transfers_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'transfers are append-only: % is not allowed', TG_OP;
END $$;
CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE ON transfers
  FOR EACH ROW EXECUTE FUNCTION transfers_are_append_only();
CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON transfers
  FOR EACH STATEMENT EXECUTE FUNCTION transfers_are_append_only();

-- An order is the payment. Rates and upgrade prices are copied onto it, so later changes to the
-- configuration or the catalog never alter an order already placed.
CREATE TABLE orders (
  id               uuid PRIMARY KEY,
  customer_id      bigint NOT NULL REFERENCES users(id),
  provider_id      bigint NOT NULL REFERENCES users(id),
  service_id       bigint NOT NULL REFERENCES services(id),
  service_name     text NOT NULL,
  service_price    bigint NOT NULL CHECK (service_price >= 0),
  method_type      text NOT NULL CHECK (method_type IN ('wallet', 'credit_card', 'apple_pay')),
  status           text NOT NULL CHECK (status IN ('PENDING', 'COMPLETED', 'FAILED', 'REFUNDED')),
  subtotal         bigint NOT NULL CHECK (subtotal >= 0),
  tax              bigint NOT NULL CHECK (tax >= 0),
  total            bigint NOT NULL CHECK (total = subtotal + tax),
  currency         text NOT NULL,
  tax_rate_bp      integer NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
  platform_fee_bp  integer NOT NULL CHECK (platform_fee_bp BETWEEN 0 AND 10000),
  failure_code     text,
  paid_at          timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer ON orders(customer_id, created_at DESC);

CREATE TABLE order_upgrades (
  order_id    uuid NOT NULL REFERENCES orders(id),
  upgrade_id  bigint NOT NULL REFERENCES service_upgrades(id),
  name        text NOT NULL,
  price       bigint NOT NULL CHECK (price >= 0),
  PRIMARY KEY (order_id, upgrade_id)
);

CREATE TABLE service_deliveries (
  id             uuid PRIMARY KEY,
  order_id       uuid NOT NULL UNIQUE REFERENCES orders(id),
  status         text NOT NULL CHECK (status IN ('NEW', 'IN_PROGRESS', 'REVIEWING', 'COMPLETED', 'CANCELLED')),
  customer_id    bigint NOT NULL REFERENCES users(id),
  provider_id    bigint NOT NULL REFERENCES users(id),
  service_id     bigint NOT NULL REFERENCES services(id),
  service_name   text NOT NULL,
  service_price  bigint NOT NULL,
  total          bigint NOT NULL,
  currency       text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  started_at     timestamptz,
  submitted_at   timestamptz,
  completed_at   timestamptz,
  cancelled_at   timestamptz
);
CREATE INDEX service_deliveries_customer ON service_deliveries(customer_id, created_at DESC);
CREATE INDEX service_deliveries_provider ON service_deliveries(provider_id, created_at DESC);

-- Every transition of a delivery: who moved it, from where to where, why and when.
CREATE TABLE delivery_events (
  id           bigserial PRIMARY KEY,
  delivery_id  uuid NOT NULL REFERENCES service_deliveries(id),
  event_key    text NOT NULL UNIQUE,
  from_status  text,
  to_status    text NOT NULL,
  actor_role   text NOT NULL,
  actor_id     bigint,
  reason       text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_events_delivery ON delivery_events(delivery_id, id);

-- Idempotency-Key of POST /orders, scoped to the customer: the key pins the order id and the request.
CREATE TABLE order_requests (
  customer_id      bigint NOT NULL REFERENCES users(id),
  idempotency_key  text NOT NULL,
  request_hash     text NOT NULL,
  order_id         uuid NOT NULL UNIQUE,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, idempotency_key)
);
