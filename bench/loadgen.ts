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
 * item (every delivery of a pass) is taken exactly once. Past `maxDurationMs` no lane takes a new
 * one, but the requests in flight are awaited. With `honourRetryAfter`, a lane answered 503 with
 * Retry-After waits that long and sends the same request again (unless the time limit has passed
 * meanwhile); every answer is recorded, those 503s apart (`shed`, and under status 503).
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
  failures: 0, sent: 0, retryAfterMissing: 0, shed: 0, shedGaveUp: 0, truncated: false, ids: [], sampleErrors: [],
};
const base = new URL(spec.baseUrl);
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.mode === 'closed' ? Math.max(1, spec.concurrency) : 4096 });
let started = performance.now();
/** When the last answer (or failure) came. */
let lastEventAt = started;

/** Milliseconds to wait from a Retry-After header (delay-seconds or an HTTP date); undefined if absent or unreadable. */
function retryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Records an answer; answers how long to wait before sending the request again (a counted 503), else undefined. */
function record(status: number, body: string, ms: number, retryAfter: string | undefined): number | undefined {
  const rounded = Math.round(ms * 100) / 100;
  const wait = spec.honourRetryAfter && status === 503 ? retryAfterMs(retryAfter) : undefined;
  if (wait === undefined) out.latenciesMs.push(rounded);
  else out.shed += 1;
  (out.latenciesByStatus[status] ??= []).push(rounded);
  out.statuses[status] = (out.statuses[status] ?? 0) + 1;
  if (status === 503 && !retryAfter) out.retryAfterMissing += 1;
  if (wait !== undefined) return wait;
  if (status === spec.expectStatus) {
    if (spec.collectIds) out.ids.push((JSON.parse(body) as { data: { id: string } }).data.id);
  } else if (out.sampleErrors.length < 5 && !(status === 503 && out.sampleErrors.some((e) => e.startsWith('503 ')))) {
    out.sampleErrors.push(`${status} ${body.slice(0, 300)}`);
  }
  return undefined;
}

/** Sends one request and resolves once it is answered or has failed; latency runs from `from`.
 *  Resolves with how long to wait before sending it again (a counted 503), else undefined. */
function send(r: LoadRequest, from: number): Promise<number | undefined> {
  return new Promise<number | undefined>((resolve) => {
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
        resolve(record(res.statusCode ?? 0, body, lastEventAt - from, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${spec.timeoutMs} ms`)));
    req.on('error', (err) => {
      if (finished) return; // a socket error after the whole answer arrived changes nothing
      finished = true;
      lastEventAt = performance.now();
      out.failures += 1;
      if (out.sampleErrors.length < 5) out.sampleErrors.push(`no answer: ${err.message}`);
      resolve(undefined);
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
      for (let wait = await send(r, performance.now()); wait !== undefined; wait = await send(r, performance.now())) {
        const ms = wait;
        if (!stopped) await new Promise((resolve) => setTimeout(resolve, ms));
        if (stopped) { // past the time limit nothing new is sent, not even a retry
          out.shedGaveUp += 1;
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, list.length) }, lane));
  clearTimeout(limit);
  out.truncated = next < list.length || out.shedGaveUp > 0;
}

async function openLoop(): Promise<void> {
  const interval = 1000 / spec.rate;
  started = performance.now();
  const t0 = started + 20;
  await Promise.all(spec.requests.map((r, i) => {
    const due = t0 + i * interval;
    return new Promise<void>((resolve) => {
      setTimeout(() => void send(r, due).then(() => resolve()), Math.max(0, due - performance.now()));
    });
  }));
}

await (spec.mode === 'closed' ? closedLoop() : openLoop());
agent.destroy();
out.durationMs = lastEventAt - started;
process.stdout.write(`${JSON.stringify(out)}\n`);
