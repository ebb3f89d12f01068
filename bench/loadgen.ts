/**
 * The load generator, run in its own process by bench/load.ts: `node --import tsx bench/loadgen.ts
 * <spec.json>`. Prints one JSON line (LoadOutput) on stdout.
 *
 * Closed loop (saturation, deliveries) uses autocannon: `amount` requests over `concurrency`
 * keep-alive connections. Each request takes the next item of the list in setupRequest, which
 * autocannon calls exactly once per request it sends, so every item (every delivery of a pass) is
 * sent exactly once. Latencies come from its per-response events, so any percentile can be taken.
 *
 * Open loop (fixed rate) is a small scheduler on node:http instead: autocannon's rate limit lets
 * every connection fire at the start of each second and then pause, i.e. bursts of `rate`
 * requests at once, which is neither a steady 50/s nor open (a slow answer delays the next send).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { LoadOutput, LoadRequest, LoadSpec } from './load.js';

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
const out: LoadOutput = {
  requested: spec.requests.length, startedAt: Date.now(), durationMs: 0, latenciesMs: [], statuses: {}, failures: 0, sent: 0, dropped: 0, abandoned: 0, truncated: false, ids: [], sampleErrors: [],
};
const started = performance.now();
/** When the last answer (or failure) came: autocannon notices the end only at its next sampling tick. */
let lastEventAt = started;

const headersOf = (r: LoadRequest): Record<string, string> => ({
  authorization: `Bearer ${r.token}`,
  ...(r.body === undefined ? {} : { 'content-type': 'application/json' }),
});

function record(status: number, body: string, ms: number): void {
  lastEventAt = performance.now();
  out.latenciesMs.push(Math.round(ms * 100) / 100);
  out.statuses[status] = (out.statuses[status] ?? 0) + 1;
  if (status === spec.expectStatus) {
    if (spec.collectIds) out.ids.push((JSON.parse(body) as { data: { id: string } }).data.id);
  } else if (out.sampleErrors.length < 5) {
    out.sampleErrors.push(`${status} ${body.slice(0, 300)}`);
  }
}

function closedLoop(): Promise<void> {
  const list = spec.requests;
  // autocannon hands over the body (onResponse) and then the response time ('response' event)
  // synchronously one after the other for the same answer, so one slot pairs them.
  let lastBody = '';
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: spec.baseUrl,
      amount: list.length,
      connections: Math.min(spec.concurrency, list.length),
      timeout: Math.ceil(spec.timeoutMs / 1000),
      sampleInt: 100,
      requests: [{
        setupRequest: (req) => {
          const r = list[out.sent++ % list.length]!;
          return { ...req, method: r.method, path: r.path, headers: headersOf(r), ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }) };
        },
        onResponse: (_status, body) => { lastBody = body; },
      }],
    }, (err) => {
      clearTimeout(limit);
      if (err) return reject(err);
      const answered = out.latenciesMs.length + out.failures;
      out.abandoned = Math.max(0, out.sent - answered);
      resolve();
    });
    const limit = setTimeout(() => {
      out.truncated = out.sent < list.length;
      instance.stop();
    }, spec.maxDurationMs);
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      record(status, lastBody, ms);
      lastBody = '';
    });
    instance.on('reqError', () => {
      out.failures += 1;
      lastEventAt = performance.now();
    });
  });
}

function openLoop(): Promise<void> {
  const base = new URL(spec.baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4096 });
  const interval = 1000 / spec.rate;
  const t0 = performance.now() + 20;
  let outstanding = 0;
  const one = (r: LoadRequest, due: number) => new Promise<void>((resolve) => {
    if (outstanding >= spec.maxOutstanding) {
      out.dropped += 1;
      return resolve();
    }
    outstanding += 1;
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      outstanding -= 1;
      resolve();
    };
    const payload = r.body === undefined ? undefined : JSON.stringify(r.body);
    const req = http.request({
      host: base.hostname, port: base.port, path: r.path, method: r.method, agent, timeout: spec.timeoutMs,
      headers: { ...headersOf(r), ...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => { record(res.statusCode ?? 0, body, performance.now() - due); done(); });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      if (finished) return; // a socket error after the whole answer arrived changes nothing
      out.failures += 1;
      lastEventAt = performance.now();
      done();
    });
    out.sent += 1;
    req.end(payload);
  });
  return Promise.all(spec.requests.map((r, i) => {
    const due = t0 + i * interval;
    return new Promise<void>((resolve) => {
      setTimeout(() => void one(r, due).then(resolve), Math.max(0, due - performance.now()));
    });
  })).then(() => agent.destroy());
}

await (spec.mode === 'closed' ? closedLoop() : openLoop());
out.durationMs = lastEventAt - started;
process.stdout.write(`${JSON.stringify(out)}\n`);
