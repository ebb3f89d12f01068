-- How far reconciliation's workflow check has verified (docs/reconciliation.md, "The workflow
-- check"): every open delivery created before verified_before had a running DeliveryWorkflow when
-- a check found no anomaly. A default check then looks only at the deliveries created since (and
-- at the runs that closed, which it always queries), so its cost follows the orders since the last
-- call, not the open deliveries. Written by that check alone (src/db/open-deliveries.ts), only when
-- it passed, and only ever forwards.
CREATE TABLE workflow_check_checkpoint (
  singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  verified_before  timestamptz NOT NULL,
  mode             text NOT NULL CHECK (mode IN ('incremental', 'full')), -- of the check that set it
  verified_at      timestamptz NOT NULL
);
