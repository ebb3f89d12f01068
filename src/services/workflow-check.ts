/**
 * Reconciliation's check that every open delivery is tracked by a running DeliveryWorkflow
 * (SYSTEM.md §7), at the cost of the anomalies and of the orders since the last call rather than
 * of the open deliveries: no call lists every running workflow (docs/reconciliation.md).
 *
 * - A run that closed while the database holds its delivery open (Terminated, TimedOut, Failed, or
 *   Canceled or Completed while its last DeliveryStatus is still open) is reported at once, with
 *   no grace, in either mode: one visibility query finds such runs, each is confirmed against the
 *   database (the workflow upserts its status before the database write, so the two can differ for
 *   a moment) and dropped if a newer run of the same workflow id is running (a Reset or a resume).
 * - A delivery whose workflow never started at all gets the start-up grace. By default the check
 *   looks only at the open deliveries created since its checkpoint (migrations/008: before it,
 *   every open delivery was tracked when a check last passed; on the first call, since the oldest
 *   open delivery), by id, a batch at a time, and only such a pass moves the checkpoint. In full
 *   mode it counts: the open deliveries older than the grace in the database against the running
 *   workflows in visibility, and only when those counts differ does it look closer: it splits the
 *   open deliveries by the first characters of their order id, compares the counts of each part
 *   (the workflow id carries the order id), goes down only into parts whose counts differ, and
 *   names deliveries in parts of at most LEAF.
 */
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import {
  advanceWorkflowCheckpoint, oldestOpenDelivery, workflowCheckBoundary, openDeliveriesCreatedBetween, openDeliveriesCreatedFrom, openDeliveriesOf, openDeliveriesWithPrefix,
  openDeliveryCounts, OPEN_STATUSES, readWorkflowCheckpoint, type CreatedCursor, type OpenDelivery,
} from '../db/open-deliveries.js';
import type { Check, ReconciliationMode } from '../db/reconciliation.js';
import { DELIVERY_WORKFLOW_TYPE, deliveryWorkflowId } from '../contracts/delivery.js';

/**
 * A delivery younger than this may be waiting for its first workflow to start (the order is
 * answered before the DeliveryWorkflow starts, and visibility lags a little): no alarm for it yet.
 */
export const WORKFLOW_START_GRACE_MS = 60_000;
/** The database's and Temporal's clocks may differ: closed runs are looked for from this long before the oldest open delivery, and up to this long after now. */
const CLOCK_SKEW_MS = 5 * 60_000;
/**
 * By default, closed runs are looked for from this long before the checkpoint: a run that closed
 * earlier was in visibility when the check that set the checkpoint ran (at least the start-up grace
 * later), unless visibility lagged and the clocks differed by more than this together. A full check
 * looks from the oldest open delivery (docs/reconciliation.md, "What the default mode trusts").
 */
const CLOSED_OVERLAP_MS = 2 * 60_000;
/** Closed runs are confirmed against the database and visibility this many at a time. */
const BATCH = 100;
/** A part of the open deliveries this small is checked delivery by delivery, in one visibility query. */
const LEAF = 50;
const SHOWN = 10;
/**
 * A delivery's workflow starts a moment after the delivery is written (the order's transaction,
 * then the child workflow's start): a delivery written this long before the grace's boundary may
 * have its workflow started after it. At most BOUNDARY of them are looked at by id.
 */
const START_LAG_MS = 10_000;
const BOUNDARY = 500;

const WORKFLOW_ID_PREFIX = deliveryWorkflowId('');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OPEN = OPEN_STATUSES.map((s) => `'${s}'`).join(', ');
const DELIVERY_RUNS = `WorkflowType = '${DELIVERY_WORKFLOW_TYPE}'`;

interface Untracked { delivery: OpenDelivery; why: string }
interface Deps { sql: Sql; temporal: Client }

export async function workflowCheck(deps: Deps, mode: ReconciliationMode = 'incremental'): Promise<Check> {
  const name = 'open_deliveries_have_workflows';
  const { now, before, settled } = await workflowCheckBoundary(deps.sql, WORKFLOW_START_GRACE_MS);
  const oldest = await oldestOpenDelivery(deps.sql);
  if (!oldest) {
    if (mode === 'incremental') await advanceWorkflowCheckpoint(deps.sql, settled, 'incremental');
    return { name, ok: true, detail: 'no open deliveries' };
  }
  const found = new Map<string, Untracked>();
  const checkpoint = mode === 'incremental' ? await readWorkflowCheckpoint(deps.sql) : undefined;
  await closedWhileOpen(deps, closedRunsSince(oldest, checkpoint), shifted(now, CLOCK_SKEW_MS), found);
  // Full mode counts, and moves no checkpoint: equal counts can hide a delivery behind a run counted
  // for another one. A default call reads the deliveries since the checkpoint (on the first call,
  // since the oldest open one) one by one, and only such a pass moves the checkpoint.
  const scope = mode === 'full' ? await withoutAnyWorkflow(deps, before, found) : await createdSince(deps, checkpoint ?? oldest, before, found);
  const untracked = [...found.values()].sort((a, b) => a.delivery.id.localeCompare(b.delivery.id));
  if (untracked.length === 0 && mode === 'incremental') await advanceWorkflowCheckpoint(deps.sql, settled, checkpoint ? 'incremental' : 'full');
  return {
    name,
    ok: untracked.length === 0,
    detail: untracked.length === 0
      ? `${scope}; no workflow closed while its delivery is open`
      : `${untracked.length} open deliveries without a running workflow (resume them: POST /api/v1/admin/deliveries/:id/resume): `
        + untracked.slice(0, SHOWN).map((u) => `${u.delivery.id} (${u.why})`).join(', ') + (untracked.length > SHOWN ? ', …' : ''),
  };
}

/** Where the closed runs are looked for from: the oldest open delivery, or by default the checkpoint, whichever is later (each less its margin). */
function closedRunsSince(oldest: Date, checkpoint: Date | undefined): Date {
  const fromOldest = shifted(oldest, -CLOCK_SKEW_MS);
  if (!checkpoint) return fromOldest;
  const fromCheckpoint = shifted(checkpoint, -CLOSED_OVERLAP_MS);
  return fromCheckpoint > fromOldest ? fromCheckpoint : fromOldest;
}

const shifted = (at: Date, ms: number) => new Date(at.getTime() + ms);

/**
 * Runs that closed in [since, until] whose delivery may still be open. `since` is never before the
 * oldest open delivery (a run that closed before it existed cannot be one of theirs) and, by
 * default, the checkpoint less CLOSED_OVERLAP_MS: the query reads the runs closed since the last
 * passing call, not every run closed while some delivery stayed open for weeks.
 */
async function closedWhileOpen({ sql, temporal }: Deps, since: Date, until: Date, found: Map<string, Untracked>): Promise<void> {
  // Bounded on both sides: a SQL visibility store keeps a running workflow's CloseTime as the end
  // of time in its indexes, so `CloseTime >= since` alone reads every running DeliveryWorkflow too
  // (EXPLAIN QUERY PLAN on the dev server's SQLite; it then grew with the open deliveries).
  const query = `${DELIVERY_RUNS} AND CloseTime >= '${since.toISOString()}' AND CloseTime <= '${until.toISOString()}'`
    + ` AND (ExecutionStatus IN ('Terminated', 'TimedOut', 'Failed', 'Canceled') OR (ExecutionStatus = 'Completed' AND DeliveryStatus IN (${OPEN})))`;
  let batch = new Map<string, string>();
  const confirm = async () => {
    const open = await openDeliveriesOf(sql, [...batch.keys()]);
    const running = await runningOf(temporal, open.map((d) => d.orderId));
    for (const d of open) if (!running.has(d.orderId)) found.set(d.id, { delivery: d, why: `workflow ${batch.get(d.orderId)!.toLowerCase()}` });
    batch = new Map();
  };
  for await (const run of temporal.workflow.list({ query })) {
    const orderId = run.workflowId.slice(WORKFLOW_ID_PREFIX.length);
    if (UUID.test(orderId)) batch.set(orderId, run.status.name);
    if (batch.size >= BATCH) await confirm();
  }
  if (batch.size > 0) await confirm();
}

/** Each of these deliveries without a running workflow, in one visibility query, is found untracked. */
async function lookUpById(deps: Deps, deliveries: OpenDelivery[], found: Map<string, Untracked>): Promise<void> {
  const running = await runningOf(deps.temporal, deliveries.map((d) => d.orderId));
  for (const d of deliveries) {
    if (!running.has(d.orderId) && !found.has(d.id)) found.set(d.id, { delivery: d, why: 'no running workflow' });
  }
}

/** Which of these orders' DeliveryWorkflows has a running run: one visibility query. */
async function runningOf(temporal: Client, orderIds: string[]): Promise<Set<string>> {
  const running = new Set<string>();
  if (orderIds.length === 0) return running;
  const ids = orderIds.map((id) => `'${deliveryWorkflowId(id)}'`).join(', ');
  for await (const run of temporal.workflow.list({ query: `${DELIVERY_RUNS} AND ExecutionStatus = 'Running' AND WorkflowId IN (${ids})` })) {
    running.add(run.workflowId.slice(WORKFLOW_ID_PREFIX.length));
  }
  return running;
}

/**
 * The open deliveries created in [since, before), each looked up by id in visibility, BATCH at a
 * time: since the checkpoint, or on the first call since the oldest open delivery.
 */
async function createdSince(deps: Deps, since: Date, before: Date, found: Map<string, Untracked>): Promise<string> {
  let checked = 0;
  let cursor: CreatedCursor | undefined;
  for (;;) {
    const page = await openDeliveriesCreatedFrom(deps.sql, since, before, cursor, BATCH);
    if (page.length === 0) break;
    await lookUpById(deps, page, found);
    checked += page.length;
    cursor = page.at(-1);
  }
  return `${checked} open deliveries created since ${since.toISOString()} and more than ${WORKFLOW_START_GRACE_MS / 1000} s ago each have a running DeliveryWorkflow`;
}

/**
 * Open deliveries past the grace against the running workflows started before it that still show
 * an open status (a workflow closing a delivery shows its final status first). In a healthy
 * system the two are equal; fewer workflows than deliveries (beyond the anomalies already found)
 * sends the check looking closer.
 */
async function withoutAnyWorkflow(deps: Deps, before: Date, found: Map<string, Untracked>): Promise<string> {
  const counts = await openDeliveryCounts(deps.sql, before, '');
  const open = counts.reduce((sum, c) => sum + c.count, 0);
  let running = await runningCount(deps.temporal, before, '');
  // While orders are being placed, a delivery written just before the boundary often has its
  // workflow started just after it: those are counted by id before any closer look, else a call
  // made while orders are placed would look closer for nothing.
  if (running < open - known(found, before, '')) running += await startedJustAfter(deps, before);
  if (running < open - known(found, before, '')) await closerLook(deps, found, before, '', counts);
  return `${open} open deliveries older than ${WORKFLOW_START_GRACE_MS / 1000} s and ${running} running DeliveryWorkflows started before then (counted in full)`;
}

/** Running workflows, started at or after `before`, of the open deliveries written in the START_LAG_MS before it. */
async function startedJustAfter({ sql, temporal }: Deps, before: Date): Promise<number> {
  const near = await openDeliveriesCreatedBetween(sql, shifted(before, -START_LAG_MS), before, BOUNDARY);
  if (near.length === 0) return 0;
  const ids = near.map((d) => `'${deliveryWorkflowId(d.orderId)}'`).join(', ');
  const { count } = await temporal.workflow.count(
    `${DELIVERY_RUNS} AND ExecutionStatus = 'Running' AND DeliveryStatus IN (${OPEN}) AND StartTime >= '${before.toISOString()}' AND WorkflowId IN (${ids})`);
  return count;
}

/** The parts of `prefix` (one per next character of the order id) whose counts differ: looked into, down to parts of LEAF. */
async function closerLook(deps: Deps, found: Map<string, Untracked>, before: Date, prefix: string, counts: { next: string; count: number }[]): Promise<void> {
  await Promise.all(counts.map(async ({ next, count }) => {
    const part = prefix + next;
    if (await runningCount(deps.temporal, before, part) >= count - known(found, before, part)) return;
    if (count > LEAF) {
      await closerLook(deps, found, before, part, await openDeliveryCounts(deps.sql, before, part));
      return;
    }
    await lookUpById(deps, await openDeliveriesWithPrefix(deps.sql, before, part, LEAF), found);
  }));
}

async function runningCount(temporal: Client, before: Date, prefix: string): Promise<number> {
  const part = prefix ? ` AND WorkflowId STARTS_WITH '${deliveryWorkflowId(prefix)}'` : '';
  const { count } = await temporal.workflow.count(
    `${DELIVERY_RUNS} AND ExecutionStatus = 'Running' AND DeliveryStatus IN (${OPEN}) AND StartTime < '${before.toISOString()}'${part}`);
  return count;
}

/** Anomalies already found among the deliveries past the grace whose order id starts with `prefix`. */
function known(found: Map<string, Untracked>, before: Date, prefix: string): number {
  let n = 0;
  for (const { delivery } of found.values()) if (delivery.createdAt < before && delivery.orderId.startsWith(prefix)) n++;
  return n;
}
