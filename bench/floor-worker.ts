/**
 * The engine floor's worker (bench only): `node --import tsx bench/floor-worker.ts` with
 * DATABASE_URL, TEMPORAL_ADDRESS and TEMPORAL_TASK_QUEUE. Built by the product's own worker factory,
 * so it has the product worker's options (pollers, cache, concurrency); only the workflow code is
 * bench/floor-workflows.ts instead of the product's. The product's activities are registered as
 * they are in the product worker; the floor workflows never call them.
 */
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '../src/config.js';
import { createSql } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { connectWorker } from '../src/temporal/connection.js';
import { installSdkRuntime, sdkLogLevelFor } from '../src/temporal/sdk-runtime.js';
import { createWorker } from '../src/temporal/worker.js';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'floor-worker', config.logFormat);
if (!config.database.url || !config.temporal.address) {
  log.error('bench/floor-worker.ts needs DATABASE_URL and TEMPORAL_ADDRESS');
  process.exit(2);
}
installSdkRuntime({ level: sdkLogLevelFor(config.logLevel), logger: log });
const sql = createSql(config.database.url, { max: 1 }); // never used: no floor workflow runs an activity
const connection = await connectWorker(config.temporal, config.temporal.address);
const worker = await createWorker({
  connection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue,
  deps: { sql, money: config.money, delivery: config.delivery },
  // As the product's worker records stacks, so does the floor's: the two stay comparable.
  stackTraces: config.workflowStackTraces,
  workflowsPath: fileURLToPath(new URL('./floor-workflows.ts', import.meta.url)),
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
log.info(`floor worker polling task queue ${config.temporal.taskQueue}`);
await worker.run();
await connection.close();
await sql.end({ timeout: 5 });
