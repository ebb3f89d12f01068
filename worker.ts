/**
 * `npm run worker`: the worker role alone, against DATABASE_URL and TEMPORAL_ADDRESS (a cluster or
 * Temporal Cloud). Run as many as the load needs; each polls the same task queue.
 */
import { loadConfig } from './src/config.js';
import { createSql } from './src/db/client.js';
import { createLogger } from './src/logger.js';
import { connectWorker } from './src/temporal/connection.js';
import { sdkLogLevelFor } from './src/temporal/runtime.js';
import { createWorker } from './src/temporal/worker.js';

const config = loadConfig();
const log = createLogger(config.logLevel, 'worker');
if (!config.database.url || !config.temporal.address) {
  log.error('npm run worker needs DATABASE_URL and TEMPORAL_ADDRESS; `npm start` runs everything locally instead');
  process.exit(2);
}

const sql = createSql(config.database.url, { max: config.database.poolSize });
const connection = await connectWorker(config.temporal, config.temporal.address, sdkLogLevelFor(config.logLevel));
const worker = await createWorker({
  connection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue,
  deps: { sql, money: config.money, delivery: config.delivery },
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info(`${signal}: draining the worker`);
    worker.shutdown();
  });
}
log.info(`worker polling task queue ${config.temporal.taskQueue} on ${config.temporal.address}`);
await worker.run();
await connection.close();
await sql.end({ timeout: 5 });
log.info('worker stopped');
