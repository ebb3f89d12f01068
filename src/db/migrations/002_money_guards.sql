-- The database as the last line of defence (SYSTEM.md §3): whatever a workflow does (a bug, an
-- operator's Reset, a second run), these writes are refused by PostgreSQL itself.
-- SQLSTATE MK001: an order's escrow would go below zero. MK002: a delivery move that is not allowed.

-- No order's escrow goes below zero: a refund after a payout, a second refund under another key,
-- or a payout after a refund is refused by the INSERT. The advisory lock serialises the writers of
-- one order even if a caller forgot to lock the escrow wallet; each query of this VOLATILE function
-- takes a fresh snapshot, so it sees what the previous holder of the lock committed.
CREATE FUNCTION transfers_keep_order_escrow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  escrow_id bigint;
  held bigint;
BEGIN
  IF NEW.order_id IS NULL THEN RETURN NEW; END IF;
  SELECT id INTO escrow_id FROM wallets WHERE system_name = 'general-system';
  IF NEW.from_wallet_id IS DISTINCT FROM escrow_id THEN RETURN NEW; END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('escrow:' || NEW.order_id::text, 0));
  SELECT coalesce(sum(CASE WHEN to_wallet_id = escrow_id THEN amount ELSE -amount END), 0) INTO held
    FROM transfers WHERE order_id = NEW.order_id AND (to_wallet_id = escrow_id OR from_wallet_id = escrow_id);
  IF held < NEW.amount THEN
    RAISE EXCEPTION 'escrow of order % holds %, cannot release % (%)', NEW.order_id, held, NEW.amount, NEW.idempotency_key
      USING ERRCODE = 'MK001';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER transfers_order_escrow BEFORE INSERT ON transfers
  FOR EACH ROW EXECUTE FUNCTION transfers_keep_order_escrow();

-- A delivery's status moves only along SYSTEM.md §4's table, and a final status never changes.
CREATE FUNCTION service_deliveries_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = OLD.status THEN RETURN NEW; END IF;
  IF (OLD.status, NEW.status) IN (('NEW', 'IN_PROGRESS'), ('IN_PROGRESS', 'REVIEWING'), ('REVIEWING', 'COMPLETED'),
      ('REVIEWING', 'IN_PROGRESS'), ('NEW', 'CANCELLED'), ('IN_PROGRESS', 'CANCELLED'), ('REVIEWING', 'CANCELLED')) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'delivery % cannot move from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'MK002';
END $$;
CREATE TRIGGER service_deliveries_status BEFORE UPDATE OF status ON service_deliveries
  FOR EACH ROW EXECUTE FUNCTION service_deliveries_moves();
