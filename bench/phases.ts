import type { Client } from '@temporalio/client';
import type { Sql } from '../src/db/client.js';
import type { DeliveryAction } from '../src/domain/delivery.js';
import { orderRequests, type Fixtures } from './fixtures.js';
import { runLoad, summarize, type LoadOutput, type LoadSpec, type PhaseStats } from './load.js';
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
  /** Every order id answered 201 so far, by any phase: what the database must hold. */
  placed: string[];
  /** Order requests that got no 201 (errors, abandoned at a time limit): they may or may not have
   *  led to an order, so the database may hold up to this many orders more than `placed`. */
  unanswered: number;
  /** Spreads successive phases over different customers. */
  offset: number;
}

export interface OrderPhase { stats: PhaseStats; ids: string[]; sampleErrors: string[] }

/** Orders against `baseUrl` (the product or the baseline), closed loop or at a fixed rate. */
export async function orderPhase(ctx: Ctx, baseUrl: string, name: string, mode: 'closed' | 'open', count: number, concurrency: number): Promise<OrderPhase> {
  const spec: LoadSpec = {
    mode, baseUrl, requests: orderRequests(ctx.fixtures, count, ctx.offset), concurrency, rate: ctx.opts.rate,
    expectStatus: 201, timeoutMs: ctx.opts.requestTimeoutMs, collectIds: true, maxDurationMs: ctx.opts.phaseMaxMs,
    maxOutstanding: ctx.opts.maxOutstanding,
  };
  ctx.offset += count;
  ctx.log(`${name}: ${count} orders ${mode === 'closed' ? `at concurrency ${concurrency}` : `at ${ctx.opts.rate}/s`}`);
  const out = await runLoad(spec, ctx.workDir, name);
  ctx.placed.push(...out.ids);
  const stats = summarize(out, 201);
  ctx.unanswered += stats.errors + stats.abandoned;
  ctx.log(`${name}: ${stats.ok} orders, ${stats.throughput_per_s}/s, p50 ${stats.p50_ms} ms, p99 ${stats.p99_ms} ms, errors ${stats.errors}`
    + (stats.truncated ? `, stopped at the time limit (${stats.abandoned} in flight abandoned)` : '')
    + (stats.dropped > 0 ? `, ${stats.dropped} not sent (${ctx.opts.maxOutstanding} still waiting for an answer)` : ''));
  for (const e of out.sampleErrors) ctx.log(`  ${name} error sample: ${e}`);
  return { stats, ids: out.ids, sampleErrors: out.sampleErrors };
}

export interface Check {
  after: string;
  /** Seconds spent waiting for running order workflows to finish (false: they had not, in time). */
  quiesced_after_s: number | false;
  reconciliation_ok: boolean;
  failed_checks: string[];
  orders_answered_201: number;
  orders_completed_in_db: number;
  accounted: boolean;
}

/** Waits until no order workflow of this run is running: only then may the ledger balance. */
async function quiesce(ctx: Ctx): Promise<number | false> {
  const started = Date.now();
  const query = `WorkflowType = 'orderWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${ctx.taskQueue}'`;
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
 * API, as an operator would); every order answered 201 is in the database, COMPLETED; and the
 * bench's customers have no other COMPLETED order — except at most one per request that got no
 * 201 (a request that timed out may still have been carried out, which is correct).
 */
export async function check(ctx: Ctx, after: string): Promise<Check> {
  const quiesced = await quiesce(ctx);
  const res = await fetch(`${ctx.apiUrl}/api/v1/admin/reconciliation`, { headers: { authorization: `Bearer ${ctx.adminToken}` } });
  const body = await res.json() as { data: { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] } };
  const customerIds = ctx.fixtures.customers.map((c) => c.id);
  const [all] = await ctx.sql<{ n: number }[]>`
    SELECT count(*)::bigint AS n FROM orders WHERE status = 'COMPLETED' AND customer_id IN ${ctx.sql(customerIds)}`;
  let found = 0;
  for (let i = 0; i < ctx.placed.length; i += 10_000) {
    const [row] = await ctx.sql<{ n: number }[]>`
      SELECT count(*)::bigint AS n FROM orders WHERE status = 'COMPLETED' AND id IN ${ctx.sql(ctx.placed.slice(i, i + 10_000))}`;
    found += row!.n;
  }
  const extra = all!.n - ctx.placed.length;
  const result: Check = {
    after,
    quiesced_after_s: quiesced,
    reconciliation_ok: res.status === 200 && body.data.ok,
    failed_checks: (body.data.checks ?? []).filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
    orders_answered_201: ctx.placed.length,
    orders_completed_in_db: all!.n,
    accounted: found === ctx.placed.length && extra >= 0 && extra <= ctx.unanswered,
  };
  ctx.log(`check after ${after}: ${quiesced === false ? 'order workflows still running; ' : ''}reconciliation ${result.reconciliation_ok ? 'ok' : 'FAILED'}, `
    + `${result.orders_completed_in_db} orders in the database for ${result.orders_answered_201} answered 201${result.accounted ? '' : ' — NOT ACCOUNTED FOR'}`);
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
      timeoutMs: ctx.opts.requestTimeoutMs, collectIds: true, maxDurationMs: ctx.opts.phaseMaxMs / 3, maxOutstanding: 0,
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
    statuses: Object.values(passes).reduce<Record<string, number>>((acc, p) => {
      for (const [code, n] of Object.entries(p.statuses)) acc[code] = (acc[code] ?? 0) + n;
      return acc;
    }, {}),
    failures: outs.reduce((a, o) => a + o.failures, 0),
    sent: outs.reduce((a, o) => a + o.sent, 0),
    dropped: 0,
    abandoned: outs.reduce((a, o) => a + o.abandoned, 0),
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
