/**
 * The two roles, wired once: the entry points (`npm run worker`, `npm run api`), `npm start`
 * (src/system.ts), the bench and the tests compose these, so each reads the configuration the same way.
 */
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createApp } from './api/app.js';
import type { Config } from './config.js';
import type { Sql } from './db/client.js';
import { ensureSystemWallets } from './db/ledger.js';
import { migrate } from './db/migrate.js';
import { ensureBootstrapAdmin } from './db/users.js';
import type { Logger } from './logger.js';
import type { Metrics } from './observability/metrics.js';
import { createWorker, type WorkerOptions } from './temporal/worker.js';

/**
 * What either role needs of the database before it serves: the migrations (under an advisory lock,
 * so replicas may start at once), the system wallets, and the bootstrap admin when a token is given.
 * Answers the migrations it applied.
 */
export async function prepareDatabase(sql: Sql, config: Config, adminToken: string | undefined): Promise<string[]> {
  const applied = await migrate(sql);
  await ensureSystemWallets(sql, config.money.currency);
  if (adminToken) await ensureBootstrapAdmin(sql, adminToken, config.money.currency);
  return applied;
}

/**
 * The worker role: the product's workflows and activities on the configured task queue. The tests
 * compose it too, on task queues of their own, passing `activities` to inject faults.
 */
export function createWorkerRole(config: Config, deps: {
  sql: Sql; connection: NativeConnection; metrics?: Metrics;
} & Pick<WorkerOptions, 'bundle' | 'activities' | 'stickyQueueScheduleToStartTimeout'>): Promise<Worker> {
  const { sql, connection, metrics, bundle, ...tuning } = deps;
  return createWorker({
    connection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue,
    deps: { sql, money: config.money, delivery: config.delivery, ...(metrics ? { metrics } : {}) },
    stackTraces: config.workflowStackTraces,
    ...(bundle ? { bundle } : config.workflowBundlePath ? { bundlePath: config.workflowBundlePath } : {}),
    ...tuning,
  });
}

/** The API role: the HTTP app over the process's database pool and Temporal client. */
export function createApiRole(config: Config, deps: { sql: Sql; temporal: Client; log: Logger; metrics: Metrics; sdkMetricsUrl?: string }) {
  return createApp({
    sql: deps.sql, temporal: deps.temporal, log: deps.log, metrics: deps.metrics,
    ...(deps.sdkMetricsUrl ? { sdkMetricsUrl: deps.sdkMetricsUrl } : {}),
    taskQueue: config.temporal.taskQueue, currency: config.money.currency, admission: config.admission,
    delivery: config.delivery,
  });
}
