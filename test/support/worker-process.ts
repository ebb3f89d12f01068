/**
 * A worker in a process of its own, for tests that SIGKILL it mid-flight. Real activities against
 * the real database, slowed by SLOW_MS so that work is in flight when the kill lands.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { createSql } from '../../src/db/client.js';
import { slowed } from './faults.js';

const env = process.env as Record<string, string>;
const sql = createSql(env.DATABASE_URL!, { max: 10 });
const activities = createActivities({
  sql,
  money: { taxRateBp: 1500, platformFeeBp: 2000, currency: 'SAR' },
  delivery: { acceptTimeoutMs: 3_600_000, reviewTimeoutMs: 3_600_000 },
});
const worker = await Worker.create({
  connection: await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS! }),
  taskQueue: env.TASK_QUEUE!,
  workflowBundle: { codePath: env.BUNDLE_PATH! },
  activities: slowed(activities, Number(env.SLOW_MS ?? 0)),
  // Short sticky timeout: after a kill the replacement picks up the workflow tasks sooner.
  stickyQueueScheduleToStartTimeout: '1 second',
});
process.stdout.write('worker ready\n');
await worker.run();
