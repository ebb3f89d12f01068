import type { Sql } from '../src/db/client.js';
import type { DeliveryAction } from '../src/domain/delivery.js';
import { orderRequests, type Fixtures } from './fixtures.js';
import { runLoad, summarize, type LoadOutput, type LoadSpec, type PhaseStats } from './load.js';
import type { BenchOptions } from './options.js';

export interface Ctx {
  apiUrl: string;
  adminToken: string;
  sql: Sql;
  fixtures: Fixtures;
  opts: BenchOptions;
  workDir: string;
  log: (m: string) => void;
  /** Every order id answered 201 so far, by any phase: what the database must hold. */
  placed: string[];
  /** Spreads successive phases over different customers. */
  offset: number;
}

export interface OrderPhase { stats: PhaseStats; ids: string[]; sampleErrors: string[] }

/** Orders against `baseUrl` (the product or the baseline), closed loop or at a fixed rate. */
export async function orderPhase(ctx: Ctx, baseUrl: string, name: string, mode: 'closed' | 'open', count: number, concurrency: number): Promise<OrderPhase> {
  const spec: LoadSpec = {
    mode, baseUrl, requests: orderRequests(ctx.fixtures, count, ctx.offset), concurrency, rate: ctx.opts.rate,
    expectStatus: 201, timeoutMs: ctx.opts.requestTimeoutMs, collectIds: true,
  };
  ctx.offset += count;
  ctx.log(`${name}: ${count} orders ${mode === 'closed' ? `at concurrency ${concurrency}` : `at ${ctx.opts.rate}/s`}`);
  const out = await runLoad(spec, ctx.workDir, name);
  ctx.placed.push(...out.ids);
  const stats = summarize(out, 201);
  ctx.log(`${name}: ${stats.throughput_per_s}/s, p50 ${stats.p50_ms} ms, p99 ${stats.p99_ms} ms, errors ${stats.errors}`);
  for (const e of out.sampleErrors) ctx.log(`  ${name} error sample: ${e}`);
  return { stats, ids: out.ids, sampleErrors: out.sampleErrors };
}

export interface Check { after: string; reconciliation_ok: boolean; failed_checks: string[]; orders_answered_201: number; orders_completed_in_db: number; accounted: boolean }

/**
 * After a phase: the ledger reconciles (asked through the API, as an operator would), and the
 * database holds exactly the orders that were answered 201 — every one of them COMPLETED, and no
 * other COMPLETED order of the bench's customers (an order recorded after its request failed
 * would show up here).
 */
export async function check(ctx: Ctx, after: string): Promise<Check> {
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
  const result: Check = {
    after,
    reconciliation_ok: res.status === 200 && body.data.ok,
    failed_checks: (body.data.checks ?? []).filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
    orders_answered_201: ctx.placed.length,
    orders_completed_in_db: all!.n,
    accounted: found === ctx.placed.length && all!.n === ctx.placed.length,
  };
  ctx.log(`check after ${after}: reconciliation ${result.reconciliation_ok ? 'ok' : 'FAILED'}, ${result.orders_completed_in_db} orders in the database for ${result.orders_answered_201} answered 201${result.accounted ? '' : ' — NOT ACCOUNTED FOR'}`);
  for (const f of result.failed_checks) ctx.log(`  ${f}`);
  return result;
}

export interface DeliveryPhase {
  count: number;
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
 * customer), one pass per action at the bench's concurrency, then waits until every provider
 * payout is in the ledger. Rates are over the time the passes ran (not the process start-ups
 * between them); the payout time runs from the first transition sent.
 */
export async function deliveryPhase(ctx: Ctx, orderIds: string[]): Promise<DeliveryPhase> {
  const rows = await ctx.sql<{ id: string; customerId: number; providerId: number }[]>`
    SELECT id, customer_id AS "customerId", provider_id AS "providerId" FROM service_deliveries WHERE order_id IN ${ctx.sql(orderIds)}`;
  const outs: LoadOutput[] = [];
  const passes: Record<string, PhaseStats> = {};
  for (const action of ['start', 'submit', 'approve'] as DeliveryAction[]) {
    const requests = rows.map((d) => ({
      method: 'POST' as const, path: `/api/v1/deliveries/${d.id}/${action}`,
      token: ctx.fixtures.tokenOf.get(action === 'approve' ? d.customerId : d.providerId)!,
    }));
    ctx.log(`deliveries: ${rows.length} × ${action}`);
    const out = await runLoad({
      mode: 'closed', baseUrl: ctx.apiUrl, requests, concurrency: ctx.opts.concurrency, rate: 0,
      expectStatus: 200, timeoutMs: ctx.opts.requestTimeoutMs, collectIds: false,
    }, ctx.workDir, `deliveries-${action}`);
    outs.push(out);
    passes[action] = summarize(out, 200);
    for (const e of out.sampleErrors) ctx.log(`  ${action} error sample: ${e}`);
  }
  const lastAnswer = outs.at(-1)!.startedAt + outs.at(-1)!.durationMs;
  // A refused approve pays nothing out; a timed-out one may still pay: wait for the answered ones.
  const payoutsAt = await waitForPayouts(ctx, orderIds, passes.approve!.ok);
  const all = summarize({
    startedAt: outs[0]!.startedAt,
    durationMs: outs.reduce((a, o) => a + o.durationMs, 0),
    latenciesMs: outs.flatMap((o) => o.latenciesMs),
    statuses: Object.values(passes).reduce<Record<string, number>>((acc, p) => {
      for (const [code, n] of Object.entries(p.statuses)) acc[code] = (acc[code] ?? 0) + n;
      return acc;
    }, {}),
    failures: outs.reduce((a, o) => a + o.failures, 0), ids: [], sampleErrors: [],
  }, 200);
  const result = {
    count: rows.length, transitions: all.ok, transitions_per_s: all.throughput_per_s,
    p50_ms: all.p50_ms, p95_ms: all.p95_ms, p99_ms: all.p99_ms, max_ms: all.max_ms,
    payouts_done_ms: Math.round(payoutsAt - outs[0]!.startedAt),
    payouts_after_last_answer_ms: Math.max(0, Math.round(payoutsAt - lastAnswer)),
    errors: all.errors, passes,
  };
  ctx.log(`deliveries: ${result.transitions_per_s} transitions/s, p99 ${result.p99_ms} ms, all payouts after ${result.payouts_done_ms} ms, errors ${result.errors}`);
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
