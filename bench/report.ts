import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Breakdown } from './breakdown.js';
import type { CpuPerUnit, CpuUse } from './cpu.js';
import type { MetricRow } from './server-metrics.js';
import type { PhaseStats } from './load.js';
import type { FloorOutput } from './floor-load.js';
import type { Floor, FloorCpu } from './floor.js';
import type { Check, DeliveryPhase, Overload } from './phases.js';
import { REPO } from './roles.js';
import type { Role } from './rss.js';

export interface Machine { cores: number; cpu: string; memory_gb: number; node: string; os: string; load_avg_at_start: number[] }

export type AtRate = PhaseStats & { rate_per_s: number; seconds: number; rate_from: 'BENCH_RATE' | 'half the saturation throughput' };

export interface Results {
  started_at: string;
  duration_s: number;
  machine: Machine;
  setup: Record<string, unknown>;
  /** The engine's own floor on this machine and server; null when that phase failed. */
  floor: Floor | null;
  floor_detail: FloorOutput | null;
  orders_one_at_a_time: PhaseStats;
  baseline_one_at_a_time: PhaseStats;
  orders: PhaseStats & { concurrency: number };
  orders_at_rate: AtRate;
  overload: Overload;
  deliveries: DeliveryPhase;
  baseline: PhaseStats & { concurrency: number };
  baseline_at_rate: AtRate;
  ratio: { throughput: number; p50: number; p99: number; at_rate_p50: number; at_rate_p99: number };
  /** The product ÷ the engine floor. */
  ratio_to_floor: FloorRatios | null;
  reconciliation_ok: boolean;
  accounted: boolean;
  checks: Check[];
  peak_rss_mb: Record<Role, number | null>;
  breakdown: Record<string, Breakdown>;
  cpu_s: Record<string, CpuUse>;
  /** CPU ms per order completed at saturation (the `orders` phase), per process: temporal (the dev
   *  server), worker, api, postgres, and their total. */
  cpu_ms_per_order: CpuPerUnit;
  /** CPU ms per delivery transition (the `deliveries` phase, payouts included), likewise. */
  cpu_ms_per_transition: CpuPerUnit;
  /** The engine floor's CPU ms per shape (dev server, floor worker, total); null when the floor failed. */
  floor_cpu_ms: FloorCpu | null;
  temporal_server: Record<string, MetricRow[]>;
  temporal_server_warnings: Record<string, number>;
  targets: Record<string, Target>;
}

export interface FloorRatios {
  /** Orders per second at saturation ÷ parents + children per second. */
  orders_per_s_to_parent_child_per_s: number;
  /** Delivery transitions per second ÷ Updates per second. */
  transitions_per_s_to_updates_per_s: number;
  /** One order at a time p50 ÷ one no-op workflow at a time p50. */
  one_order_p50_to_workflow_p50: number;
}

export interface Target { target: string; measured: number | string | null; met: boolean }

const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 100) / 100);

export function ratios(r: Pick<Results, 'orders' | 'baseline' | 'orders_at_rate' | 'baseline_at_rate'>): Results['ratio'] {
  return {
    throughput: ratio(r.orders.throughput_per_s, r.baseline.throughput_per_s),
    p50: ratio(r.orders.p50_ms, r.baseline.p50_ms),
    p99: ratio(r.orders.p99_ms, r.baseline.p99_ms),
    at_rate_p50: ratio(r.orders_at_rate.p50_ms, r.baseline_at_rate.p50_ms),
    at_rate_p99: ratio(r.orders_at_rate.p99_ms, r.baseline_at_rate.p99_ms),
  };
}

export function floorRatios(r: Pick<Results, 'floor' | 'orders' | 'deliveries' | 'orders_one_at_a_time'>): FloorRatios | null {
  if (!r.floor) return null;
  return {
    orders_per_s_to_parent_child_per_s: ratio(r.orders.throughput_per_s, r.floor.parent_child_per_s),
    transitions_per_s_to_updates_per_s: ratio(r.deliveries.transitions_per_s, r.floor.updates_per_s),
    one_order_p50_to_workflow_p50: ratio(r.orders_one_at_a_time.p50_ms, r.floor.workflow_p50_ms),
  };
}

/** Dev server + worker CPU ms per unit (null when either was not measured). */
const serverAndWorker = (c: CpuPerUnit | undefined, worker: 'worker' | 'floor_worker'): number | null => {
  const [t, w] = [c?.temporal, c?.[worker]];
  return t === null || t === undefined || w === null || w === undefined ? null : Math.round((t + w) * 100) / 100;
};

/**
 * The acceptance targets of issue 18, checked against this run: ratios to the engine floor of the
 * same run (these machines differ 2–3× from day to day), no absolute rates. A phase with errors
 * meets none of its own; at saturation a 503 waited out and sent again is not an error, at half
 * the saturation rate it is (nothing may be shed there).
 */
export function targets(r: Pick<Results, 'floor' | 'floor_cpu_ms' | 'orders_one_at_a_time' | 'orders' | 'orders_at_rate' | 'overload' | 'deliveries'
  | 'cpu_ms_per_transition' | 'reconciliation_ok' | 'accounted' | 'duration_s'>): Results['targets'] {
  const clean = (s: { errors: number }) => s.errors === 0;
  const of = (factor: number, x: number | null | undefined) => (x === undefined || x === null ? 'n/a: no floor' : `${Math.round(factor * x * 10) / 10}`);
  const o = r.orders, one = r.orders_one_at_a_time, at = r.orders_at_rate, ov = r.overload, d = r.deliveries, f = r.floor ?? undefined;
  const transitionCpu = serverAndWorker(r.cpu_ms_per_transition, 'worker');
  const updateCpu = serverAndWorker(r.floor_cpu_ms?.update, 'floor_worker');
  return {
    overload_accepted_p99_ms: {
      target: `overload (${ov.rate_per_s}/s offered, twice the saturation throughput): accepted p99 ≤ 1.5 s`, measured: ov.accepted_p99_ms,
      met: ov.accepted_p99_ms !== null && ov.accepted_p99_ms <= 1500,
    },
    overload_max_ms: { target: 'overload: no answer slower than 3 s', measured: ov.max_ms, met: ov.max_ms <= 3000 && ov.other_errors === 0 },
    overload_accepted_per_s: {
      target: `overload: accepted ≥ 0.8 × the saturation throughput (${of(0.8, o.throughput_per_s)}/s)`, measured: ov.accepted_per_s,
      met: ov.accepted_per_s >= 0.8 * o.throughput_per_s && ov.accepted > 0,
    },
    overload_rejected_p99_ms: {
      target: 'overload: rejected (503) p99 ≤ 50 ms', measured: ov.rejected_p99_ms ?? 'none rejected', met: ov.rejected_p99_ms === null || ov.rejected_p99_ms <= 50,
    },
    overload_other_errors: { target: 'overload: no error other than 503', measured: ov.other_errors, met: ov.other_errors === 0 },
    orders_per_s: {
      target: `saturation: orders completed (201) per s ≥ 0.8 × floor.parent_child_per_s (${of(0.8, f?.parent_child_per_s)}), 0 errors other than counted 503s`,
      measured: o.throughput_per_s, met: f !== undefined && o.ok > 0 && o.throughput_per_s >= 0.8 * f.parent_child_per_s && clean(o),
    },
    one_order_p50_ms: {
      target: `one order at a time: p50 ≤ 2.5 × floor.workflow_p50_ms (${of(2.5, f?.workflow_p50_ms)} ms), 0 errors`, measured: one.p50_ms,
      met: f !== undefined && one.ok > 0 && one.p50_ms <= 2.5 * f.workflow_p50_ms && clean(one),
    },
    transitions_per_s: {
      target: `delivery transitions: ≥ 0.35 × floor.updates_per_s (${of(0.35, f?.updates_per_s)}/s), 0 errors`, measured: d.transitions_per_s,
      met: f !== undefined && d.transitions > 0 && d.transitions_per_s >= 0.35 * f.updates_per_s && clean(d),
    },
    transition_cpu_ms: {
      target: `dev server + worker CPU per transition ≤ 2 × the floor's dev server + worker CPU per Update (${of(2, updateCpu)} ms)`, measured: transitionCpu,
      met: transitionCpu !== null && updateCpu !== null && transitionCpu <= 2 * updateCpu,
    },
    p99_at_half_rate_ms: {
      target: `at half the saturation rate (${at.rate_per_s}/s${at.rate_from === 'BENCH_RATE' ? ', set by BENCH_RATE' : ''}): p99 ≤ 250 ms, 0 errors (a 503 is one: nothing may be shed)`,
      measured: at.p99_ms, met: at.ok > 0 && at.p99_ms <= 250 && clean(at),
    },
    accounted: {
      target: 'reconciliation ok and the orders in the database exactly those answered 201 (so no 503 placed one), after every phase',
      measured: r.reconciliation_ok && r.accounted ? 'yes' : 'no', met: r.reconciliation_ok && r.accounted,
    },
    duration_s: { target: 'the whole bench in under 10 minutes (s)', measured: r.duration_s, met: r.duration_s < 600 },
  };
}

const mb = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a (external)' : `${v} MiB`);
const cut = (s: PhaseStats) => (s.truncated ? ` (time limit: ${s.ok} of ${s.requested} done, ${s.count} sent)` : '');
const lat = (s: { p50_ms: number; p95_ms: number; p99_ms: number; max_ms: number }) => `${s.p50_ms} / ${s.p95_ms} / ${s.p99_ms} / ${s.max_ms}`;
const ms = (v: number | null) => (v === null ? 'none' : `${v}`);

/** The table of RESULTS.md and of the console. */
export function markdown(r: Results): string {
  const o = r.orders, b = r.baseline, or = r.orders_at_rate, br = r.baseline_at_rate, ov = r.overload, d = r.deliveries;
  const rateWhy = or.rate_from === 'BENCH_RATE' ? 'BENCH_RATE' : 'half the saturation throughput';
  const lines = [
    `Run of ${r.started_at} (${r.duration_s} s): ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memory_gb} GB, Node ${r.machine.node}, ${r.machine.os}; load average at start ${r.machine.load_avg_at_start.join(' ')}.`,
    `Setup: ${Object.entries(r.setup).map(([k, v]) => `${k} ${String(v)}`).join(', ')}.`,
    '',
    '| | Temporal (product) | baseline: one SQL transaction | Temporal ÷ baseline |',
    '|---|---|---|---|',
    `| one order at a time (${r.orders_one_at_a_time.count} in a row): p50 / p95 / p99 / max (ms) | ${lat(r.orders_one_at_a_time)} | ${lat(r.baseline_one_at_a_time)} | p50 ${ratio(r.orders_one_at_a_time.p50_ms, r.baseline_one_at_a_time.p50_ms)} |`,
    `| orders at saturation (${o.requested} at concurrency ${o.concurrency}): completed (201) per s | **${o.throughput_per_s}/s**${cut(o)} | ${b.throughput_per_s}/s${cut(b)} | ${r.ratio.throughput} |`,
    `| latency of the answers but the counted 503s, p50 / p95 / p99 / max (ms) | ${lat(o)} | ${lat(b)} | p50 ${r.ratio.p50}, p99 ${r.ratio.p99} |`,
    `| 503 with Retry-After (admission control), waited out and sent again | ${o.shed} | ${b.shed} | |`,
    `| errors (neither 201 nor a counted 503, or no answer) | ${o.errors} | ${b.errors} | |`,
    `| orders at ${or.rate_per_s}/s (${rateWhy}) for ${or.seconds} s, open loop: achieved | ${or.throughput_per_s}/s | ${br.throughput_per_s}/s | |`,
    `| latency from the planned send, p50 / p95 / p99 / max (ms) | ${lat(or)} | ${lat(br)} | p50 ${r.ratio.at_rate_p50}, p99 ${r.ratio.at_rate_p99} |`,
    `| errors (not 201 — a 503 included: nothing may be shed here — or no answer) | ${or.errors} | ${br.errors} | |`,
    `| overload: ${ov.rate_per_s}/s (twice the saturation throughput) for ${ov.seconds} s, open loop: accepted (201) | **${ov.accepted_per_s}/s** (${ov.accepted}) | | |`,
    `| rejected (503) / other errors | ${ov.rejected}${ov.rejected_without_retry_after > 0 ? ` (${ov.rejected_without_retry_after} without Retry-After)` : ''} / ${ov.other_errors} | | |`,
    `| accepted p99 / rejected p99 / slowest answer (ms) | ${ms(ov.accepted_p99_ms)} / ${ms(ov.rejected_p99_ms)} / ${ov.max_ms} | | |`,
    `| delivery transitions (${d.count} deliveries × start, submit, approve) | **${d.transitions_per_s}/s**${d.truncated ? ` (time limit: ${d.completed} of ${d.count} completed)` : ''} | | |`,
    `| transition latency p50 / p95 / p99 / max (ms) | ${d.p50_ms} / ${d.p95_ms} / ${d.p99_ms} / ${d.max_ms} | | |`,
    `| every payout landed after (from the first transition) | ${(d.payouts_done_ms / 1000).toFixed(1)} s (${d.payouts_after_last_answer_ms} ms after the last answer) | | |`,
    `| errors | ${d.errors} | | |`,
    `| reconciliation ok, and the orders in the database exactly those answered 201, after each phase | ${r.reconciliation_ok && r.accounted ? 'yes' : '**NO**'} | | |`,
    `| peak memory: API / worker / Temporal / PostgreSQL | ${mb(r.peak_rss_mb.api)} / ${mb(r.peak_rss_mb.worker)} / ${mb(r.peak_rss_mb.temporal)} / ${mb(r.peak_rss_mb.postgres)} | API ${mb(r.peak_rss_mb.baseline)} | |`,
    '',
  ];
  const f = r.floor, fd = r.floor_detail, fr = r.ratio_to_floor;
  if (f && fd && fr) {
    lines.push(
      `The engine floor: bench-only no-op workflows on the same Temporal server, a worker built by the product's \`createWorker\` (peak ${mb(r.peak_rss_mb.floor_worker)}), after a warm-up, ${fd.workflows.requested} of each at concurrency ${fd.workflows.concurrency}.`,
      '',
      '| | engine floor | product | product ÷ floor |',
      '|---|---|---|---|',
      `| one at a time: a no-op workflow (start + result) / one order, p50 (ms) | ${f.workflow_p50_ms} (p99 ${fd.one_at_a_time.p99_ms}) | ${r.orders_one_at_a_time.p50_ms} | ${fr.one_order_p50_to_workflow_p50} |`,
      `| at saturation: parents that start a child (ABANDON) / orders, per s | **${f.parent_child_per_s}/s** (p99 ${fd.parent_child.p99_ms} ms) | ${o.throughput_per_s}/s | ${fr.orders_per_s_to_parent_child_per_s} |`,
      `| no-op workflows at saturation, per s | ${f.workflows_per_s}/s (p99 ${fd.workflows.p99_ms} ms) | | |`,
      `| Updates on running, cached workflows / delivery transitions, per s | **${f.updates_per_s}/s** (p99 ${fd.updates.p99_ms} ms) | ${d.transitions_per_s}/s | ${fr.transitions_per_s_to_updates_per_s} |`,
      `| errors | ${Object.values(fd).reduce((a, p) => a + p.errors, 0)} | | |`,
      '',
    );
  } else {
    lines.push('The engine floor: **not measured** (the phase failed; see the run\'s log).', '');
  }
  lines.push(
    '| target (issue 18: ratios to the engine floor of this run) | measured | met |',
    '|---|---|---|',
    ...Object.values(r.targets).map((t) => `| ${t.target} | ${t.measured ?? 'n/a'} | ${t.met ? 'yes' : '**no**'} |`),
  );
  const cms = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${v}`);
  const cpuRow = (what: string, c: CpuPerUnit | undefined, worker: 'worker' | 'floor_worker') =>
    `| ${what} | ${cms(c?.temporal)} | ${cms(c?.[worker])} | ${worker === 'worker' ? `${cms(c?.api)} | ${cms(c?.postgres)}` : ' | '} | ${cms(serverAndWorker(c, worker))} | ${cms(c?.total)} |`;
  lines.push('', 'CPU milliseconds per unit of work, per process (product: the saturation and deliveries phases; floor: its worker, each shape measured alone)', '',
    '| per | dev server | worker | API | PostgreSQL | dev server + worker | total |', '|---|---|---|---|---|---|---|',
    cpuRow(`order completed at saturation (${o.ok})`, r.cpu_ms_per_order, 'worker'),
    cpuRow(`delivery transition (${d.transitions}, payouts included)`, r.cpu_ms_per_transition, 'worker'),
    ...(r.floor_cpu_ms
      ? [cpuRow('floor: no-op workflow', r.floor_cpu_ms.workflow, 'floor_worker'), cpuRow('floor: parent + child', r.floor_cpu_ms.parent_child, 'floor_worker'),
        cpuRow('floor: Update on a running workflow', r.floor_cpu_ms.update, 'floor_worker')]
      : ['| floor | not measured | | | | | |']));
  const roles = [...new Set(Object.values(r.cpu_s).flatMap((u) => Object.keys(u)))];
  if (roles.length > 0) {
    lines.push('', 'CPU seconds spent per phase (`other`: processes outside this run; `capacity`: cores × phase duration)', '',
      `| phase | ${roles.join(' | ')} |`, `|---|${roles.map(() => '---').join('|')}|`,
      ...Object.entries(r.cpu_s).map(([phase, use]) => `| ${phase} | ${roles.map((role) => use[role] ?? '').join(' | ')} |`));
    // Other users' processes on a small machine move the numbers by tens of percent: say so.
    const disturbed = Object.entries(r.cpu_s).filter(([, u]) => (u.other ?? 0) > 0.1 * (u.capacity ?? Infinity)).map(([phase]) => phase);
    if (disturbed.length > 0) lines.push('', `**Disturbed:** other processes took more than 10% of the machine during ${disturbed.join(', ')}; compare those phases with care.`);
  }
  const server = r.temporal_server.orders;
  if (server) {
    lines.push('', 'The Temporal dev server during the saturation phase: where its time went (its Prometheus metrics; long polls left out)', '',
      '| metric | service, operation | count | total s | mean ms |', '|---|---|---|---|---|',
      ...server.map((m) => `| ${m.metric} | ${m.operation} | ${m.count} | ${m.total_s} | ${m.mean_ms} |`));
  }
  const warnings = Object.entries(r.temporal_server_warnings);
  if (warnings.length > 0) lines.push('', `The dev server logged: ${warnings.map(([msg, n]) => `${n} × ${msg}`).join('; ')}.`);
  for (const [name, bd] of Object.entries(r.breakdown)) {
    lines.push('', `Where the time goes: ${name} (${bd.workflows} workflow histories, total p50 ${bd.total_p50_ms} ms, mean ${bd.total_mean_ms} ms)`, '',
      '| step | mean ms | p50 ms | times per workflow |', '|---|---|---|---|',
      ...bd.rows.filter((row) => row.mean_ms >= 0.5).map((row) => `| ${row.step} | ${row.mean_ms} | ${row.p50_ms} | ${row.per_workflow} |`));
  }
  return lines.join('\n');
}

export async function writeResults(r: Results): Promise<void> {
  await writeFile(join(REPO, 'bench', 'results.json'), `${JSON.stringify(r, null, 2)}\n`);
  const md = [
    '# Benchmark: latest results', '',
    'Written by `npm run bench` (see [README.md](README.md) for what each phase does); the full numbers are in `bench/results.json` (not committed).',
    'Peak memory of PostgreSQL is the sum of the PSS of all its processes; of the others, their VmHWM.', '',
    markdown(r), '',
  ].join('\n');
  const file = join(REPO, 'bench', 'RESULTS.md');
  // `npm run bench:scale` keeps its own section at the end of the file (bench/scale.ts): kept as it is.
  const scale = /\n## Scale[^\n]*\n[\s\S]*<!-- scale:end -->\n?/.exec(await readFile(file, 'utf8').catch(() => ''))?.[0];
  await writeFile(file, scale ? `${md.trimEnd()}\n${scale}` : md);
}
