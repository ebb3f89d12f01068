/**
 * The engine floor's load driver, run in its own process by bench/floor.ts: `node --import tsx
 * bench/floor-load.ts <spec.json>`. A Temporal client (as the API is one) against the floor
 * worker's task queue; prints one JSON line (FloorOutput) on stdout.
 *
 * In order: a warm-up (no-op workflows and parents, not reported); no-op workflows one at a time
 * (start + result); `count` no-op workflows at `concurrency`; `count` parents that each start a
 * child with ABANDON; then `concurrency` waiting workflows, one Update each to have them in the
 * worker's cache (not reported), and `count` Updates over them at `concurrency`, each lane always
 * updating its own workflow (as the delivery passes do, no two Updates on one workflow at once).
 * The measured no-op workflows, parents and Updates are each marked (`mark()`), so the bench can
 * take the CPU each process spent on that shape alone.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { loadConfigOrExit } from '../src/config.js';
import { connectClient } from '../src/temporal/connection.js';
import { floorFinish, floorPing, type floorNoop, type floorParent, type floorWaiter } from './floor-workflows.js';
import { latencyStats, mark, round, type LatencyStats } from './load.js';

export interface FloorSpec {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Prefix of every workflow id of this run. */
  prefix: string;
  count: number;
  concurrency: number;
  sequential: number;
  warmup: number;
  warmupConcurrency: number;
  /** Each part stops starting new work after this long (what it started is awaited). */
  maxDurationMs: number;
}

export interface FloorPart extends LatencyStats {
  requested: number;
  ok: number;
  errors: number;
  truncated: boolean;
  concurrency: number;
  duration_s: number;
  per_s: number;
  sample_errors: string[];
}

export interface FloorOutput {
  one_at_a_time: FloorPart;
  workflows: FloorPart;
  parent_child: FloorPart;
  updates: FloorPart;
}

/** `count` calls of `op` over `concurrency` lanes, each taking the next index when its last call ended. */
async function closed(count: number, concurrency: number, maxMs: number, op: (i: number, lane: number) => Promise<unknown>): Promise<FloorPart> {
  const latencies: number[] = [];
  const sampleErrors: string[] = [];
  let errors = 0;
  let next = 0;
  let stopped = false;
  const limit = setTimeout(() => { stopped = true; }, maxMs);
  const started = performance.now();
  let last = started;
  const lanes = Math.min(concurrency, count);
  await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
    while (!stopped && next < count) {
      const i = next++;
      const t = performance.now();
      try {
        await op(i, lane);
        latencies.push(performance.now() - t);
      } catch (err) {
        errors += 1;
        if (sampleErrors.length < 5) sampleErrors.push(String(err));
      }
      last = performance.now();
    }
  }));
  clearTimeout(limit);
  const seconds = (last - started) / 1000;
  return {
    requested: count, ok: latencies.length, errors, truncated: next < count, concurrency: lanes, duration_s: round(seconds, 2),
    per_s: round(seconds > 0 ? latencies.length / seconds : 0), ...latencyStats(latencies), sample_errors: sampleErrors,
  };
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as FloorSpec;
const config = loadConfigOrExit();
const client: Client = await connectClient({ ...config.temporal, namespace: spec.namespace }, spec.address);
const { taskQueue, prefix, count, concurrency, maxDurationMs } = spec;
const noop = (id: string) => client.workflow.execute<typeof floorNoop>('floorNoop', { taskQueue, workflowId: id });
const parent = (id: string) => client.workflow.execute<typeof floorParent>('floorParent', { taskQueue, workflowId: id, args: [`${id}-child`] });
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} [floor] ${m}\n`);

if (spec.warmup > 0) {
  await closed(spec.warmup, spec.warmupConcurrency, maxDurationMs, (i) => noop(`${prefix}-warmup-${i}`));
  await closed(spec.warmup, spec.warmupConcurrency, maxDurationMs, (i) => parent(`${prefix}-warmup-parent-${i}`));
}
const oneAtATime = await closed(spec.sequential, 1, maxDurationMs, (i) => noop(`${prefix}-one-${i}`));
log(`no-op workflow one at a time: p50 ${oneAtATime.p50_ms} ms, p99 ${oneAtATime.p99_ms} ms`);
await mark('workflows', 'start');
const workflows = await closed(count, concurrency, maxDurationMs, (i) => noop(`${prefix}-noop-${i}`));
await mark('workflows', 'stop');
log(`no-op workflows: ${workflows.ok} at concurrency ${concurrency}, ${workflows.per_s}/s, p99 ${workflows.p99_ms} ms, errors ${workflows.errors}`);
await mark('parent_child', 'start');
const parentChild = await closed(count, concurrency, maxDurationMs, (i) => parent(`${prefix}-parent-${i}`));
await mark('parent_child', 'stop');
log(`parent + child (ABANDON): ${parentChild.ok} at concurrency ${concurrency}, ${parentChild.per_s}/s, p99 ${parentChild.p99_ms} ms, errors ${parentChild.errors}`);

const waiters = await Promise.all(Array.from({ length: Math.min(concurrency, count) }, (_, lane) =>
  client.workflow.start<typeof floorWaiter>('floorWaiter', { taskQueue, workflowId: `${prefix}-waiter-${lane}` })));
const pinned = waiters.map((h) => client.workflow.getHandle(h.workflowId, h.firstExecutionRunId));
await Promise.all(pinned.map((h) => h.executeUpdate(floorPing, { args: [0] })));
await mark('updates', 'start');
const updates = await closed(count, concurrency, maxDurationMs, (i, lane) => pinned[lane]!.executeUpdate(floorPing, { args: [i] }));
await mark('updates', 'stop');
log(`Updates on running workflows: ${updates.ok} at concurrency ${concurrency}, ${updates.per_s}/s, p99 ${updates.p99_ms} ms, errors ${updates.errors}`);
await Promise.all(pinned.map(async (h) => {
  await h.signal(floorFinish);
  await h.result();
}));

await client.connection.close();
const output: FloorOutput = { one_at_a_time: oneAtATime, workflows, parent_child: parentChild, updates };
process.stdout.write(`${JSON.stringify(output)}\n`);
if (process.connected) process.disconnect(); // the IPC channel would keep this process alive
