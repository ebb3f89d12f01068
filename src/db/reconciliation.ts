import type postgres from 'postgres';
import type { Sql, Tx } from './client.js';
import {
  advanceCheckpoint, checkpointCheck, readCheckpoint, safePoint, SAFE_POINT_WAIT_MS, type SafePoint,
} from './reconciliation-checkpoint.js';
import {
  RECONCILIATION_MODES, summarise, type Check, type Checkpoint, type Reconciliation, type ReconciliationMode,
} from './reconciliation-report.js';
import { fullChecks, incrementalChecks } from './reconciliation-checks.js';

export { RECONCILIATION_MODES, summarise, type Check, type Checkpoint, type Reconciliation, type ReconciliationMode };

export interface ReconcileOptions {
  /**
   * `incremental` (the default) verifies what changed since the checkpoint: its cost follows the
   * wallets, the open deliveries and the activity since the last run, not the ledger's history.
   * `full` re-reads the whole ledger, and also catches history rewritten below the checkpoint.
   */
  mode?: ReconciliationMode;
  /** How long to wait for transactions still writing below the newest ids before keeping the checkpoint where it is. */
  safePointWaitMs?: number;
}

const FULL_RUN_SHARE = 4;
// Any fixed 64-bit number: serialises reconciliations, so two never advance the checkpoint from the same start.
const RECONCILIATION_LOCK = 7_233_017;
const LOCK_POLL_MS = 50;

/**
 * Every invariant of SYSTEM.md §3, checked against the database in one repeatable-read snapshot,
 * so a transfer committing mid-check cannot produce a false alarm; then, when every check passed,
 * the checkpoint advances to the point verified (docs/reconciliation.md). Each check runs in SQL:
 * what leaves the database is a count and at most a few failing rows, never a row per order or
 * wallet, so the caller's memory stays flat however large the ledger is. Without a checkpoint yet,
 * the first run is a full one.
 */
export async function reconcile(sql: Sql, options: ReconcileOptions = {}): Promise<Reconciliation> {
  const conn = await sql.reserve();
  try {
    await lock(conn);
    try {
      const safe = await safePoint(conn, options.safePointWaitMs ?? SAFE_POINT_WAIT_MS);
      return await inSnapshot(conn, (tx) => verify(tx, options.mode ?? 'incremental', safe));
    } finally {
      // A connection that broke mid-run took its session lock with it: nothing left to release.
      await conn`SELECT pg_advisory_unlock(${RECONCILIATION_LOCK})`.catch(() => undefined);
    }
  } finally {
    conn.release();
  }
}

async function verify(tx: Tx, asked: ReconciliationMode, safe: SafePoint): Promise<Reconciliation> {
  const checkpoint = await readCheckpoint(tx);
  const why = asked === 'full' ? undefined
    : !checkpoint ? 'no checkpoint yet to build on'
      : await mostlyNew(tx, checkpoint) ? `more than 1/${FULL_RUN_SHARE} of the ledger is new since the checkpoint` : undefined;
  const mode = why ? 'full' : asked;
  const checks = mode === 'full' ? await fullChecks(tx, checkpoint) : await incrementalChecks(tx, checkpoint!);
  const passed = checks.every((c) => c.ok);
  const advanced = passed && safe.ok ? await advanceCheckpoint(tx, mode, checkpoint, safe) : undefined;
  checks.push(checkpointCheck({ mode, why, before: checkpoint, advanced, passed, safe }));
  return summarise(checks, mode);
}

/**
 * Whether the transfers since the checkpoint are more than 1/FULL_RUN_SHARE of the ledger (by the
 * planner's estimate of its size): then one pass over all of it costs less than checking that many
 * orders one by one, as after a bulk load or a long pause in reconciling.
 */
async function mostlyNew(tx: Tx, checkpoint: Checkpoint): Promise<boolean> {
  const [row] = await tx<{ mostly: boolean }[]>`
    SELECT (SELECT count(*) FROM transfers WHERE id > ${checkpoint.transferId}) * ${FULL_RUN_SHARE}
      > greatest((SELECT reltuples FROM pg_class WHERE oid = 'transfers'::regclass), 0) + ${FULL_RUN_SHARE * 10_000} AS mostly`;
  return row!.mostly;
}

/**
 * The session lock, taken by polling rather than waiting in pg_advisory_lock(): a waiting statement
 * holds a snapshot, which would hold up a concurrent index build (CREATE INDEX CONCURRENTLY waits
 * for every older snapshot) for as long as the other reconciliation runs.
 */
async function lock(conn: Sql): Promise<void> {
  for (;;) {
    const [row] = await conn<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(${RECONCILIATION_LOCK}) AS locked`;
    if (row!.locked) return;
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

/** One repeatable-read transaction on the reserved connection (which has no begin() of its own). */
async function inSnapshot<T>(conn: postgres.ReservedSql, fn: (tx: Tx) => Promise<T>): Promise<T> {
  await conn`BEGIN ISOLATION LEVEL REPEATABLE READ`;
  try {
    // Plan every statement for its values: postgres.js prepares its statements, and after five runs
    // PostgreSQL may keep a generic plan, which for `id > $1` (the transfers since the checkpoint,
    // a few among millions) guesses a third of the table and scans all of it.
    await conn`SET LOCAL plan_cache_mode = force_custom_plan`;
    const result = await fn(conn);
    await conn`COMMIT`;
    return result;
  } catch (err) {
    await conn`ROLLBACK`.catch(() => undefined);
    throw err;
  }
}

