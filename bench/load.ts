import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO } from './roles.js';

/** One HTTP call of a load phase. */
export interface LoadRequest { method: 'GET' | 'POST'; path: string; token: string; body?: unknown }

export interface LoadSpec {
  /** closed: `concurrency` connections, each sends its next request when the last one answered.
   *  open: requests leave at `rate` per second whatever the answers do (latency is measured from
   *  the planned send time, so a slow server cannot hide its backlog). */
  mode: 'closed' | 'open';
  baseUrl: string;
  requests: LoadRequest[];
  concurrency: number;
  rate: number;
  expectStatus: number;
  timeoutMs: number;
  /** Keep `data.id` of every expected answer (order ids, delivery ids). */
  collectIds: boolean;
  /** Open loop only: a request due while this many are still unanswered is not sent but counted
   *  as `dropped` (an error). Without it an overloaded system would pile up minutes of backlog that
   *  spill into the next phases; with it the backlog stays below a few seconds of work. */
  maxOutstanding: number;
  /** Closed loop only: stop sending after this long even if requests are left (a slow system must
   *  not push the run past its time limit); requests still in flight then are `abandoned`. */
  maxDurationMs: number;
}

export interface LoadOutput {
  requested: number;
  startedAt: number;
  durationMs: number;
  latenciesMs: number[];
  statuses: Record<string, number>;
  /** Socket errors and timeouts: requests that got no answer at all. */
  failures: number;
  sent: number;
  /** Open loop: due but not sent, because `maxOutstanding` requests were still unanswered. */
  dropped: number;
  /** Sent but neither answered nor failed when the time limit stopped the generator. */
  abandoned: number;
  /** True when the time limit stopped the phase before every request was sent. */
  truncated: boolean;
  ids: string[];
  sampleErrors: string[];
}

export interface PhaseStats {
  requested: number;
  /** Requests offered (sent or dropped); fewer than asked for when the phase hit its time limit. */
  count: number;
  truncated: boolean;
  abandoned: number;
  dropped: number;
  ok: number;
  errors: number;
  duration_s: number;
  throughput_per_s: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  statuses: Record<string, number>;
}

const running = new Set<ChildProcess>();

/** On Ctrl-C or the bench's time limit: no load generator may go on sending. */
export function stopLoadGenerators(): void {
  for (const child of running) child.kill('SIGKILL');
}

/**
 * Runs the load generator (bench/loadgen.ts) in its own node process, so its CPU use is not
 * mixed with the bench's bookkeeping, and answers what it measured.
 */
export async function runLoad(spec: LoadSpec, workDir: string, name: string): Promise<LoadOutput> {
  const specFile = join(workDir, `${name}.spec.json`);
  await writeFile(specFile, JSON.stringify(spec), { mode: 0o600 }); // holds bearer tokens
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/loadgen.ts', specFile], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  running.add(child);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  running.delete(child);
  if (code !== 0) throw new Error(`load generator ${name} exited with ${code}`);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as LoadOutput;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Latencies are of every answered request, successful or not; errors are everything but `expect`,
 *  including requests that got no answer and (open loop) requests dropped unsent. */
export function summarize(out: LoadOutput, expect: number): PhaseStats {
  const sorted = [...out.latenciesMs].sort((a, b) => a - b);
  const ok = out.statuses[String(expect)] ?? 0;
  const answered = Object.values(out.statuses).reduce((a, b) => a + b, 0);
  const seconds = out.durationMs / 1000;
  return {
    requested: out.requested,
    count: out.sent + out.dropped,
    truncated: out.truncated,
    abandoned: out.abandoned,
    dropped: out.dropped,
    ok,
    errors: answered - ok + out.failures + out.dropped,
    duration_s: round(seconds, 2),
    throughput_per_s: round(ok / seconds),
    p50_ms: round(percentile(sorted, 50)),
    p95_ms: round(percentile(sorted, 95)),
    p99_ms: round(percentile(sorted, 99)),
    max_ms: round(sorted.at(-1) ?? 0),
    mean_ms: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
    statuses: out.statuses,
  };
}
