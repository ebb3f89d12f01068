import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { Connection } from '@temporalio/client';
import { isPortFree } from './free-port.js';
import { findOnPath, type TemporalCli } from './temporal-cli.js';

export type SearchAttributeTypeName = 'Keyword' | 'Int' | 'Text' | 'Bool' | 'Double' | 'Datetime' | 'KeywordList';

export interface TemporalDevServerOptions {
  cli: TemporalCli;
  /** Holds temporal.sqlite, so workflows survive restarts. */
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  searchAttributes: Record<string, SearchAttributeTypeName>;
  log: (msg: string) => void;
  ip?: string;
  readyTimeoutMs?: number;
}

export interface TemporalDevServer {
  address: string;
  uiUrl: string | undefined;
  stop(): Promise<void>;
}

/**
 * The dev server's defaults are tuned for a laptop demo; each of these was measured with
 * `npm run bench` (README, Benchmark):
 * - Update-with-Start (how the API places an order) goes through ExecuteMultiOperation.
 * - The dev server forces a search-attribute cache refresh on every read: about 42 persistence
 *   reads per order (GetCurrentClusterMetadata, GetNamespace) that change nothing here.
 * - One partition per task queue: with a few pollers, 4 partitions forward tasks between
 *   partitions or write them to the backlog.
 * - The one history shard's queue readers poll at most 20 times a second by default, which puts
 *   up to 50 ms in front of every first workflow task and child start; at 200 polls a second the
 *   wait is at most 5 ms. (1000 gave no better latency here and costs a SQLite read per poll.)
 */
const HISTORY_QUEUE_POLL_RPS = 200;
const DYNAMIC_CONFIG = [
  'frontend.enableExecuteMultiOperation=true',
  'system.forceSearchAttributesCacheRefreshOnRead=false',
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
  `history.transferProcessorMaxPollRPS=${HISTORY_QUEUE_POLL_RPS}`,
  `history.timerProcessorMaxPollRPS=${HISTORY_QUEUE_POLL_RPS}`,
  `history.visibilityProcessorMaxPollRPS=${HISTORY_QUEUE_POLL_RPS}`,
];
// SQLite in WAL mode with synchronous=NORMAL: a commit is a write to the WAL, not an fsync of the
// database file. Measured on the 2-core machine, the default made the dev server spend its time in
// the kernel (fsync) and capped orders at a few per second. A crash of the dev server process loses
// nothing (the WAL is in the OS's page cache); a power loss may lose the last commits, which is
// acceptable for a dev server; production runs a real Temporal cluster.
const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

/** The tuning above as `temporal server start-dev` flags, whichever way the server is started. */
const TUNING_FLAGS = [
  ...DYNAMIC_CONFIG.flatMap((kv) => ['--dynamic-config-value', kv]),
  ...SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]),
];

/** Where a dev server started with this port listens (`npm start`'s, for the CLIs that find it). */
export const devServerAddress = (port: number, ip = '127.0.0.1'): string => `${ip}:${port}`;

export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const dataDir = path.resolve(opts.dataDir);
  await fs.mkdir(dataDir, { recursive: true });
  const dbFilename = path.join(dataDir, 'temporal.sqlite');
  const uiUrl = `http://${ip}:${opts.uiPort}`;

  if (opts.cli.kind === 'sdk-download') {
    return await startViaSdk(opts, ip, dbFilename, uiUrl);
  }

  for (const [what, port] of [['gRPC', opts.port], ['UI', opts.uiPort]] as const) {
    if (!(await isPortFree(port, ip))) {
      throw new Error(`Temporal dev server ${what} port ${ip}:${port} is already in use (another dev server still running?)`);
    }
  }

  const args = [
    'server', 'start-dev',
    '--db-filename', dbFilename,
    '--ip', ip,
    '--port', String(opts.port),
    '--ui-port', String(opts.uiPort),
    // --http-port and --metrics-port default to random free ports, so several
    // copies (dev + tests) can run side by side without extra flags.
    '--namespace', opts.namespace,
    '--log-level', 'warn',
    '--color', 'never',
    ...TUNING_FLAGS,
    ...Object.entries(opts.searchAttributes).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];

  const child = await spawnTiedToParent(opts.cli.path, args);
  const recent: string[] = [];
  let stopping: Promise<void> | undefined;
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      // During a requested shutdown the server's internal clients log a burst of
      // "connection refused" warnings about its own stopped services: pure noise.
      if (!stopping && line.trim()) opts.log(`[temporal] ${line}`);
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Best effort for a plain process.exit() without stop(); SIGKILL of our own
  // process is covered by the parent-death signal set in spawnTiedToParent.
  const killOnExit = (): void => void child.kill('SIGTERM');
  process.once('exit', killOnExit);

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  const address = devServerAddress(opts.port, ip);
  try {
    await waitUntilReady(address, opts.namespace, opts.readyTimeoutMs ?? 60_000, exited, () => recent.join('\n'));
  } catch (err) {
    await stop();
    throw err;
  }
  opts.log(`Temporal dev server ready at ${address} (UI ${uiUrl}, data ${dbFilename})`);
  return { address, uiUrl, stop };
}

/**
 * Not detached, so a terminal Ctrl-C reaches the server along with us. On Linux
 * we additionally exec through `setpriv --pdeathsig`, so the kernel sends the
 * server SIGTERM when we die, even by SIGKILL, and no orphan keeps the ports
 * and the sqlite file busy. setpriv execs in place: the PID is the server's own.
 */
async function spawnTiedToParent(bin: string, args: string[]): Promise<ChildProcess> {
  const setpriv = process.platform === 'linux' ? await findOnPath('setpriv') : undefined;
  const [cmd, argv] = setpriv ? [setpriv, ['--pdeathsig', 'TERM', '--', bin, ...args]] : [bin, args];
  return spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function waitUntilReady(
  address: string,
  namespace: string,
  timeoutMs: number,
  exited: Promise<void>,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (hasExited) throw new Error(`Temporal dev server exited during startup. Output:\n${output()}`);
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 2_000 });
      const health = await connection.healthService.check({});
      // SERVING = 1. The namespace check matters because namespaces and search
      // attributes are registered during startup, and workers fail fast without them.
      if (health.status === 1) {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      }
      lastError = new Error(`health status ${health.status}`);
    } catch (err) {
      lastError = err;
    } finally {
      await connection?.close().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(
    `Temporal dev server at ${address} not ready after ${timeoutMs / 1000}s (last error: ${reason}). Output:\n${output()}`,
  );
}

/** No CLI and no Go: let the SDK download and run the dev server (needs internet on first use). */
async function startViaSdk(
  opts: TemporalDevServerOptions,
  ip: string,
  dbFilename: string,
  uiUrl: string,
): Promise<TemporalDevServer> {
  // Imported lazily: @temporalio/testing pulls in the native worker bridge.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const { defineSearchAttributeKey, SearchAttributeType } = await import('@temporalio/common');
  const types = {
    Keyword: SearchAttributeType.KEYWORD,
    Int: SearchAttributeType.INT,
    Text: SearchAttributeType.TEXT,
    Bool: SearchAttributeType.BOOL,
    Double: SearchAttributeType.DOUBLE,
    Datetime: SearchAttributeType.DATETIME,
    KeywordList: SearchAttributeType.KEYWORD_LIST,
  } as const;
  opts.log('Starting a Temporal dev server downloaded by the SDK (first run needs internet)…');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      ip,
      port: opts.port,
      ui: true,
      uiPort: opts.uiPort,
      dbFilename,
      namespace: opts.namespace,
      log: { format: 'pretty', level: 'warn' },
      searchAttributes: Object.entries(opts.searchAttributes).map(([name, type]) =>
        defineSearchAttributeKey(name, types[type]),
      ),
      extraArgs: TUNING_FLAGS,
    },
  });
  let stopping: Promise<void> | undefined;
  return {
    address: env.address,
    uiUrl,
    stop: () => (stopping ??= env.teardown()),
  };
}
