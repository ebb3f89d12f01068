/**
 * A worker in a process of its own, for tests that SIGKILL it mid-flight: the product's worker role,
 * configured through `loadConfig` like `npm run worker` from the settings the test passes, its
 * activities slowed by SLOW_MS so that work is in flight when the kill lands.
 */
import { createSql } from '../../src/db/client.js';
import { loadConfig } from '../../src/config.js';
import { createWorkerRole } from '../../src/roles.js';
import { connectWorker } from '../../src/temporal/connection.js';
import { slowed } from './faults.js';

const env = process.env;
// The settings this worker needs, named one by one: nothing else of the caller's environment (a
// namespace, TLS, other rates) reaches it.
const config = loadConfig({
  DATABASE_URL: env.DATABASE_URL, TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE: env.TEMPORAL_TASK_QUEUE,
  WORKFLOW_BUNDLE_PATH: env.WORKFLOW_BUNDLE_PATH, DELIVERY_ACCEPT_TIMEOUT: '1h', DELIVERY_REVIEW_TIMEOUT: '1h', LOG_LEVEL: 'error',
});
const sql = createSql(config.database.url!, { max: 10 });
const worker = await createWorkerRole(config, {
  sql,
  connection: await connectWorker(config.temporal, config.temporal.address!),
  activities: (real) => slowed(real, Number(env.SLOW_MS ?? 0)),
  // Short sticky timeout: after a kill the replacement picks up the workflow tasks sooner.
  stickyQueueScheduleToStartTimeout: '1 second',
});
process.stdout.write('worker ready\n');
await worker.run();
