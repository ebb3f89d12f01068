/**
 * Reconciliation's checkpoint (migrations/006, docs/reconciliation.md): per-wallet sums verified up
 * to a transfer id, and the delivery events whose orders were checked. Read, and advanced only by
 * reconciliation, only after every check passed, under its lock.
 */
import type { Sql, Tx } from './client.js';
import { movedSince } from './reconciliation-checks.js';
import type { Check, Checkpoint, ReconciliationMode } from './reconciliation-report.js';

/**
 * How far the checkpoint may advance: every transfer and delivery event with an id up to these has
 * committed or rolled back before the run's snapshot. Not ok when transactions that drew ids were
 * still open when the wait ran out.
 */
export type SafePoint =
  | { ok: true; transferId: number; eventId: number }
  | { ok: false; open: number };

/** Transfer transactions last milliseconds; a wait this long means one is stuck or idle in transaction. */
export const SAFE_POINT_WAIT_MS = 2_000;
const SAFE_POINT_POLL_MS = 10;

export async function readCheckpoint(tx: Tx): Promise<Checkpoint | undefined> {
  const [row] = await tx<Checkpoint[]>`
    SELECT transfer_id AS "transferId", transfer_count AS "transferCount", event_id AS "eventId", mode,
      verified_at AS "verifiedAt", full_transfer_id AS "fullTransferId", full_verified_at AS "fullVerifiedAt"
    FROM reconciliation_checkpoint`;
  return row;
}

/**
 * Ids are drawn from a sequence when a row is inserted but become visible when its transaction
 * commits, so a lower id can appear after a higher one: a checkpoint at the highest id seen could
 * skip it. nextval() locks its sequence (RowExclusiveLock) until the drawing transaction ends, so
 * every transaction that drew an id up to the sequence's last value L, read first, either has
 * ended or still holds that lock when pg_locks is read next. Once each of those has ended, every
 * id up to L that will ever commit has committed, and a snapshot taken afterwards sees them all.
 * Only those transactions are waited for (never the ones that start later), without blocking
 * anyone: orders go on while this waits. Relies on the sequences' CACHE 1 (bigserial's default),
 * checked here: with a larger cache a session could draw a low id after L was read.
 */
export async function safePoint(conn: Sql, waitMs: number): Promise<SafePoint> {
  const [drawn] = await conn<{ transferId: number; eventId: number; cached: boolean }[]>`
    SELECT coalesce(max(last_value) FILTER (WHERE sequencename = 'transfers_id_seq'), 0) AS "transferId",
      coalesce(max(last_value) FILTER (WHERE sequencename = 'delivery_events_id_seq'), 0) AS "eventId",
      bool_or(cache_size > 1) AS cached
    FROM pg_sequences WHERE schemaname = current_schema() AND sequencename IN ('transfers_id_seq', 'delivery_events_id_seq')`;
  if (drawn!.cached) throw new Error('transfers_id_seq or delivery_events_id_seq has a CACHE above 1: the checkpoint cannot tell which ids are still being written');
  let open = await drawingTransactions(conn);
  const deadline = Date.now() + waitMs;
  while (open.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, SAFE_POINT_POLL_MS));
    open = await stillOpen(conn, open);
  }
  return open.length === 0 ? { ok: true, transferId: drawn!.transferId, eventId: drawn!.eventId } : { ok: false, open: open.length };
}

/** The transactions (virtual ids, so also those without a transaction id yet) holding either sequence. */
async function drawingTransactions(conn: Sql): Promise<string[]> {
  const rows = await conn<{ vxid: string }[]>`
    SELECT DISTINCT virtualtransaction AS vxid FROM pg_locks
    WHERE locktype = 'relation' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND relation IN ('transfers_id_seq'::regclass, 'delivery_events_id_seq'::regclass)
      AND pid IS DISTINCT FROM pg_backend_pid()`;
  return rows.map((r) => r.vxid);
}

/** Of these transactions, those still running: each holds the lock on its own virtual id until it ends. */
async function stillOpen(conn: Sql, vxids: string[]): Promise<string[]> {
  const rows = await conn<{ vxid: string }[]>`
    SELECT DISTINCT virtualtransaction AS vxid FROM pg_locks WHERE virtualtransaction = ANY(${vxids}::text[])`;
  return rows.map((r) => r.vxid);
}

/**
 * Moves the checkpoint to the safe point, inside the run's snapshot (which sees every transfer up
 * to it). Never moves backwards (a sequence reset by hand would ask it to).
 */
export async function advanceCheckpoint(tx: Tx, mode: ReconciliationMode, before: Checkpoint | undefined, safe: Extract<SafePoint, { ok: true }>): Promise<Checkpoint | undefined> {
  const from = before?.transferId ?? 0;
  if (safe.transferId < from || safe.eventId < (before?.eventId ?? 0)) return undefined;
  if (!before) {
    // The first run (a full one): the one pass's sums, less what came after the safe point.
    await tx`DELETE FROM reconciliation_wallet_sums`;
    await tx`
      INSERT INTO reconciliation_wallet_sums (wallet_id, verified_sum)
      SELECT p.wallet_id, p.computed - coalesce(a.moved, 0) FROM reconciliation_pass p
      LEFT JOIN (${movedSince(tx, safe.transferId)}) a ON a.wallet_id = p.wallet_id
      WHERE p.computed - coalesce(a.moved, 0) <> 0`;
    // Rewritten whole: fresh statistics, so the next run's join with every wallet is not planned
    // for the table as it was before (empty, on the first run) while autovacuum has not yet come by.
    await tx`ANALYZE reconciliation_wallet_sums`;
  } else {
    // Each wallet's verified sum grows by its transfers between the two points (a full run got
    // here only if the history below the old checkpoint still sums to what it holds).
    await tx`
      INSERT INTO reconciliation_wallet_sums (wallet_id, verified_sum)
      SELECT wallet_id, sum(moved) FROM (
        SELECT to_wallet_id AS wallet_id, amount AS moved FROM transfers WHERE id > ${from} AND id <= ${safe.transferId}
        UNION ALL
        SELECT from_wallet_id, -amount FROM transfers WHERE id > ${from} AND id <= ${safe.transferId}) m
      GROUP BY wallet_id
      ON CONFLICT (wallet_id) DO UPDATE SET verified_sum = reconciliation_wallet_sums.verified_sum + excluded.verified_sum`;
  }
  const count = !before
    ? tx`(SELECT coalesce(sum(counted), 0) FROM reconciliation_pass) - (SELECT count(*) FROM transfers WHERE id > ${safe.transferId})`
    : tx`${before.transferCount} + (SELECT count(*) FROM transfers WHERE id > ${from} AND id <= ${safe.transferId})`;
  const full = mode === 'full' ? tx`${safe.transferId}::bigint, now()` : tx`${before?.fullTransferId ?? null}::bigint, ${before?.fullVerifiedAt ?? null}::timestamptz`;
  await tx`
    INSERT INTO reconciliation_checkpoint (transfer_id, transfer_count, event_id, mode, verified_at, full_transfer_id, full_verified_at)
    VALUES (${safe.transferId}, ${count}, ${safe.eventId}, ${mode}, now(), ${full})
    ON CONFLICT (singleton) DO UPDATE SET transfer_id = excluded.transfer_id, transfer_count = excluded.transfer_count,
      event_id = excluded.event_id, mode = excluded.mode, verified_at = excluded.verified_at,
      full_transfer_id = excluded.full_transfer_id, full_verified_at = excluded.full_verified_at`;
  return readCheckpoint(tx);
}

/** The report's last line: which mode verified what, and when, and where the checkpoint stands now. */
export function checkpointCheck(run: {
  mode: ReconciliationMode; why: string | undefined; before: Checkpoint | undefined; advanced: Checkpoint | undefined;
  passed: boolean; safe: SafePoint;
}): Check {
  const { mode, why, before, advanced, passed, safe } = run;
  const now = advanced ?? before;
  const ran = why ? `${mode} run (${why})` : `${mode} run`;
  const moved = advanced ? `advanced to transfer ${advanced.transferId}`
    : !passed ? 'not advanced: a check failed'
      : !safe.ok ? `not advanced: ${safe.open} transaction(s) that drew transfer or event ids were still open`
        : 'not advanced';
  const at = now
    ? `; the checkpoint is at transfer ${now.transferId} (${now.mode}, ${now.verifiedAt.toISOString()}); `
      + (now.fullTransferId === null ? 'no full run yet' : `the last full run verified up to transfer ${now.fullTransferId} at ${now.fullVerifiedAt!.toISOString()}`)
    : '; no checkpoint yet';
  return { name: 'checkpoint', ok: true, detail: `${ran}, ${moved}${at}` };
}
