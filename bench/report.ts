import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Breakdown } from './breakdown.js';
import type { CpuUse } from './cpu.js';
import type { MetricRow } from './server-metrics.js';
import type { PhaseStats } from './load.js';
import type { FloorOutput } from './floor-load.js';
import type { Floor } from './floor.js';
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

/** The acceptance targets of issue 9, checked against this run; a phase with errors meets none of its own. */
export function targets(r: Pick<Results, 'floor' | 'orders_one_at_a_time' | 'orders' | 'orders_at_rate' | 'overload' | 'deliveries' | 'reconciliation_ok' | 'accounted' | 'duration_s'>): Results['targets'] {
  const clean = (s: { errors: number }) => s.errors === 0;
  const of = (factor: number, x: number | undefined) => (x === undefined ? 'n/a: no floor' : `${Math.round(factor * x * 10) / 10}`);
  const o = r.orders, one = r.orders_one_at_a_time, at = r.orders_at_rate, ov = r.overload, d = r.deliveries, f = r.floor ?? undefined;
  return {
    one_order_p50_ms: { target: 'one order at a time: p50 ≤ 25 ms, 0 errors', measured: one.p50_ms, met: one.ok > 0 && one.p50_ms <= 25 && clean(one) },
    orders_per_s: {
      target: `saturation: ≥ 50 orders/s and ≥ 0.8 × floor.parent_child_per_s (${of(0.8, f?.parent_child_per_s)}), 0 errors`, measured: o.throughput_per_s,
      met: f !== undefined && o.throughput_per_s >= 50 && o.throughput_per_s >= 0.8 * f.parent_child_per_s && clean(o),
    },
    p99_at_half_rate_ms: {
      target: `at half the saturation rate (${at.rate_per_s}/s${at.rate_from === 'BENCH_RATE' ? ', set by BENCH_RATE' : ''}): p99 ≤ 250 ms, 0 errors`, measured: at.p99_ms,
      met: at.ok > 0 && at.p99_ms <= 250 && clean(at),
    },
    overload_accepted_per_s: {
      target: `overload (${ov.rate_per_s}/s offered): accepted ≥ 0.8 × the saturation throughput (${of(0.8, o.throughput_per_s)}/s)`, measured: ov.accepted_per_s,
      met: ov.accepted_per_s >= 0.8 * o.throughput_per_s && ov.accepted > 0,
    },
    overload_accepted_p99_ms: { target: 'overload: accepted p99 ≤ 1.5 s', measured: ov.accepted_p99_ms, met: ov.accepted_p99_ms !== null && ov.accepted_p99_ms <= 1500 },
    overload_rejected_p99_ms: {
      target: 'overload: rejected (503) p99 ≤ 50 ms', measured: ov.rejected_p99_ms ?? 'none rejected', met: ov.rejected_p99_ms === null || ov.rejected_p99_ms <= 50,
    },
    overload_max_ms: { target: 'overload: no answer slower than 3 s', measured: ov.max_ms, met: ov.max_ms <= 3000 && ov.other_errors === 0 },
    overload_other_errors: { target: 'overload: no error other than 503', measured: ov.other_errors, met: ov.other_errors === 0 },
    transitions_per_s: {
      target: `delivery transitions: ≥ 150/s and ≥ 0.8 × floor.updates_per_s (${of(0.8, f?.updates_per_s)}), 0 errors`, measured: d.transitions_per_s,
      met: f !== undefined && d.transitions_per_s >= 150 && d.transitions_per_s >= 0.8 * f.updates_per_s && clean(d),
    },
    accounted: {
      target: 'reconciliation ok and the orders in the database exactly those answered 201, after every phase',
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
    `| orders at saturation (${o.requested} at concurrency ${o.concurrency}) | **${o.throughput_per_s}/s**${cut(o)} | ${b.throughput_per_s}/s${cut(b)} | ${r.ratio.throughput} |`,
    `| latency p50 / p95 / p99 / max (ms) | ${lat(o)} | ${lat(b)} | p50 ${r.ratio.p50}, p99 ${r.ratio.p99} |`,
    `| errors (not 201, or no answer) | ${o.errors} | ${b.errors} | |`,
    `| orders at ${or.rate_per_s}/s (${rateWhy}) for ${or.seconds} s, open loop: achieved | ${or.throughput_per_s}/s | ${br.throughput_per_s}/s | |`,
    `| latency from the planned send, p50 / p95 / p99 / max (ms) | ${lat(or)} | ${lat(br)} | p50 ${r.ratio.at_rate_p50}, p99 ${r.ratio.at_rate_p99} |`,
    `| errors (not 201, or no answer) | ${or.errors} | ${br.errors} | |`,
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
    '| target (issue 9) | measured | met |',
    '|---|---|---|',
    ...Object.values(r.targets).map((t) => `| ${t.target} | ${t.measured ?? 'n/a'} | ${t.met ? 'yes' : '**no**'} |`),
  );
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
  await writeFile(join(REPO, 'bench', 'RESULTS.md'), md);
}
