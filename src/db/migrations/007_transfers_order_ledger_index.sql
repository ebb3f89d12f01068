-- migrate: no-transaction
-- Every transfer by its order, with what reconciliation reads of it (docs/reconciliation.md): the
-- full run streams this index in order and groups the whole ledger by order and by wallet in one
-- pass, never reading the table nor hashing every order; the incremental run and the escrow guard
-- of migrations/002 read one order's transfers from it alone. It replaces transfers_order_id (same
-- key), so an insert still maintains one index for the order. Built without blocking the ledger's writers.
CREATE INDEX CONCURRENTLY IF NOT EXISTS transfers_order_ledger ON transfers (order_id) INCLUDE (to_wallet_id, from_wallet_id, amount);
DROP INDEX CONCURRENTLY IF EXISTS transfers_order_id;
