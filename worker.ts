/**
 * `npm run worker`: the worker role alone, against DATABASE_URL and TEMPORAL_ADDRESS (a cluster or
 * Temporal Cloud). Run as many as the load needs; each polls the same task queue.
 */
import { createServer } from 'node:http';
import { loadConfigOrExit } from './src/config.js';
import { createSql } from './src/db/client.js';
import { createLogger } from './src/logger.js';
import { connectWorker } from './src/temporal/connection.js';
import { installSdkRuntime, sdkLogLevelFor, sdkMetricsUrl } from './src/temporal/sdk-runtime.js';
import { createMetrics, metricsText } from './src/observability/metrics.js';
import { freePort } from './src/runtime/free-port.js';
import { createWorkerRole } from './src/roles.js';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'worker', config.logFormat);
if (!config.database.url || !config.temporal.address) {
  log.error('npm run worker needs DATABASE_URL and TEMPORAL_ADDRESS; `npm start` runs everything locally instead');
  process.exit(2);
}

installSdkRuntime({ level: sdkLogLevelFor(config.logLevel), logger: log, metricsBindAddress: `127.0.0.1:${await freePort()}` });
const metrics = createMetrics();
// This role's own /metrics: payouts and refunds counted by its activities, and the SDK's series.
const metricsServer = createServer((_req, res) => {
  void metricsText(metrics, sdkMetricsUrl()).then((text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text));
}).listen(config.metricsPort);
// Metrics are an aid, not the job: a port already taken (a second worker on the host) is a warning.
metricsServer.on('error', (err) => log.warn(`worker metrics not served on :${config.metricsPort}`, { err: String(err) }));

const sql = createSql(config.database.url, { max: config.database.poolSize });
const connection = await connectWorker(config.temporal, config.temporal.address);
const worker = await createWorkerRole(config, { sql, connection, metrics });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info(`${signal}: draining the worker`);
    worker.shutdown();
  });
}
log.info(`worker polling task queue ${config.temporal.taskQueue} on ${config.temporal.address}; metrics on :${config.metricsPort}/metrics`);
await worker.run();
metricsServer.close();
await connection.close();
await sql.end({ timeout: 5 });
log.info('worker stopped');
