import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Activities } from '../../src/activities/index.js';
import { createService } from '../../src/db/catalog.js';
import type { Sql } from '../../src/db/client.js';
import { transfer } from '../../src/db/ledger.js';
import { createUser } from '../../src/db/users.js';
import { createWorkerRole } from '../../src/roles.js';
import { installSdkRuntime } from '../../src/temporal/sdk-runtime.js';
import { ORDER_WORKFLOW_TYPE, orderWorkflowId, type OrderWorkflow } from '../../src/contracts/order.js';
import { testConfig } from './config.js';
import { testSql } from './db.js';
import { slowed } from './faults.js';

export interface WorkerContext { sql: Sql; client: Client; connection: NativeConnection }

/**
 * For test files that run workers of their own (with replaced or slowed activities, or other
 * deadlines) against the run's dev server and database: connections opened once per file.
 */
export function workerContext(): WorkerContext {
  // Activity failures are what these tests inject; the SDK would log each retry at WARN.
  installSdkRuntime({ level: 'ERROR' });
  const ctx = {} as WorkerContext;
  beforeAll(async () => {
    ctx.sql = testSql();
    ctx.client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
    ctx.connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await ctx.client.connection.close();
    await ctx.connection.close();
    await ctx.sql.end();
  });
  return ctx;
}

export interface TestWorkerOptions {
  sql: Sql;
  connection: NativeConnection;
  /** The task queue to poll; a fresh one by default. */
  taskQueue?: string;
  /** Activities to use instead of the real ones, built from the real ones when they need them. */
  replace?: (real: Activities) => Partial<Activities>;
  /** Delivery deadlines other than an hour each, as the settings table writes them (`1500ms`). */
  deadlines?: { accept: string; review: string };
  /** Every activity waits this long before it runs. */
  slowMs?: number;
}

/** Runs `work` with the product's worker role (some activities replaced) on a task queue of its own. */
export async function withWorker<T>(options: TestWorkerOptions, work: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const config = testConfig(taskQueue, options.deadlines
    ? { DELIVERY_ACCEPT_TIMEOUT: options.deadlines.accept, DELIVERY_REVIEW_TIMEOUT: options.deadlines.review } : {});
  const worker = await createWorkerRole(config, {
    sql: options.sql, connection: options.connection,
    activities: (real) => {
      const activities = { ...real, ...options.replace?.(real) };
      return options.slowMs ? slowed(activities, options.slowMs) : activities;
    },
  });
  return worker.runUntil(work(taskQueue));
}

/** A provider, a service at `price` and a customer holding `balance`, written straight to the database. */
export async function orderFixtures(sql: Sql, price: number, balance: number) {
  const provider = await createUser(sql, { name: 'p', role: 'provider', currency: 'SAR' });
  const customer = await createUser(sql, { name: 'c', role: 'customer', currency: 'SAR' });
  const service = await createService(sql, { providerId: provider.id, name: 'Logo', price, status: 'ACTIVE', upgrades: [] });
  await transfer(sql, { key: `test:${randomUUID()}`, from: { system: 'external' }, to: { userId: customer.id }, amount: balance, kind: 'deposit' });
  return { provider, customer, service };
}

/** Starts an OrderWorkflow directly: a plain start by name, without the API's Update or search attributes. */
export function startOrder(client: Client, taskQueue: string, input: { customerId: number; serviceId: number }, orderId: string = randomUUID()) {
  return client.workflow.start<OrderWorkflow>(ORDER_WORKFLOW_TYPE, {
    workflowId: orderWorkflowId(orderId), taskQueue,
    args: [{ orderId, ...input, methodType: 'wallet', upgradeIds: [] }],
  });
}
