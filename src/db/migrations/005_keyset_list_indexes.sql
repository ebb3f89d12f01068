-- migrate: no-transaction
-- Every list page is one index seek (SYSTEM.md §6 lists): a page is `(created_at, id) < (cursor)`
-- ORDER BY created_at DESC, id DESC LIMIT n+1, so each index ends with both sort columns in that
-- direction, the id being the tiebreak that makes the order total. Built CONCURRENTLY on a live
-- database: orders keep being placed during the build (src/db/migrate.ts runs this file statement
-- by statement outside a transaction, and rebuilds an index a crashed build left invalid).
-- The transactions list needs nothing new: transfers_from_wallet and transfers_to_wallet are
-- (wallet, id), read backwards.

-- A customer's orders, all or of one status.
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_newest ON orders (customer_id, created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_status_newest ON orders (customer_id, status, created_at DESC, id DESC);

-- Deliveries as a customer, a provider or an admin sees them, all or of one status.
CREATE INDEX CONCURRENTLY IF NOT EXISTS service_deliveries_customer_newest ON service_deliveries (customer_id, created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS service_deliveries_customer_status_newest ON service_deliveries (customer_id, status, created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS service_deliveries_provider_newest ON service_deliveries (provider_id, created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS service_deliveries_provider_status_newest ON service_deliveries (provider_id, status, created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS service_deliveries_newest ON service_deliveries (created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS service_deliveries_status_newest ON service_deliveries (status, created_at DESC, id DESC);

-- The indexes these replace: each is a prefix of its replacement, so nothing that used one loses it
-- (service_deliveries_status also served the open-deliveries check; _status_newest serves it now).
DROP INDEX CONCURRENTLY IF EXISTS orders_customer;
DROP INDEX CONCURRENTLY IF EXISTS orders_customer_status;
DROP INDEX CONCURRENTLY IF EXISTS service_deliveries_customer;
DROP INDEX CONCURRENTLY IF EXISTS service_deliveries_customer_status;
DROP INDEX CONCURRENTLY IF EXISTS service_deliveries_provider;
DROP INDEX CONCURRENTLY IF EXISTS service_deliveries_provider_status;
DROP INDEX CONCURRENTLY IF EXISTS service_deliveries_status;
