import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSql, type Sql } from '../../src/db/client.js';
import { ensureSystemWallets, transfer } from '../../src/db/ledger.js';
import { migrate } from '../../src/db/migrate.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { createUser } from '../../src/db/users.js';
import { startTemporalDevServer } from '../../src/runtime/dev-server.js';
import { startEmbeddedPostgres } from '../../src/runtime/embedded-postgres.js';
import { freePort } from '../../src/runtime/free-port.js';
import { ensureTemporalCli } from '../../src/runtime/temporal-cli.js';
import { SEARCH_ATTRIBUTES } from '../../src/contracts/search-attributes.js';
import { testSql } from '../support/db.js';
import { installSdkRuntime } from '../../src/temporal/sdk-runtime.js';
import { orderFixtures, startOrder, withWorker } from '../support/worker.js';
import { orderIdOfOrderWorkflow } from '../../src/contracts/order.js';
import { deliveryWorkflowId } from '../../src/contracts/delivery.js';

// Activity retries during injected faults are expected here; the SDK would log each at WARN.
installSdkRuntime({ level: 'ERROR' });

const quiet = () => undefined;

/** Customers with enough money and a service of 1000 (total 1150): the fixtures of a batch of orders. */
async function fixtures(sql: Sql, customers: number) {
  const { service, customer } = await orderFixtures(sql, 1_000, 100_000);
  const customerIds = [customer.id];
  for (let i = 1; i < customers; i += 1) {
    const c = await createUser(sql, { name: `c${i}`, role: 'customer', currency: 'SAR' });
    await transfer(sql, { key: `test:${randomUUID()}`, from: { system: 'external' }, to: { userId: c.id }, amount: 100_000, kind: 'deposit' });
    customerIds.push(c.id);
  }
  return { serviceId: service.id, customerIds };
}

function startOrders(client: Client, taskQueue: string, f: { serviceId: number; customerIds: number[] }, count: number) {
  return Array.from({ length: count }, (_, i) =>
    startOrder(client, taskQueue, { customerId: f.customerIds[i % f.customerIds.length]!, serviceId: f.serviceId }));
}

async function paymentsPerOrder(sql: Sql, orderIds: string[]) {
  return sql<{ orderId: string; n: number }[]>`
    SELECT o.id AS "orderId", (SELECT count(*)::int FROM transfers t WHERE t.order_id = o.id AND t.kind = 'order_payment') AS n
    FROM unnest(${orderIds}::uuid[]) AS o(id)`;
}

/**
 * Ten orders through a slowed worker; once money has started to move, `restart` takes a component
 * down and brings it back. Every order must still complete with exactly one payment.
 */
async function midRunRestart(sql: Sql, client: Client, taskQueue: string, restart: () => Promise<void>): Promise<string[]> {
  const handles = await Promise.all(startOrders(client, taskQueue, await fixtures(sql, 5), 10));
  const orderIds = handles.map((h) => orderIdOfOrderWorkflow(h.workflowId));
  await until(async () => (await paymentsPerOrder(sql, orderIds)).some((p) => p.n > 0));
  await restart();
  const results = await withinOr(Promise.all(handles.map((h) => h.result())), 120_000, async () => {
    // Say where each unfinished order stands instead of timing out silently.
    const states = await Promise.all(handles.map(async (h) => {
      const events = (await h.fetchHistory()).events ?? [];
      return `${h.workflowId}: ${events.slice(-4).map((e) => e.eventType).join(' ')}`;
    }));
    return `orders not finished 120 s after the restart:\n${states.join('\n')}`;
  });
  expect(results.map((r) => r.status)).toEqual(Array(10).fill('COMPLETED'));
  expect((await paymentsPerOrder(sql, orderIds)).map((p) => p.n)).toEqual(Array(10).fill(1));
  return orderIds;
}

/** `work`, or a failure that says what `explain` finds, once `ms` have passed. */
async function withinOr<T>(work: Promise<T>, ms: number, explain: () => Promise<string>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { void explain().then((why) => reject(new Error(why)), reject); }, ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a worker killed with SIGKILL while 20 orders are in flight', () => {
  let sql: Sql;
  let client: Client;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    sql = testSql();
    client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await client.connection.close();
    await sql.end();
  });

  function spawnWorker(taskQueue: string, slowMs: number): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-process.ts'], {
      env: {
        ...process.env, DATABASE_URL: inject('databaseUrl'), TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_TASK_QUEUE: taskQueue,
        WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'), SLOW_MS: String(slowMs),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => { if (chunk.toString().includes('worker ready')) resolve(child); });
      child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
    });
  }

  it('lets a new worker finish every order with exactly one payment each', async () => {
    const taskQueue = `faults-kill-${randomUUID()}`;
    const f = await fixtures(sql, 5);
    const first = await spawnWorker(taskQueue, 400);
    const handles = await Promise.all(startOrders(client, taskQueue, f, 20));
    const orderIds = handles.map((h) => orderIdOfOrderWorkflow(h.workflowId));
    await until(async () => (await paymentsPerOrder(sql, orderIds)).some((p) => p.n > 0));

    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await spawnWorker(taskQueue, 0);
    const results = await Promise.all(handles.map((h) => h.result()));

    expect(results.map((r) => r.status)).toEqual(Array(20).fill('COMPLETED'));
    expect((await paymentsPerOrder(sql, orderIds)).map((p) => p.n)).toEqual(Array(20).fill(1));
    expect((await reconcile(sql)).ok).toBe(true);
  }, 180_000);
});

describe('the Temporal server restarted in the middle of a run', () => {
  it('continues the running workflows and moves no money twice', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'faults-temporal-'));
    const cli = await ensureTemporalCli({ log: quiet });
    const ports = { port: await freePort(), uiPort: await freePort() };
    const options = { cli, dataDir, ...ports, namespace: 'default', searchAttributes: SEARCH_ATTRIBUTES, log: quiet };
    let server = await startTemporalDevServer(options);
    const sql = testSql();
    const connection = await NativeConnection.connect({ address: server.address });
    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    try {
      await withWorker({ sql, connection, slowMs: 300 }, async (taskQueue) => {
        const orderIds = await midRunRestart(sql, client, taskQueue, async () => {
          await server.stop();
          await new Promise((r) => setTimeout(r, 1_500));
          server = await startTemporalDevServer(options);
        });
        // These deliveries are in the shared database but their workflows live on this test's own
        // server, which goes away with it: cancel them (a refund each) so none is left open.
        await Promise.all(orderIds.map(async (id) => {
          const delivery = client.workflow.getHandle(deliveryWorkflowId(id));
          await delivery.cancel();
          await delivery.result();
        }));
      });
    } finally {
      await client.connection.close();
      await connection.close();
      await server.stop();
      await sql.end({ timeout: 5 }); // a connection left hanging by the restart must not hold the test
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('PostgreSQL restarted in the middle of a run', () => {
  it('retries the activities until the database is back, and loses nothing', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'faults-pg-'));
    await chmod(dataDir, 0o755);
    const port = await freePort();
    let pg = await startEmbeddedPostgres({ dataDir, port, log: quiet });
    const sql = createSql(pg.url, { max: 10 });
    await migrate(sql);
    await ensureSystemWallets(sql, 'SAR');
    const client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    try {
      const orderIds = await withWorker({ sql, connection, slowMs: 300 }, (taskQueue) => midRunRestart(sql, client, taskQueue, async () => {
        await pg.stop();
        await new Promise((r) => setTimeout(r, 2_000));
        pg = await startEmbeddedPostgres({ dataDir, port, log: quiet });
      }));
      const [delivered] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM service_deliveries WHERE order_id = ANY(${orderIds}::uuid[])`;
      expect(delivered!.n).toBe(10);
      expect((await reconcile(sql)).ok).toBe(true);
    } finally {
      // The delivery workflows of this database would outlive it: end them with the test.
      await Promise.all((await sql<{ orderId: string }[]>`SELECT order_id AS "orderId" FROM service_deliveries`.catch(() => []))
        .map((d) => client.workflow.getHandle(deliveryWorkflowId(d.orderId)).terminate('test over').catch(() => undefined)));
      await client.connection.close();
      await connection.close();
      await sql.end({ timeout: 5 }); // a connection left hanging by the restart must not hold the test
      await pg.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});

