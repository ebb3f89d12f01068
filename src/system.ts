import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { closeServer, listen } from './api/listen.js';
import { createApiRole, createWorkerRole, prepareDatabase } from './roles.js';
import type { Config } from './config.js';
import { createSql, type Sql } from './db/client.js';
import type { Logger } from './logger.js';
import { startTemporalDevServer } from './runtime/dev-server.js';
import { startEmbeddedPostgres } from './runtime/embedded-postgres.js';
import { ensureTemporalCli } from './runtime/temporal-cli.js';
import { connectClient, connectWorker } from './temporal/connection.js';
import { installSdkRuntime, sdkLogLevelFor, sdkMetricsUrl } from './temporal/sdk-runtime.js';
import { createMetrics } from './observability/metrics.js';
import { freePort } from './runtime/free-port.js';
import { SEARCH_ATTRIBUTES } from './contracts/search-attributes.js';

export interface System {
  apiUrl: string;
  databaseUrl: string;
  temporalAddress: string;
  temporalUiUrl: string | undefined;
  adminToken: string;
  sql: Sql;
  stop(): Promise<void>;
}

type Stopper = { name: string; stop: () => Promise<unknown> };

/**
 * The whole system in one process, in dependency order: PostgreSQL, Temporal, migrations, worker,
 * HTTP. Embedded servers start only where no DATABASE_URL / TEMPORAL_ADDRESS is given. stop()
 * undoes it in reverse: HTTP, worker, Temporal, PostgreSQL last.
 */
export async function startSystem(config: Config, log: Logger, options: { bundle?: WorkflowBundleWithSourceMap } = {}): Promise<System> {
  const stoppers: Stopper[] = [];
  const stop = async () => {
    for (const s of stoppers.splice(0).reverse()) {
      await s.stop().catch((err: unknown) => log.warn(`stopping ${s.name} failed`, { err: String(err) }));
    }
  };
  try {
    // One process, one SDK runtime: its logs through ours, its metrics on a free local port that
    // the API's /metrics appends to this process's own.
    installSdkRuntime({ level: sdkLogLevelFor(config.logLevel), logger: log, metricsBindAddress: `127.0.0.1:${await freePort()}` });
    const metrics = createMetrics();
    const dataDir = resolve(config.dataDir);
    await mkdir(dataDir, { recursive: true });

    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      log.info(`starting embedded PostgreSQL on port ${config.database.embeddedPort}`);
      const pg = await startEmbeddedPostgres({ dataDir, port: config.database.embeddedPort, log: (m) => log.debug(m) });
      stoppers.push({ name: 'PostgreSQL', stop: pg.stop });
      databaseUrl = pg.url;
    }

    let temporalAddress = config.temporal.address;
    let temporalUiUrl: string | undefined;
    if (!temporalAddress) {
      const cli = await ensureTemporalCli({ cliPath: config.temporal.cliPath, log: (m) => log.info(m) });
      log.info(`starting the Temporal dev server on port ${config.temporal.devServerPort}`);
      const server = await startTemporalDevServer({
        cli, dataDir, port: config.temporal.devServerPort, uiPort: config.temporal.uiPort,
        namespace: config.temporal.namespace, searchAttributes: SEARCH_ATTRIBUTES, log: (m) => log.info(m),
      });
      stoppers.push({ name: 'Temporal', stop: server.stop });
      temporalAddress = server.address;
      temporalUiUrl = server.uiUrl;
    }

    const sql = createSql(databaseUrl, { max: config.database.poolSize });
    stoppers.push({ name: 'database pool', stop: () => sql.end({ timeout: 5 }) });
    const adminToken = config.adminToken ?? await persistentAdminToken(dataDir);
    const applied = await prepareDatabase(sql, config, adminToken);
    if (applied.length > 0) log.info(`applied migrations: ${applied.join(', ')}`);

    const workerConnection = await connectWorker(config.temporal, temporalAddress);
    stoppers.push({ name: 'worker connection', stop: () => workerConnection.close() });
    const worker = await createWorkerRole(config, { sql, connection: workerConnection, metrics, ...(options.bundle ? { bundle: options.bundle } : {}) });
    const running = worker.run();
    stoppers.push({ name: 'worker', stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    } });

    const temporal = await connectClient(config.temporal, temporalAddress);
    stoppers.push({ name: 'Temporal client', stop: () => temporal.connection.close() });
    const app = createApiRole(config, { sql, temporal, log, metrics, ...(sdkMetricsUrl() ? { sdkMetricsUrl: sdkMetricsUrl()! } : {}) });
    const server = await listen(app.fetch, config.port);
    stoppers.push({ name: 'HTTP server', stop: () => closeServer(server) });

    return {
      apiUrl: `http://127.0.0.1:${config.port}`, databaseUrl, temporalAddress, temporalUiUrl, adminToken, sql, stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Without ADMIN_TOKEN the default setup generates one once and keeps it beside its data. */
async function persistentAdminToken(dataDir: string): Promise<string> {
  const file = join(dataDir, 'admin-token');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const token = `mk_admin_${randomBytes(24).toString('base64url')}`;
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    return token;
  }
}
