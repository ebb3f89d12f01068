import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Config } from '../src/config.js';
import { startTemporalDevServer } from '../src/runtime/dev-server.js';
import { startEmbeddedPostgres } from '../src/runtime/embedded-postgres.js';
import { freePort } from '../src/runtime/free-port.js';
import { readPostmasterPid } from '../src/runtime/pg-preflight.js';
import { ensureTemporalCli } from '../src/runtime/temporal-cli.js';
import { SEARCH_ATTRIBUTES } from '../src/contracts/search-attributes.js';
import { httpOk, spawnRole, waitFor, type RoleProcess } from './roles.js';
import { findChildPid, type RolePids } from './rss.js';

export interface BenchSystem {
  apiUrl: string;
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  adminToken: string;
  /** The bench's own connection to Temporal, for reading workflow histories. */
  temporal: Connection;
  /** The dev server's Prometheus endpoint (none for an external cluster). */
  temporalMetricsUrl: string | undefined;
  /** The dev server's warnings and errors, counted by message rather than printed: under load it
   *  logs one "Slow gRPC call" per slow request, which would drown the bench's own output. */
  temporalWarnings: Record<string, number>;
  /** Where each role writes its output; kept when the run fails. */
  logDir: string;
  /** The pid of each role we started (none for an external PostgreSQL or Temporal). */
  pids: RolePids;
  /** Starts the direct-SQL baseline API against the same database and answers its URL. */
  startBaseline(): Promise<string>;
  /** Starts the engine floor's worker (bench/floor-worker.ts) on `taskQueue`, once it polls. */
  startFloorWorker(taskQueue: string): Promise<RoleProcess>;
  stop(): Promise<void>;
}

type Stopper = { name: string; stop: () => Promise<unknown> };

/**
 * The product's default setup — embedded PostgreSQL and the Temporal dev server, started by the
 * same runtime modules as `npm start`, unless DATABASE_URL / TEMPORAL_ADDRESS are set — but with
 * the API (`npm run api`) and the worker (`npm run worker`) as separate processes, so that the
 * memory of each role can be measured on its own. Everything on free ports in a fresh directory.
 */
export async function startBenchSystem(config: Config, log: (m: string) => void): Promise<BenchSystem> {
  const stoppers: Stopper[] = [];
  const stop = async () => {
    for (const s of stoppers.splice(0).reverse()) {
      await s.stop().catch((err: unknown) => log(`stopping ${s.name} failed: ${String(err)}`));
    }
  };
  const dataDir = await mkdtemp(join(tmpdir(), 'marketplace-bench-'));
  await chmod(dataDir, 0o755); // embedded PostgreSQL runs as the postgres user and must traverse it
  stoppers.push({ name: 'data directory', stop: () => rm(dataDir, { recursive: true, force: true }) });
  const logDir = await mkdtemp(join(tmpdir(), 'marketplace-bench-logs-'));
  const pids: RolePids = {};
  const namespace = config.temporal.namespace;
  // A shared external cluster may have other workers on `orders`: keep our tasks to our worker.
  const taskQueue = config.temporal.address && !process.env.TEMPORAL_TASK_QUEUE ? `orders-bench-${process.pid}` : config.temporal.taskQueue;
  try {
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({ dataDir, port: await freePort(), log });
      stoppers.push({ name: 'PostgreSQL', stop: pg.stop });
      databaseUrl = pg.url;
      pids.postgres = readPostmasterPid(join(dataDir, 'postgres'));
    }

    let temporalAddress = config.temporal.address;
    let temporalMetricsUrl: string | undefined;
    const temporalWarnings: Record<string, number> = {};
    if (!temporalAddress) {
      const cli = await ensureTemporalCli({ cliPath: config.temporal.cliPath, log });
      const port = await freePort();
      const server = await startTemporalDevServer({
        cli, dataDir, port, uiPort: await freePort(), namespace, searchAttributes: SEARCH_ATTRIBUTES,
        // The server prints its (random) metrics port at start: keep it to read its metrics later.
        log: (m) => {
          temporalMetricsUrl ??= /Metrics:\s+(http\S+)/.exec(m)?.[1];
          const warning = / level=(WARN|ERROR) msg="([^"]+)"/.exec(m);
          if (!warning) return log(m);
          const key = `${warning[1]} ${warning[2]}`;
          temporalWarnings[key] = (temporalWarnings[key] ?? 0) + 1;
        },
      });
      stoppers.push({ name: 'Temporal', stop: server.stop });
      temporalAddress = server.address;
      pids.temporal = findChildPid(process.pid, ['start-dev', `--port ${port} `]);
    }
    const temporal = await Connection.connect({ address: temporalAddress });
    stoppers.push({ name: 'Temporal connection', stop: () => temporal.close() });

    const adminToken = config.adminToken ?? `mk_admin_bench_${randomBytes(18).toString('base64url')}`;
    const apiPort = await freePort();
    const env = {
      ...process.env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress, ADMIN_TOKEN: adminToken,
      TEMPORAL_TASK_QUEUE: taskQueue, PORT: String(apiPort),
    };
    // Both at once: the worker spends seconds bundling the workflow code while the API migrates.
    const worker = await spawnRole('worker', 'worker.ts', env, logDir);
    stoppers.push(worker);
    const api = await spawnRole('api', 'api.ts', env, logDir);
    stoppers.push(api);
    pids.worker = worker.pid;
    pids.api = api.pid;
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitFor('the API to be ready', () => httpOk(`${apiUrl}/ready`), api);
    await waitFor('the worker to poll its task queue', () => polled(temporal, namespace, taskQueue), worker);

    const startBaseline = async () => {
      const port = await freePort();
      const baseline = await spawnRole('baseline', 'bench/baseline-server.ts', { ...env, PORT: String(port) }, logDir);
      stoppers.push(baseline);
      pids.baseline = baseline.pid;
      const url = `http://127.0.0.1:${port}`;
      await waitFor('the baseline API', () => httpOk(`${url}/health`), baseline);
      return url;
    };
    const startFloorWorker = async (floorQueue: string) => {
      const floor = await spawnRole('floor-worker', 'bench/floor-worker.ts', { ...env, TEMPORAL_TASK_QUEUE: floorQueue }, logDir);
      stoppers.push(floor);
      pids.floor_worker = floor.pid;
      await waitFor('the floor worker to poll its task queue', () => polled(temporal, namespace, floorQueue, [1]), floor);
      return floor;
    };
    return { apiUrl, databaseUrl, temporalAddress, namespace, taskQueue, adminToken, temporal, temporalMetricsUrl, temporalWarnings, logDir, pids, startBaseline, startFloorWorker, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** True once the task queue has a poller of each type, i.e. the worker runs. By default a workflow
 *  and an activity poller: 1 = WORKFLOW, 2 = ACTIVITY (temporal.api.enums.v1.TaskQueueType). */
export async function polled(connection: Connection, namespace: string, taskQueue: string, types = [1, 2]): Promise<boolean> {
  for (const taskQueueType of types) {
    const res = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType });
    if ((res.pollers ?? []).length === 0) return false;
  }
  return true;
}
