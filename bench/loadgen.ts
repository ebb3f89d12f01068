/**
 * The load generator, run in its own process by bench/load.ts: `node --import tsx bench/loadgen.ts
 * <spec.json>`. Prints one JSON line (LoadOutput) on stdout.
 *
 * Every request it sends is answered or fails (socket error, or no answer within `timeoutMs`): it
 * never drops or abandons one, so after a phase the bench knows the outcome of every request and
 * can account for every order exactly.
 *
 * Closed loop (one at a time, saturation, deliveries): `concurrency` lanes over keep-alive
 * connections, each taking the next request of the list when its last one was answered, so every
 * item (every delivery of a pass) is sent exactly once. Past `maxDurationMs` no lane takes a new
 * one, but the requests in flight are awaited.
 *
 * Open loop (fixed rate, overload): request i is sent at t0 + i / rate whatever the earlier ones
 * are doing, and its latency runs from that planned time, so time spent queued anywhere (the
 * server's backlog, this process's event loop) is in the number.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { LoadOutput, LoadRequest, LoadSpec } from './load.js';

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
const out: LoadOutput = {
  requested: spec.requests.length, startedAt: Date.now(), durationMs: 0, latenciesMs: [], latenciesByStatus: {}, statuses: {},
  failures: 0, sent: 0, retryAfterMissing: 0, truncated: false, ids: [], sampleErrors: [],
};
const base = new URL(spec.baseUrl);
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.mode === 'closed' ? Math.max(1, spec.concurrency) : 4096 });
let started = performance.now();
/** When the last answer (or failure) came. */
let lastEventAt = started;

function record(status: number, body: string, ms: number, retryAfter: string | undefined): void {
  const rounded = Math.round(ms * 100) / 100;
  out.latenciesMs.push(rounded);
  (out.latenciesByStatus[status] ??= []).push(rounded);
  out.statuses[status] = (out.statuses[status] ?? 0) + 1;
  if (status === 503 && !retryAfter) out.retryAfterMissing += 1;
  if (status === spec.expectStatus) {
    if (spec.collectIds) out.ids.push((JSON.parse(body) as { data: { id: string } }).data.id);
  } else if (out.sampleErrors.length < 5 && !(status === 503 && out.sampleErrors.some((e) => e.startsWith('503 ')))) {
    out.sampleErrors.push(`${status} ${body.slice(0, 300)}`);
  }
}

/** Sends one request and resolves once it is answered or has failed; latency runs from `from`. */
function send(r: LoadRequest, from: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let finished = false;
    const payload = r.body === undefined ? undefined : JSON.stringify(r.body);
    const req = http.request({
      host: base.hostname, port: base.port, path: r.path, method: r.method, agent, timeout: spec.timeoutMs,
      headers: {
        authorization: `Bearer ${r.token}`,
        ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
      },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => {
        if (finished) return;
        finished = true;
        lastEventAt = performance.now();
        const retryAfter = res.headers['retry-after'];
        record(res.statusCode ?? 0, body, lastEventAt - from, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${spec.timeoutMs} ms`)));
    req.on('error', (err) => {
      if (finished) return; // a socket error after the whole answer arrived changes nothing
      finished = true;
      lastEventAt = performance.now();
      out.failures += 1;
      if (out.sampleErrors.length < 5) out.sampleErrors.push(`no answer: ${err.message}`);
      resolve();
    });
    out.sent += 1;
    req.end(payload);
  });
}

async function closedLoop(): Promise<void> {
  const list = spec.requests;
  let next = 0;
  let stopped = false;
  const limit = setTimeout(() => { stopped = true; }, spec.maxDurationMs);
  started = performance.now();
  const lane = async () => {
    while (!stopped && next < list.length) {
      const r = list[next++]!;
      await send(r, performance.now());
    }
  };
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, list.length) }, lane));
  clearTimeout(limit);
  out.truncated = next < list.length;
}

async function openLoop(): Promise<void> {
  const interval = 1000 / spec.rate;
  started = performance.now();
  const t0 = started + 20;
  await Promise.all(spec.requests.map((r, i) => {
    const due = t0 + i * interval;
    return new Promise<void>((resolve) => {
      setTimeout(() => void send(r, due).then(resolve), Math.max(0, due - performance.now()));
    });
  }));
}

await (spec.mode === 'closed' ? closedLoop() : openLoop());
agent.destroy();
out.durationMs = lastEventAt - started;
process.stdout.write(`${JSON.stringify(out)}\n`);
