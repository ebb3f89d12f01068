/**
 * A worker in a process of its own, for tests that SIGKILL it mid-flight: the product's worker role,
 * configured from the environment like `npm run worker`, its activities slowed by SLOW_MS so that
 * work is in flight when the kill lands.
 */
import { createSql } from '../../src/db/client.js';
import { loadConfig } from '../../src/config.js';
import { createWorkerRole } from '../../src/roles.js';
import { connectWorker } from '../../src/temporal/connection.js';
import { slowed } from './faults.js';

const config = loadConfig();
const sql = createSql(config.database.url!, { max: 10 });
const worker = await createWorkerRole(config, {
  sql,
  connection: await connectWorker(config.temporal, config.temporal.address!),
  activities: (real) => slowed(real, Number(process.env.SLOW_MS ?? 0)),
  // Short sticky timeout: after a kill the replacement picks up the workflow tasks sooner.
  stickyQueueScheduleToStartTimeout: '1 second',
});
process.stdout.write('worker ready\n');
await worker.run();
