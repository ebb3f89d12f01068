/**
 * The open deliveries as reconciliation's workflow check reads them (src/services/workflow-check.ts):
 * counts and small batches, never every row. Served by the index on (status, created_at)
 * (migrations/003), so each query scans the open deliveries at most, never the history.
 */
import { DELIVERY_STATUSES, FINAL_STATUSES } from '../domain/delivery.js';
import type { Tx } from './client.js';
import { EXACT_TIME } from './keyset.js';
import type { ReconciliationMode } from './reconciliation-report.js';

export const OPEN_STATUSES = DELIVERY_STATUSES.filter((s) => !FINAL_STATUSES.includes(s));

/**
 * `(... the open statuses ...)` written into the statement, not sent as parameters: a statement
 * postgres.js has prepared is planned once for any value after a few runs (a generic plan), and
 * for `status IN ($1, $2, $3)` on a table of final deliveries that plan guesses every row and
 * scans the table by its newest-first index (EXPLAIN ANALYZE on 300,000 final deliveries: 151 ms
 * for the oldest open one, against 0.02 ms with the list written in).
 */
export const openStatusList = (sql: Tx) => sql.unsafe(`(${OPEN_STATUSES.map((s) => `'${s}'`).join(', ')})`);

export interface OpenDelivery { id: string; orderId: string; createdAt: Date }

/** When the oldest open delivery was created: no workflow that closed before it can be one of theirs. */
export async function oldestOpenDelivery(sql: Tx): Promise<Date | undefined> {
  const [row] = await sql<{ at: Date | null }[]>`
    SELECT min(created_at) AS at FROM service_deliveries WHERE status IN ${openStatusList(sql)}`;
  return row?.at ?? undefined;
}

/** Of these orders, those whose delivery is open. */
export async function openDeliveriesOf(sql: Tx, orderIds: string[]): Promise<OpenDelivery[]> {
  if (orderIds.length === 0) return [];
  return sql<OpenDelivery[]>`
    SELECT id, order_id AS "orderId", created_at AS "createdAt" FROM service_deliveries
    WHERE order_id = ANY(${orderIds}::uuid[]) AND status IN ${openStatusList(sql)}`;
}

/**
 * Open deliveries created before `before` whose order id starts with `prefix`, counted by the
 * character that follows the prefix (one row per character present).
 */
export async function openDeliveryCounts(sql: Tx, before: Date, prefix: string): Promise<{ next: string; count: number }[]> {
  return sql<{ next: string; count: number }[]>`
    SELECT substr(order_id::text, ${prefix.length + 1}, 1) AS next, count(*)::bigint AS count FROM service_deliveries
    WHERE status IN ${openStatusList(sql)} AND created_at < ${before} AND starts_with(order_id::text, ${prefix})
    GROUP BY 1 ORDER BY 1`;
}

/** The newest `limit` open deliveries created in [from, to). */
export async function openDeliveriesCreatedBetween(sql: Tx, from: Date, to: Date, limit: number): Promise<OpenDelivery[]> {
  return sql<OpenDelivery[]>`
    SELECT id, order_id AS "orderId", created_at AS "createdAt" FROM service_deliveries
    WHERE status IN ${openStatusList(sql)} AND created_at >= ${from} AND created_at < ${to}
    ORDER BY created_at DESC LIMIT ${limit}`;
}

/** Where a page of `openDeliveriesCreatedFrom` ended: the last row's creation time, to the microsecond, and id. */
export interface CreatedCursor { exactCreatedAt: string; id: string }

/**
 * Up to `limit` open deliveries created in [from, to), oldest first, after `cursor`: the open
 * deliveries written since the workflow check's checkpoint, a page at a time. The cursor's time goes
 * as text, as in keyset.ts: postgres.js would cut a timestamptz parameter to milliseconds.
 */
export async function openDeliveriesCreatedFrom(
  sql: Tx, from: Date, to: Date, cursor: CreatedCursor | undefined, limit: number,
): Promise<(OpenDelivery & CreatedCursor)[]> {
  const after = cursor ? sql`AND (created_at, id) > (${cursor.exactCreatedAt}::text::timestamptz, ${cursor.id}::text::uuid)` : sql``;
  return sql<(OpenDelivery & CreatedCursor)[]>`
    SELECT id, order_id AS "orderId", created_at AS "createdAt", to_char(created_at AT TIME ZONE 'UTC', ${EXACT_TIME}) AS "exactCreatedAt" FROM service_deliveries
    WHERE status IN ${openStatusList(sql)} AND created_at >= ${from} AND created_at < ${to} ${after}
    ORDER BY created_at, id LIMIT ${limit}`;
}

/**
 * The database's clock, which wrote every `created_at`: `now`; `before`, the start-up grace's
 * boundary; and `settled`, the point below which no delivery can still appear: the boundary, or
 * earlier if a transaction that began before it is still open (a delivery's `created_at` is its
 * transaction's start, so a late commit lands behind a checkpoint set at the boundary).
 */
export async function workflowCheckBoundary(sql: Tx, graceMs: number): Promise<{ now: Date; before: Date; settled: Date }> {
  const [row] = await sql<{ now: Date; before: Date; settled: Date }[]>`
    WITH boundary AS (SELECT now() - make_interval(secs => ${graceMs / 1000}) AS before)
    SELECT now(), before, least(before, (
      SELECT min(xact_start) FROM pg_stat_activity
      WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid())) AS settled
    FROM boundary`;
  return row!;
}

/** Before when the workflow check last found every open delivery tracked (migrations/008); undefined before its first pass. */
export async function readWorkflowCheckpoint(sql: Tx): Promise<Date | undefined> {
  const [row] = await sql<{ before: Date }[]>`SELECT verified_before AS before FROM workflow_check_checkpoint`;
  return row?.before;
}

/** After a check that found no anomaly: every open delivery created before `before` was tracked. Only ever forwards. */
export async function advanceWorkflowCheckpoint(sql: Tx, before: Date, mode: ReconciliationMode): Promise<void> {
  await sql`
    INSERT INTO workflow_check_checkpoint AS c (verified_before, mode, verified_at) VALUES (${before}, ${mode}, now())
    ON CONFLICT (singleton) DO UPDATE SET verified_before = greatest(c.verified_before, excluded.verified_before),
      mode = excluded.mode, verified_at = excluded.verified_at`;
}

/** Up to `limit` open deliveries created before `before` whose order id starts with `prefix`. */
export async function openDeliveriesWithPrefix(sql: Tx, before: Date, prefix: string, limit: number): Promise<OpenDelivery[]> {
  return sql<OpenDelivery[]>`
    SELECT id, order_id AS "orderId", created_at AS "createdAt" FROM service_deliveries
    WHERE status IN ${openStatusList(sql)} AND created_at < ${before} AND starts_with(order_id::text, ${prefix})
    ORDER BY order_id LIMIT ${limit}`;
}
