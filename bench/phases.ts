import type { Client } from '@temporalio/client';
import type { Sql } from '../src/db/client.js';
import type { DeliveryAction } from '../src/domain/delivery.js';
import { orderRequests, type Fixtures } from './fixtures.js';
import { ORDER_WORKFLOW_TYPE } from '../src/contracts/order.js';
import { latencyStats, runLoad, summarize, type LoadOutput, type LoadSpec, type PhaseStats } from './load.js';
import type { BenchOptions } from './options.js';

export interface Ctx {
  apiUrl: string;
  adminToken: string;
  sql: Sql;
  temporal: Client;
  taskQueue: string;
  fixtures: Fixtures;
  opts: BenchOptions;
  workDir: string;
  log: (m: string) => void;
  /** Every order id answered 201 so far, by any phase: exactly what the database must hold. */
  placed: string[];
  /** Spreads successive phases over different customers. */
  offset: number;
}

export interface OrderPhase { stats: PhaseStats; ids: string[]; out: LoadOutput }

/** Orders against `baseUrl` (the product or the baseline), closed loop at `concurrency` or open loop at `rate` per second.
 *  Closed-loop lanes honour Retry-After: a 503 with it (admission control) is waited out and the
 *  same order sent again, and counted apart (`shed`), not as an error; in an open-loop phase every
 *  503 is an error (the overload phase reads them from `out` itself). */
export async function orderPhase(ctx: Ctx, baseUrl: string, name: string, load: { mode: 'closed'; concurrency: number } | { mode: 'open'; rate: number }, count: number): Promise<OrderPhase> {
  const spec: LoadSpec = {
    mode: load.mode, baseUrl, requests: orderRequests(ctx.fixtures, count, ctx.offset),
    concurrency: load.mode === 'closed' ? load.concurrency : 0, rate: load.mode === 'open' ? load.rate : 0,
    expectStatus: 201, timeoutMs: ctx.opts.requestTimeoutMs, collectIds: true, maxDurationMs: ctx.opts.phaseMaxMs,
    honourRetryAfter: load.mode === 'closed',
  };
  ctx.offset += count;
  ctx.log(`${name}: ${count} orders ${load.mode === 'closed' ? `at concurrency ${load.concurrency}` : `at ${load.rate}/s (open loop)`}`);
  const out = await runLoad(spec, ctx.workDir, name);
  ctx.placed.push(...out.ids);
  const stats = summarize(out, 201);
  const others = Object.entries(stats.statuses).filter(([code]) => code !== '201').map(([code, n]) => `${n} × ${code}`);
  const shed = stats.shed > 0 ? `, ${stats.shed} × 503 waited out and sent again${out.shedGaveUp > 0 ? ` (${out.shedGaveUp} not, past the time limit)` : ''}` : '';
  ctx.log(`${name}: ${stats.ok} orders, ${stats.throughput_per_s}/s, p50 ${stats.p50_ms} ms, p99 ${stats.p99_ms} ms, max ${stats.max_ms} ms${shed}, errors ${stats.errors}`
    + (others.length > 0 ? ` (${others.join(', ')}${out.failures > 0 ? `, ${out.failures} without an answer` : ''})` : out.failures > 0 ? ` (${out.failures} without an answer)` : '')
    + (stats.truncated ? `, stopped sending at the time limit (${stats.count} of ${stats.requested} sent)` : ''));
  for (const e of out.sampleErrors) ctx.log(`  ${name} error sample: ${e}`);
  return { stats, ids: out.ids, out };
}

export interface Overload {
  /** Orders per second offered (open loop): twice the saturation throughput. */
  rate_per_s: number;
  seconds: number;
  /** Answered 201. */
  accepted: number;
  accepted_per_s: number;
  /** Answered 503 (admission control). */
  rejected: number;
  /** Anything else: another status, or no answer at all. */
  other_errors: number;
  accepted_p99_ms: number | null;
  rejected_p99_ms: number | null;
  /** The slowest answer of any kind, from its planned send time. */
  max_ms: number;
  /** 503 answers without a Retry-After header. */
  rejected_without_retry_after: number;
  duration_s: number;
  statuses: Record<string, number>;
}

/** The overload record of an open-loop order phase: 201 accepted, 503 rejected, anything else an error. */
export function overloadOf(phase: OrderPhase, rate: number, seconds: number): Overload {
  const { out, stats } = phase;
  const accepted = out.statuses['201'] ?? 0;
  const rejected = out.statuses['503'] ?? 0;
  const p99 = (code: string) => (out.latenciesByStatus[code]?.length ? latencyStats(out.latenciesByStatus[code]!).p99_ms : null);
  return {
    rate_per_s: rate, seconds, accepted, accepted_per_s: stats.throughput_per_s, rejected,
    other_errors: stats.count - accepted - rejected,
    accepted_p99_ms: p99('201'), rejected_p99_ms: p99('503'), max_ms: stats.max_ms,
    rejected_without_retry_after: out.retryAfterMissing, duration_s: stats.duration_s, statuses: stats.statuses,
  };
}

export interface Check {
  after: string;
  /** Seconds spent waiting for running order workflows to finish (false: they had not, in time). */
  quiesced_after_s: number | false;
  reconciliation_ok: boolean;
  failed_checks: string[];
  orders_answered_201: number;
  /** Orders of the bench's customers in the database, whatever their status. */
  orders_in_db: number;
  /** Answered 201 but not in the database. */
  missing: number;
  /** Answered 201 but not COMPLETED in the database. */
  not_completed: number;
  /** In the database but never answered 201 (placed by a request answered otherwise, or not at all). */
  extra: number;
  accounted: boolean;
}

/** Waits until no order workflow of this run is running: only then may the ledger balance. */
async function quiesce(ctx: Ctx): Promise<number | false> {
  const started = Date.now();
  const query = `WorkflowType = '${ORDER_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND TaskQueue = '${ctx.taskQueue}'`;
  // Visibility trails the workflows a little: ask until it says zero twice in a row.
  for (let zeros = 0; zeros < 2;) {
    const { count } = await ctx.temporal.workflow.count(query);
    zeros = count === 0 ? zeros + 1 : 0;
    if (Date.now() - started > ctx.opts.quiesceMaxMs) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
  return Math.round((Date.now() - started) / 100) / 10;
}

/**
 * After a phase, once no order workflow runs any more: the ledger reconciles (asked through the
 * API, as an operator would), and the orders of the bench's customers in the database are exactly
 * the ones answered 201, every one of them COMPLETED. Every request of every phase was answered
 * (or failed), so there is no slack: an order placed by a request answered 503, by one answered
 * with an error, or by one that got no answer is an extra, and the check fails.
 */
export async function check(ctx: Ctx, after: string): Promise<Check> {
  const quiesced = await quiesce(ctx);
  const res = await fetch(`${ctx.apiUrl}/api/v1/admin/reconciliation`, { headers: { authorization: `Bearer ${ctx.adminToken}` } });
  const body = await res.json() as { data?: { ok: boolean; checks?: { name: string; ok: boolean; detail: string }[] } };
  const customerIds = ctx.fixtures.customers.map((c) => c.id);
  const rows = await ctx.sql<{ id: string; status: string }[]>`SELECT id, status FROM orders WHERE customer_id IN ${ctx.sql(customerIds)}`;
  const inDb = new Map(rows.map((r) => [r.id, r.status]));
  const placed = new Set(ctx.placed);
  const missing = [...placed].filter((id) => !inDb.has(id)).length;
  const notCompleted = [...placed].filter((id) => inDb.has(id) && inDb.get(id) !== 'COMPLETED').length;
  const extra = rows.filter((r) => !placed.has(r.id)).length;
  const result: Check = {
    after,
    quiesced_after_s: quiesced,
    reconciliation_ok: res.status === 200 && body.data?.ok === true,
    failed_checks: (body.data?.checks ?? []).filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
    orders_answered_201: placed.size,
    orders_in_db: rows.length,
    missing,
    not_completed: notCompleted,
    extra,
    accounted: missing === 0 && notCompleted === 0 && extra === 0 && placed.size === ctx.placed.length,
  };
  ctx.log(`check after ${after}: ${quiesced === false ? 'order workflows still running; ' : ''}reconciliation ${result.reconciliation_ok ? 'ok' : `FAILED (${res.status})`}, `
    + `${result.orders_in_db} orders in the database for ${result.orders_answered_201} answered 201`
    + (result.accounted ? ', exactly those' : ` — NOT ACCOUNTED FOR: ${missing} missing, ${notCompleted} not COMPLETED, ${extra} never answered 201`));
  for (const f of result.failed_checks) ctx.log(`  ${f}`);
  return result;
}

export interface DeliveryPhase {
  /** Deliveries of the saturation phase; `completed` of them were driven to the end in time. */
  count: number;
  completed: number;
  truncated: boolean;
  transitions: number;
  transitions_per_s: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  payouts_done_ms: number;
  payouts_after_last_answer_ms: number;
  errors: number;
  passes: Record<string, PhaseStats>;
}

/**
 * Every delivery of `orderIds` through start and submit (as its provider) and approve (as its
 * customer): one pass per action at the bench's concurrency, each pass taking the deliveries the
 * previous one moved (a third of the phase's time limit each, so a slow system drives fewer
 * deliveries, all of them to the end). Then waits until every payout is in the ledger. Rates are
 * over the time the passes ran (not the process start-ups between them); the payout time runs
 * from the first transition sent.
 */
export async function deliveryPhase(ctx: Ctx, orderIds: string[]): Promise<DeliveryPhase> {
  const rows = await ctx.sql<{ id: string; customerId: number; providerId: number }[]>`
    SELECT id, customer_id AS "customerId", provider_id AS "providerId" FROM service_deliveries WHERE order_id IN ${ctx.sql(orderIds)}`;
  let moving: { id: string; customerId: number; providerId: number }[] = rows;
  const outs: LoadOutput[] = [];
  const passes: Record<string, PhaseStats> = {};
  for (const action of ['start', 'submit', 'approve'] as DeliveryAction[]) {
    const requests = moving.map((d) => ({
      method: 'POST' as const, path: `/api/v1/deliveries/${d.id}/${action}`,
      token: ctx.fixtures.tokenOf.get(action === 'approve' ? d.customerId : d.providerId)!,
    }));
    ctx.log(`deliveries: ${requests.length} × ${action}`);
    const out = await runLoad({
      mode: 'closed', baseUrl: ctx.apiUrl, requests, concurrency: ctx.opts.concurrency, rate: 0, expectStatus: 200,
      timeoutMs: ctx.opts.requestTimeoutMs, collectIds: true, maxDurationMs: ctx.opts.phaseMaxMs / 3,
    }, ctx.workDir, `deliveries-${action}`);
    outs.push(out);
    passes[action] = summarize(out, 200);
    for (const e of out.sampleErrors) ctx.log(`  ${action} error sample: ${e}`);
    const moved = new Set(out.ids);
    moving = moving.filter((d) => moved.has(d.id));
  }
  const lastAnswer = outs.at(-1)!.startedAt + outs.at(-1)!.durationMs;
  // A refused approve pays nothing out; a timed-out one may still pay: wait for the answered ones.
  const payoutsAt = await waitForPayouts(ctx, orderIds, passes.approve!.ok);
  const all = summarize({
    requested: 3 * rows.length,
    startedAt: outs[0]!.startedAt,
    durationMs: outs.reduce((a, o) => a + o.durationMs, 0),
    latenciesMs: outs.flatMap((o) => o.latenciesMs),
    latenciesByStatus: {},
    statuses: Object.values(passes).reduce<Record<string, number>>((acc, p) => {
      for (const [code, n] of Object.entries(p.statuses)) acc[code] = (acc[code] ?? 0) + n;
      return acc;
    }, {}),
    failures: outs.reduce((a, o) => a + o.failures, 0),
    sent: outs.reduce((a, o) => a + o.sent, 0),
    retryAfterMissing: 0, shed: 0, shedGaveUp: 0,
    truncated: outs.some((o) => o.truncated),
    ids: [], sampleErrors: [],
  }, 200);
  const result = {
    count: rows.length, completed: passes.approve!.ok, truncated: all.truncated, transitions: all.ok, transitions_per_s: all.throughput_per_s,
    p50_ms: all.p50_ms, p95_ms: all.p95_ms, p99_ms: all.p99_ms, max_ms: all.max_ms,
    payouts_done_ms: Math.round(payoutsAt - outs[0]!.startedAt),
    payouts_after_last_answer_ms: Math.max(0, Math.round(payoutsAt - lastAnswer)),
    errors: all.errors, passes,
  };
  ctx.log(`deliveries: ${result.completed} of ${result.count} completed, ${result.transitions_per_s} transitions/s, p99 ${result.p99_ms} ms, `
    + `all payouts after ${result.payouts_done_ms} ms, errors ${result.errors}`);
  return result;
}

/** Polls the ledger until every provider payout of these orders is there; answers when (epoch ms). */
async function waitForPayouts(ctx: Ctx, orderIds: string[], expected: number, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await ctx.sql<{ n: number }[]>`
      SELECT count(*)::bigint AS n FROM transfers WHERE kind = 'payout_provider' AND order_id IN ${ctx.sql(orderIds)}`;
    if (row!.n >= expected) return Date.now();
    if (Date.now() > deadline) throw new Error(`only ${row!.n} of ${expected} payouts landed within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
