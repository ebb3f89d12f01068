/**
 * `npm run bench`: the product against the seed's direct-SQL design, same run, same machine.
 * See bench/README.md for the phases and the knobs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { loadConfigOrExit } from '../src/config.js';
import { createSql, type Sql } from '../src/db/client.js';
import { breakdown, sample } from './breakdown.js';
import { CpuMeter, cpuMsPer } from './cpu.js';
import { createFixtures, fund } from './fixtures.js';
import { floorPhase } from './floor.js';
import { stopLoadGenerators } from './load.js';
import { readOptions } from './options.js';
import { check, deliveryPhase, orderPhase, overloadOf, type Check, type Ctx } from './phases.js';
import { floorRatios, markdown, ratios, targets, writeResults, type Results } from './report.js';
import { RssSampler } from './rss.js';
import { between, scrape, type MetricRow } from './server-metrics.js';
import { startBenchSystem, type BenchSystem } from './system.js';
import { orderWorkflowId } from '../src/contracts/order.js';
import { deliveryWorkflowId } from '../src/contracts/delivery.js';

const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} [bench] ${m}\n`);
const opts = readOptions();
const config = loadConfigOrExit();
const startedAt = new Date();
const machine = {
  cores: os.cpus().length, cpu: os.cpus()[0]?.model.trim() ?? 'unknown', memory_gb: Math.round(os.totalmem() / 2 ** 30),
  node: process.version, os: `${os.type()} ${os.release()}`, load_avg_at_start: os.loadavg().map((l) => Math.round(l * 100) / 100),
};

let system: BenchSystem | undefined;
let sql: Sql | undefined;
const sampler = new RssSampler(() => system?.pids ?? {});
const cpu = new CpuMeter(() => system?.pids ?? {});
const serverMetrics: Record<string, MetricRow[]> = {};
/** Runs one phase and records the CPU each process spent on it and the dev server's own timings. */
async function phase<T>(name: string, run: () => Promise<T>): Promise<T> {
  const before = await scrape(system?.temporalMetricsUrl);
  cpu.start(name);
  try {
    return await run();
  } finally {
    cpu.stop(name);
    const rows = between(before, await scrape(system?.temporalMetricsUrl));
    if (rows.length > 0) serverMetrics[name] = rows;
  }
}
const workDir = await mkdtemp(join(os.tmpdir(), 'marketplace-bench-run-'));
let cleaning: Promise<void> | undefined;
/** Stops everything this run started, in reverse order; safe to call twice. */
const cleanup = () => (cleaning ??= (async () => {
  stopLoadGenerators();
  sampler.stop();
  await sql?.end({ timeout: 5 }).catch(() => undefined);
  await system?.stop();
  await rm(workDir, { recursive: true, force: true });
})());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { log(`${signal}: stopping everything`); void cleanup().finally(() => process.exit(130)); });
}
const watchdog = setTimeout(() => {
  log(`still running after ${opts.deadlineMs / 1000}s (BENCH_DEADLINE_S): stopping everything`);
  void cleanup().finally(() => process.exit(1));
}, opts.deadlineMs);

let ok = false;
try {
  log(`machine: ${machine.cores} cores, ${machine.memory_gb} GB, Node ${machine.node}, load ${machine.load_avg_at_start.join(' ')}`);
  system = await startBenchSystem(config, log);
  sampler.start();
  sql = createSql(system.databaseUrl, { max: 4 });
  log(`system up: API ${system.apiUrl}, Temporal ${system.temporalAddress}, logs in ${system.logDir}`);
  const fixtures = await createFixtures(system.apiUrl, system.adminToken, opts);
  log(`fixtures: ${fixtures.customers.length} customers, ${fixtures.providers.length} providers, ${fixtures.services.length} services`);
  const ctx: Ctx = {
    apiUrl: system.apiUrl, adminToken: system.adminToken, sql, temporal: new Client({ connection: system.temporal, namespace: system.namespace }),
    taskQueue: system.taskQueue, fixtures, opts, workDir, log, placed: [], offset: 0,
  };
  const checks: Check[] = [];
  const warmupConcurrency = Math.min(16, opts.concurrency);

  // The engine's own floor first, on the same server, with its own worker (stopped afterwards).
  const bench = system;
  const floorRun = await floorPhase(ctx, bench, (run) => phase('floor', run), cpu).catch((err: unknown) => {
    log(`engine floor FAILED: ${(err as Error).stack ?? String(err)}`);
    return undefined;
  });
  const floorErrors = floorRun ? Object.values(floorRun.detail).reduce((a, p) => a + p.errors, 0) : 1;

  // The product. Orders one at a time first (the latency floor), then a short warm-up at some
  // concurrency, so JIT compilation and first connections are not in the measured phases.
  const apiUrl = system.apiUrl;
  const closed = (concurrency: number) => ({ mode: 'closed' as const, concurrency });
  const open = (rate: number) => ({ mode: 'open' as const, rate });
  const sequential = await phase('orders_one_at_a_time', () => orderPhase(ctx, apiUrl, 'one-at-a-time', closed(1), opts.sequential));
  if (opts.warmup > 0) await orderPhase(ctx, apiUrl, 'warmup', closed(warmupConcurrency), opts.warmup);
  const saturated = await phase('orders', () => orderPhase(ctx, apiUrl, 'orders', closed(opts.concurrency), opts.orders));
  checks.push(await check(ctx, 'orders at saturation'));

  // The open-loop phases offer rates taken from the saturation throughput just measured.
  const saturation = saturated.stats.throughput_per_s;
  const rate = opts.rate ?? Math.max(1, Math.round(saturation / 2));
  const overloadRate = Math.max(1, Math.round(2 * saturation));
  await fund(apiUrl, system.adminToken, fixtures, 2 * rate * opts.rateSeconds + overloadRate * opts.overloadSeconds, 'bench-rates');
  const atRate = await phase('orders_at_rate', () => orderPhase(ctx, apiUrl, 'orders-at-rate', open(rate), rate * opts.rateSeconds));
  checks.push(await check(ctx, 'orders at a fixed rate'));
  const overloaded = await phase('overload', () => orderPhase(ctx, apiUrl, 'overload', open(overloadRate), overloadRate * opts.overloadSeconds));
  const overload = overloadOf(overloaded, overloadRate, opts.overloadSeconds);
  log(`overload: ${overload.accepted} accepted (${overload.accepted_per_s}/s, p99 ${overload.accepted_p99_ms ?? '-'} ms), `
    + `${overload.rejected} rejected (p99 ${overload.rejected_p99_ms ?? '-'} ms), ${overload.other_errors} other errors, slowest ${overload.max_ms} ms`);
  checks.push(await check(ctx, 'overload'));
  const deliveries = await phase('deliveries', () => deliveryPhase(ctx, saturated.ids));
  checks.push(await check(ctx, 'deliveries'));

  log('reading workflow histories');
  const { temporal, namespace } = system;
  const histories = {
    'an order on an idle system (one at a time)': await breakdown(temporal, namespace, sample(sequential.ids, opts.histories).map((id) => orderWorkflowId(id))),
    // These deliveries are never moved, so their whole history is the creation of the delivery.
    'the delivery workflow it starts (creating the delivery)': await breakdown(temporal, namespace,
      sample(sequential.ids, opts.histories).map((id) => deliveryWorkflowId(id))),
    'an order at saturation': await breakdown(temporal, namespace, sample(saturated.ids, opts.histories).map((id) => orderWorkflowId(id))),
  };

  // The baseline, against the same database, while the product's processes sit idle.
  const baselineUrl = await system.startBaseline();
  const baselineSequential = await phase('baseline_one_at_a_time', () => orderPhase(ctx, baselineUrl, 'baseline-one-at-a-time', closed(1), opts.sequential));
  if (opts.warmup > 0) await orderPhase(ctx, baselineUrl, 'baseline-warmup', closed(warmupConcurrency), opts.warmup);
  const baseline = await phase('baseline', () => orderPhase(ctx, baselineUrl, 'baseline', closed(opts.concurrency), opts.orders));
  checks.push(await check(ctx, 'baseline at saturation'));
  const baselineAtRate = await phase('baseline_at_rate', () => orderPhase(ctx, baselineUrl, 'baseline-at-rate', open(rate), rate * opts.rateSeconds));
  checks.push(await check(ctx, 'baseline at a fixed rate'));

  sampler.sample();
  const rateFrom = opts.rate === undefined ? 'half the saturation throughput' as const : 'BENCH_RATE' as const;
  const phases = {
    floor: floorRun?.floor ?? null,
    floor_detail: floorRun?.detail ?? null,
    orders_one_at_a_time: sequential.stats,
    baseline_one_at_a_time: baselineSequential.stats,
    orders: { ...saturated.stats, concurrency: opts.concurrency },
    orders_at_rate: { ...atRate.stats, rate_per_s: rate, seconds: opts.rateSeconds, rate_from: rateFrom },
    overload,
    deliveries,
    baseline: { ...baseline.stats, concurrency: opts.concurrency },
    baseline_at_rate: { ...baselineAtRate.stats, rate_per_s: rate, seconds: opts.rateSeconds, rate_from: rateFrom },
  };
  // CPU per unit of work, per process: what a change is judged by (steadier than throughput here).
  const productRoles = ['temporal', 'worker', 'api', 'postgres'];
  const cpuPer = {
    cpu_ms_per_order: cpuMsPer(cpu.phases.orders, saturated.stats.ok, productRoles),
    cpu_ms_per_transition: cpuMsPer(cpu.phases.deliveries, deliveries.transitions, productRoles),
    floor_cpu_ms: floorRun?.cpu_ms ?? null,
  };
  const verdict = {
    duration_s: Math.round((Date.now() - startedAt.getTime()) / 1000),
    reconciliation_ok: checks.every((c) => c.reconciliation_ok),
    accounted: checks.every((c) => c.accounted),
  };
  const results: Results = {
    started_at: startedAt.toISOString(),
    duration_s: verdict.duration_s,
    machine,
    setup: {
      topology: 'API and worker as separate processes',
      database: config.database.url ? 'external' : 'embedded PostgreSQL', temporal: config.temporal.address ? 'external' : 'dev server',
      db_pool_per_process: config.database.poolSize, customers: opts.customers, providers: opts.providers,
      services: fixtures.services.length, warmup_orders: opts.warmup, phase_time_limit_s: opts.phaseMaxMs / 1000,
      request_timeout_s: opts.requestTimeoutMs / 1000,
    },
    ...phases,
    ...cpuPer,
    ratio: ratios(phases),
    ratio_to_floor: floorRatios(phases),
    reconciliation_ok: verdict.reconciliation_ok,
    accounted: verdict.accounted,
    checks,
    peak_rss_mb: sampler.peaksMb(['api', 'worker', 'temporal', 'postgres', 'baseline', 'floor_worker']),
    breakdown: histories,
    cpu_s: cpu.phases,
    temporal_server: serverMetrics,
    temporal_server_warnings: system.temporalWarnings,
    targets: targets({ ...phases, ...cpuPer, ...verdict }),
  };
  await writeResults(results);
  process.stdout.write(`\n${markdown(results)}\n\nWritten: bench/results.json, bench/RESULTS.md\n`);
  const errors = [sequential, saturated, atRate, baselineSequential, baseline, baselineAtRate].reduce((a, p) => a + p.stats.errors, deliveries.errors)
    + overload.other_errors + floorErrors;
  ok = results.reconciliation_ok && results.accounted && errors === 0;
  if (!ok) log(`FAILED: ${errors} errors${floorRun ? '' : ' (the engine floor was not measured)'}, reconciliation ${results.reconciliation_ok ? 'ok' : 'failed'}, accounted ${results.accounted}`);
} catch (err) {
  log(`FAILED: ${(err as Error).stack ?? String(err)}`);
} finally {
  clearTimeout(watchdog);
  const pids = { ...system?.pids };
  await cleanup();
  const alive = Object.entries(pids).filter(([, pid]) => pid !== undefined && isAlive(pid));
  if (alive.length > 0) {
    ok = false;
    log(`left running: ${alive.map(([role, pid]) => `${role} (pid ${pid})`).join(', ')}`);
  }
  if (system && ok) await rm(system.logDir, { recursive: true, force: true });
  else if (system) log(`the processes' output is kept in ${system.logDir}`);
}
process.exitCode = ok ? 0 : 1;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
