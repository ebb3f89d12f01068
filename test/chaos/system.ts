/**
 * The real system for the chaos run, started so that each part can be killed on its own: embedded
 * PostgreSQL and the Temporal dev server (the product's runtime/ starters, in this process), the API
 * (`api.ts`, the product's API role) and the worker (test/support/worker-process.ts, the product's
 * worker role) each in a process of its own. Nothing is shared with vitest's system: this one dies
 * and comes back on purpose.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { SEARCH_ATTRIBUTES } from '../../src/contracts/search-attributes.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/runtime/dev-server.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/runtime/embedded-postgres.js';
import { freePort } from '../../src/runtime/free-port.js';
import { ensureTemporalCli, type TemporalCli } from '../../src/runtime/temporal-cli.js';
import { bundleWorkflows } from '../../src/temporal/worker.js';

export type FaultKind = 'kill-worker' | 'restart-postgres' | 'restart-temporal';
export const FAULT_KINDS: readonly FaultKind[] = ['kill-worker', 'restart-postgres', 'restart-temporal'];

const quiet = () => undefined;

export interface ChaosSystem {
  apiUrl: string;
  adminToken: string;
  databaseUrl: string;
  temporalAddress: string;
  /** The real `temporal` CLI against this system's dev server, as an operator (or the Web UI) uses it. */
  operator(...args: string[]): Promise<string>;
  fault(kind: FaultKind): Promise<void>;
  stop(): Promise<void>;
}

/** Resolves once `ready()` holds, or fails with what the child wrote if it exits or takes too long. */
async function waitFor(child: ChildProcess, ready: (out: string) => Promise<boolean> | boolean, what: string, timeoutMs = 90_000): Promise<void> {
  let seen = '';
  const collect = (chunk: Buffer) => { seen = (seen + chunk.toString()).slice(-4000); };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  try {
    const end = Date.now() + timeoutMs;
    while (!(await ready(seen))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited early (${child.exitCode ?? child.signalCode}): ${seen}`);
      if (Date.now() > end) throw new Error(`${what} not ready within ${timeoutMs} ms: ${seen}`);
      await sleep(100);
    }
  } finally {
    child.stdout!.off('data', collect);
    child.stderr!.off('data', collect);
  }
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
  await exited;
}

export async function startChaosSystem(options: { bundlePath?: string; log?: (m: string) => void } = {}): Promise<ChaosSystem> {
  const log = options.log ?? quiet;
  const dataDir = await mkdtemp(join(tmpdir(), 'marketplace-chaos-'));
  await chmod(dataDir, 0o755); // PostgreSQL runs as its own user and must traverse this path
  const cli = await ensureTemporalCli({ log });
  if (cli.kind === 'sdk-download') throw new Error('the chaos run needs the temporal CLI for its operator commands');
  const cliPath = (cli as Extract<TemporalCli, { path: string }>).path;
  const ports = { pg: await freePort(), temporal: await freePort(), ui: await freePort(), api: await freePort() };
  const adminToken = `mk_admin_chaos_${randomBytes(12).toString('hex')}`;
  const taskQueue = `orders-chaos-${process.pid}`;

  let bundlePath = options.bundlePath;
  if (!bundlePath) {
    bundlePath = join(dataDir, 'workflow-bundle.js');
    await writeFile(bundlePath, (await bundleWorkflows()).code);
  }

  let pg: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir, port: ports.pg, log: quiet });
  const serverOptions = {
    cli, dataDir, port: ports.temporal, uiPort: ports.ui, namespace: 'default', searchAttributes: SEARCH_ATTRIBUTES, log: quiet,
  };
  let server: TemporalDevServer = await startTemporalDevServer(serverOptions);
  const env = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: pg.url, TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'error', WORKFLOW_BUNDLE_PATH: bundlePath,
  };

  const spawnRole = async (script: string, extra: Record<string, string>, ready: (out: string) => Promise<boolean> | boolean, what: string) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    await waitFor(child, ready, what);
    // Keep draining the pipes so a chatty child never blocks on a full buffer.
    child.stdout!.resume();
    child.stderr!.on('data', (chunk: Buffer) => log(`[${what}] ${chunk.toString().trimEnd()}`));
    child.once('exit', (code, signal) => log(`[${what}] exited (${code ?? signal})`));
    return child;
  };
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  const healthy = async () => (await fetch(`${apiUrl}/health`).catch(() => undefined))?.ok === true;
  const workerReady = (out: string) => out.includes('worker ready');
  // The API migrates the database before it listens, so it goes first; the worker needs the tables.
  const api = await spawnRole('api.ts', {
    PORT: String(ports.api), ADMIN_TOKEN: adminToken, LOG_FORMAT: 'json',
    DELIVERY_ACCEPT_TIMEOUT: '24h', DELIVERY_REVIEW_TIMEOUT: '24h',
    // A burst from one wallet proves the ledger, not the shedding: room for every order of it.
    ORDERS_MAX_IN_FLIGHT: '200', ADMISSION_MIN_LIMIT: '200',
  }, healthy, 'api');
  let worker = await spawnRole('test/support/worker-process.ts', { SLOW_MS: '0' }, workerReady, 'worker');

  // Ready: the API reaches PostgreSQL and Temporal (GET /ready), and the worker polls.
  const ready = async () => {
    const end = Date.now() + 120_000;
    while ((await fetch(`${apiUrl}/ready`).catch(() => undefined))?.ok !== true) {
      if (Date.now() > end) throw new Error('the system was not ready 120 s after a start or a fault');
      await sleep(200);
    }
  };
  await ready();

  const operator = async (...args: string[]) =>
    (await promisify(execFile)(cliPath, [...args, '--address', server.address], { timeout: 60_000 })).stdout;

  const fault = async (kind: FaultKind) => {
    if (kind === 'kill-worker') {
      await stopChild(worker, 'SIGKILL');
      worker = await spawnRole('test/support/worker-process.ts', { SLOW_MS: '0' }, workerReady, 'worker');
    } else if (kind === 'restart-postgres') {
      await pg.stop();
      await sleep(500);
      pg = await startEmbeddedPostgres({ dataDir, port: ports.pg, log: quiet });
    } else {
      await server.stop();
      await sleep(500);
      server = await startTemporalDevServer(serverOptions);
    }
    await ready();
  };

  return {
    apiUrl, adminToken, databaseUrl: pg.url, temporalAddress: server.address, operator, fault,
    stop: async () => {
      await stopChild(worker, 'SIGKILL');
      await stopChild(api, 'SIGTERM');
      await server.stop().catch(quiet);
      await pg.stop().catch(quiet);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
