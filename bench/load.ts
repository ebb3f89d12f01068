import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO } from './roles.js';

/** One HTTP call of a load phase. */
export interface LoadRequest { method: 'GET' | 'POST'; path: string; token: string; body?: unknown }

export interface LoadSpec {
  /** closed: `concurrency` lanes, each sends its next request when its last one was answered.
   *  open: request i leaves at `i / rate` seconds whatever the answers do, and its latency is
   *  measured from that planned time, so a slow server cannot hide its backlog. */
  mode: 'closed' | 'open';
  baseUrl: string;
  requests: LoadRequest[];
  concurrency: number;
  /** Open loop: requests per second. */
  rate: number;
  expectStatus: number;
  /** A request with no answer after this long is given up and counted as a failure. */
  timeoutMs: number;
  /** Keep `data.id` of every expected answer (order ids, delivery ids). */
  collectIds: boolean;
  /** Closed loop only: send nothing new after this long (a slow system must not push the run past
   *  its time limit); requests already sent are still awaited, so every request sent is answered. */
  maxDurationMs: number;
  /** Closed loop only: a lane answered 503 with Retry-After waits that many seconds and sends the
   *  same request again (unless the time limit has passed), as a well-behaved client of admission
   *  control does. Those 503s are counted apart (`shed`), not as errors. */
  honourRetryAfter?: boolean;
}

export interface LoadOutput {
  requested: number;
  startedAt: number;
  durationMs: number;
  /** Every answer's latency, except the 503s counted in `shed` (those are only in `latenciesByStatus`). */
  latenciesMs: number[];
  /** Every answer's latency by status code (a 201 and a 503 are different stories). */
  latenciesByStatus: Record<string, number[]>;
  statuses: Record<string, number>;
  /** Socket errors and timeouts: requests that got no answer at all. */
  failures: number;
  sent: number;
  /** 503 answers without a `Retry-After` header. */
  retryAfterMissing: number;
  /** With `honourRetryAfter`: 503 answers with Retry-After (each request sent again after it,
   *  unless the time limit had passed: those are `shedGaveUp`). Not errors: the exact-accounting
   *  check proves such a 503 placed nothing. */
  shed: number;
  shedGaveUp: number;
  /** True when the time limit stopped the phase before every request was sent (or answered other
   *  than 503 with Retry-After). */
  truncated: boolean;
  ids: string[];
  sampleErrors: string[];
}

export interface PhaseStats {
  requested: number;
  /** Requests sent (each answered or failed); fewer than asked for when the phase hit its time limit. */
  count: number;
  truncated: boolean;
  ok: number;
  /** 503s with Retry-After in a phase that honours it: each was waited out and sent again. */
  shed: number;
  /** Everything but the expected status and the counted 503s, including requests that got no answer. */
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

/** Runs the load generator (bench/loadgen.ts) in its own node process, so its CPU use is not
 *  mixed with the bench's bookkeeping, and answers what it measured. */
export function runLoad(spec: LoadSpec, workDir: string, name: string): Promise<LoadOutput> {
  return runScript<LoadOutput>('bench/loadgen.ts', spec, workDir, name);
}

/** A script run by runScript marks where one of its parts starts or stops (bench/floor-load.ts: each shape of the floor). */
export interface Mark { part: string; edge: 'start' | 'stop' }

/** Runs `node --import tsx <script> <spec.json>` and answers the last line it printed, as JSON.
 *  With `onMark`, the script gets an IPC channel for `mark()`: each mark is handled (a CPU
 *  snapshot) before the script goes on. */
export async function runScript<T>(script: string, spec: unknown, workDir: string, name: string, onMark?: (m: Mark) => void): Promise<T> {
  const specFile = join(workDir, `${name}.spec.json`);
  await writeFile(specFile, JSON.stringify(spec), { mode: 0o600 }); // may hold bearer tokens
  const child = spawn(process.execPath, ['--import', 'tsx', script, specFile], {
    cwd: REPO, stdio: onMark ? ['ignore', 'pipe', 'inherit', 'ipc'] : ['ignore', 'pipe', 'inherit'],
  });
  if (onMark) {
    child.on('message', (m) => {
      onMark(m as Mark);
      if (child.connected) child.send('ack');
    });
  }
  running.add(child);
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; }); // a pipe, as asked
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  running.delete(child);
  if (code !== 0) throw new Error(`${script} (${name}) exited with ${code}`);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}

/** In a script run by runScript with `onMark`: tells the bench a part starts or stops, and waits
 *  until it has taken note (without the IPC channel: does nothing). */
export function mark(part: string, edge: Mark['edge']): Promise<void> {
  if (!process.send) return Promise.resolve();
  return new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.send!({ part, edge } satisfies Mark);
  });
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export interface LatencyStats { p50_ms: number; p95_ms: number; p99_ms: number; max_ms: number; mean_ms: number }

/** p50 / p95 / p99 / max / mean of latencies (all 0 when there are none). */
export function latencyStats(latencies: number[]): LatencyStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    p50_ms: round(percentile(sorted, 50)),
    p95_ms: round(percentile(sorted, 95)),
    p99_ms: round(percentile(sorted, 99)),
    max_ms: round(sorted.at(-1) ?? 0),
    mean_ms: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
  };
}

/** Latencies are of every answered request, successful or not, but the counted 503s (`shed`);
 *  errors are everything but `expect` and those 503s, including requests that got no answer. */
export function summarize(out: LoadOutput, expect: number): PhaseStats {
  const ok = out.statuses[String(expect)] ?? 0;
  const answered = Object.values(out.statuses).reduce((a, b) => a + b, 0);
  const seconds = out.durationMs / 1000;
  return {
    requested: out.requested,
    count: out.sent,
    truncated: out.truncated,
    ok,
    shed: out.shed,
    errors: answered - ok - out.shed + out.failures,
    duration_s: round(seconds, 2),
    throughput_per_s: round(seconds > 0 ? ok / seconds : 0),
    ...latencyStats(out.latenciesMs),
    statuses: out.statuses,
  };
}
