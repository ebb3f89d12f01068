import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Breakdown } from './breakdown.js';
import type { CpuUse } from './cpu.js';
import type { MetricRow } from './server-metrics.js';
import type { PhaseStats } from './load.js';
import type { Check, DeliveryPhase } from './phases.js';
import { REPO } from './roles.js';
import type { Role } from './rss.js';

export interface Machine { cores: number; cpu: string; memory_gb: number; node: string; os: string; load_avg_at_start: number[] }

export interface Results {
  started_at: string;
  duration_s: number;
  machine: Machine;
  setup: Record<string, unknown>;
  orders_one_at_a_time: PhaseStats;
  baseline_one_at_a_time: PhaseStats;
  orders: PhaseStats & { concurrency: number };
  orders_at_rate: PhaseStats & { rate_per_s: number; seconds: number };
  deliveries: DeliveryPhase;
  baseline: PhaseStats & { concurrency: number };
  baseline_at_rate: PhaseStats & { rate_per_s: number; seconds: number };
  ratio: { throughput: number; p50: number; p99: number; at_rate_p50: number; at_rate_p99: number };
  reconciliation_ok: boolean;
  accounted: boolean;
  checks: Check[];
  peak_rss_mb: Record<Role, number | null>;
  breakdown: Record<string, Breakdown>;
  cpu_s: Record<string, CpuUse>;
  temporal_server: Record<string, MetricRow[]>;
  temporal_server_warnings: Record<string, number>;
  targets: Record<string, { target: string; measured: number; met: boolean }>;
}

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

/** The acceptance targets of issue 5, checked against this run; a phase with errors meets none. */
export function targets(r: Pick<Results, 'orders' | 'orders_at_rate' | 'deliveries'>): Results['targets'] {
  const clean = (s: { errors: number }) => s.errors === 0;
  return {
    orders_per_s: { target: '≥ 150 orders/s at saturation, no errors', measured: r.orders.throughput_per_s, met: r.orders.throughput_per_s >= 150 && clean(r.orders) },
    p99_at_rate_ms: {
      target: '≤ 150 ms p99 at 50 orders/s, no errors', measured: r.orders_at_rate.p99_ms,
      met: r.orders_at_rate.ok > 0 && r.orders_at_rate.p99_ms <= 150 && clean(r.orders_at_rate),
    },
    transitions_per_s: { target: '≥ 300 transitions/s, no errors', measured: r.deliveries.transitions_per_s, met: r.deliveries.transitions_per_s >= 300 && clean(r.deliveries) },
  };
}

const mb = (v: number | null) => (v === null ? 'n/a (external)' : `${v} MiB`);
const cut = (s: PhaseStats) => (s.truncated ? ` (time limit: ${s.ok} of ${s.requested} done, ${s.abandoned} in flight abandoned)` : '');
const lat = (s: PhaseStats) => `${s.p50_ms} / ${s.p95_ms} / ${s.p99_ms} / ${s.max_ms}`;

/** The table of RESULTS.md and of the console. */
export function markdown(r: Results): string {
  const o = r.orders, b = r.baseline, or = r.orders_at_rate, br = r.baseline_at_rate, d = r.deliveries;
  const lines = [
    `Run of ${r.started_at} (${r.duration_s} s): ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memory_gb} GB, Node ${r.machine.node}, ${r.machine.os}; load average at start ${r.machine.load_avg_at_start.join(' ')}.`,
    `Setup: ${Object.entries(r.setup).map(([k, v]) => `${k} ${String(v)}`).join(', ')}.`,
    '',
    '| | Temporal (product) | baseline: one SQL transaction | Temporal ÷ baseline |',
    '|---|---|---|---|',
    `| one order at a time (${r.orders_one_at_a_time.count} in a row): p50 / p95 / p99 / max (ms) | ${lat(r.orders_one_at_a_time)} | ${lat(r.baseline_one_at_a_time)} | p50 ${ratio(r.orders_one_at_a_time.p50_ms, r.baseline_one_at_a_time.p50_ms)} |`,
    `| orders at saturation (${o.count} at concurrency ${o.concurrency}) | **${o.throughput_per_s}/s**${cut(o)} | ${b.throughput_per_s}/s${cut(b)} | ${r.ratio.throughput} |`,
    `| latency p50 / p95 / p99 / max (ms) | ${lat(o)} | ${lat(b)} | p50 ${r.ratio.p50}, p99 ${r.ratio.p99} |`,
    `| errors (non-201, no answer) | ${o.errors} | ${b.errors} | |`,
    `| orders at ${or.rate_per_s}/s for ${or.seconds} s (open loop): achieved | ${or.throughput_per_s}/s | ${br.throughput_per_s}/s | |`,
    `| latency p50 / p95 / p99 / max (ms) | ${lat(or)} | ${lat(br)} | p50 ${r.ratio.at_rate_p50}, p99 ${r.ratio.at_rate_p99} |`,
    `| errors (of which not sent, because too many were already waiting) | ${or.errors} (${or.dropped}) | ${br.errors} (${br.dropped}) | |`,
    `| delivery transitions (${d.count} deliveries × start, submit, approve) | **${d.transitions_per_s}/s**${d.truncated ? ` (time limit: ${d.completed} of ${d.count} completed)` : ''} | | |`,
    `| transition latency p50 / p95 / p99 / max (ms) | ${d.p50_ms} / ${d.p95_ms} / ${d.p99_ms} / ${d.max_ms} | | |`,
    `| every payout landed after (from the first transition) | ${(d.payouts_done_ms / 1000).toFixed(1)} s (${d.payouts_after_last_answer_ms} ms after the last answer) | | |`,
    `| errors | ${d.errors} | | |`,
    `| reconciliation ok and every order accounted for, after each phase | ${r.reconciliation_ok && r.accounted ? 'yes' : '**NO**'} | | |`,
    `| peak memory: API / worker / Temporal / PostgreSQL | ${mb(r.peak_rss_mb.api)} / ${mb(r.peak_rss_mb.worker)} / ${mb(r.peak_rss_mb.temporal)} / ${mb(r.peak_rss_mb.postgres)} | API ${mb(r.peak_rss_mb.baseline)} | |`,
    '',
    '| target (issue 5) | measured | met |',
    '|---|---|---|',
    ...Object.values(r.targets).map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'yes' : 'no'} |`),
  ];
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
