-- What reconciliation has verified (docs/reconciliation.md), so a default run checks only what
-- changed since. Written and advanced by reconciliation alone (src/db/reconciliation*.ts), under
-- its advisory lock, and only after every ledger check passed; the code that moves money never
-- touches these tables, so a fault in that code cannot vouch for itself here.

-- One row, once a run has verified the ledger: every transfer with an id up to transfer_id is
-- summed into reconciliation_wallet_sums, and the orders of every delivery event up to event_id
-- have been checked. Both are points below which no open transaction could still write when they
-- were set (the sequences' holders had all ended), so a lower id committing late is never skipped.
CREATE TABLE reconciliation_checkpoint (
  singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  transfer_id       bigint NOT NULL CHECK (transfer_id >= 0),
  transfer_count    bigint NOT NULL CHECK (transfer_count >= 0), -- transfers with id <= transfer_id
  event_id          bigint NOT NULL CHECK (event_id >= 0),
  mode              text NOT NULL CHECK (mode IN ('incremental', 'full')), -- of the run that set it
  verified_at       timestamptz NOT NULL,
  -- The last full run: the only one that re-reads history below the checkpoint.
  full_transfer_id  bigint,
  full_verified_at  timestamptz
);

-- Per wallet, the sum of its transfers (+ in, − out) with an id up to the checkpoint's transfer_id;
-- a wallet without a row had none. No foreign key to wallets: its check would lock each wallet
-- row (FOR KEY SHARE) from reconciliation's repeatable-read snapshot, and a wallet a transfer
-- updated meanwhile would fail the run with a serialization error (seen under live orders).
-- Wallets are never deleted, and every run joins the sums to the wallets it checks.
CREATE TABLE reconciliation_wallet_sums (
  wallet_id     bigint PRIMARY KEY,
  verified_sum  bigint NOT NULL
);
