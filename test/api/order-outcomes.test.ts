import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { transfer } from '../../src/db/ledger.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createApiRole } from '../../src/roles.js';
import { orderWorkflowId } from '../../src/contracts/order.js';
import { balance, call, checkAnswer, customerAndService, placeOrder, reconciliation, type TestUser } from '../support/api.js';
import { drive } from '../support/deliveries.js';
import { temporalCli } from '../support/temporal.js';
import { testConfig } from '../support/config.js';
import { startOrder, withWorker, workerContext, type TestWorkerOptions } from '../support/worker.js';
import { deliveryWorkflowId } from '../../src/contracts/delivery.js';

/**
 * What the HTTP caller of POST /orders gets when an operator cancels the order's workflow, when the
 * order cannot be recorded, or when a transfer key conflicts: an API of the test's own on a task
 * queue whose worker the test controls, in front of the run's real Temporal and PostgreSQL.
 */
const ctx = workerContext();
let operator: Awaited<ReturnType<typeof temporalCli>>;
beforeAll(async () => { operator = await temporalCli(); });

function ownApi(taskQueue: string) {
  return createApiRole(testConfig(taskQueue, { ORDERS_MAX_IN_FLIGHT: '100', ADMISSION_MIN_LIMIT: '100' }), {
    sql: ctx.sql, temporal: ctx.client, log: createLogger('error', 'order-outcomes-test', 'json'), metrics: createMetrics(),
  });
}

/** An order of this test's own: an API on a fresh task queue, a customer who can pay 1 150, a key. */
async function ownOrder() {
  const taskQueue = `test-${randomUUID()}`;
  const { customer, service } = await customerAndService(1_000, 10_000);
  return { taskQueue, app: ownApi(taskQueue), customer, serviceId: service.id, key: randomUUID() };
}

function order(app: ReturnType<typeof ownApi>, customer: TestUser, serviceId: number, key: string) {
  return Promise.resolve(app.request('/api/v1/orders', {
    method: 'POST', body: JSON.stringify({ service_id: serviceId, method_type: 'wallet' }),
    headers: { authorization: `Bearer ${customer.token}`, 'content-type': 'application/json', 'idempotency-key': key },
  })).then(async (res) => {
    const body = await res.json() as { code?: string; message: string; data: { id: string; delivery: { id: string } } };
    await checkAnswer('POST', '/api/v1/orders', res.status, body);
    return { status: res.status, body };
  });
}

/** Runs `work` with the worker role on the order's task queue, some activities replaced. */
function runWorker<T>(taskQueue: string, work: () => Promise<T>, replace?: TestWorkerOptions['replace']): Promise<T> {
  return withWorker({ sql: ctx.sql, connection: ctx.connection, taskQueue, replace }, work);
}

const orderIdOf = async (customer: TestUser, key: string) =>
  (await ctx.sql<{ orderId: string }[]>`SELECT order_id AS "orderId" FROM order_requests WHERE customer_id = ${customer.id} AND idempotency_key = ${key}`)[0]!.orderId;
const transfersOf = (orderId: string) => ctx.sql<{ kind: string }[]>`SELECT kind FROM transfers WHERE order_id = ${orderId} ORDER BY id`;

describe('Cancel on an OrderWorkflow', () => {
  it('before the debit: the caller gets 409 ORDER_CANCELLED and nothing is charged', async () => {
    const { taskQueue, app, customer, serviceId, key } = await ownOrder();
    const answer = order(app, customer, serviceId, key); // no worker yet: the order waits for one
    await expect.poll(() => ctx.sql`SELECT 1 FROM order_requests WHERE customer_id = ${customer.id}`.then((r) => r.length)).toBe(1);
    const orderId = await orderIdOf(customer, key);
    await expect.poll(() => ctx.client.workflow.getHandle(orderWorkflowId(orderId)).describe().then(() => true, () => false)).toBe(true);
    await operator('workflow', 'cancel', '--workflow-id', orderWorkflowId(orderId));

    const res = await runWorker(taskQueue, () => answer);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('ORDER_CANCELLED');
    expect(await transfersOf(orderId)).toEqual([]);
    expect(await balance(customer)).toBe(10_000);
    expect((await order(app, customer, serviceId, key)).body.code).toBe('ORDER_CANCELLED'); // replayed from the database
  });

  it('after the debit: the order is paid, recorded and tracked by its delivery; the caller gets 201', async () => {
    const { taskQueue, app, customer, serviceId, key } = await ownOrder();
    // The debit waits on the customer's wallet, locked here, so the cancel arrives while it runs.
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    const held = ctx.sql.begin(async (tx) => {
      await tx`SELECT id FROM wallets WHERE user_id = ${customer.id} FOR UPDATE`;
      await released;
    });
    const res = await runWorker(taskQueue, async () => {
      const answer = order(app, customer, serviceId, key);
      await expect.poll(() => ctx.sql`SELECT 1 FROM order_requests WHERE customer_id = ${customer.id}`.then((r) => r.length)).toBe(1);
      const orderId = await orderIdOf(customer, key);
      await sleep(1_000); // validated, now waiting in the debit
      await operator('workflow', 'cancel', '--workflow-id', orderWorkflowId(orderId));
      release();
      await held;
      return answer;
    });
    expect(res.status).toBe(201);
    const orderId = res.body.data.id;
    expect((await transfersOf(orderId)).map((t) => t.kind)).toEqual(['order_payment']);
    expect((await call('GET', `/api/v1/deliveries/${res.body.data.delivery.id}`, { token: customer.token })).body.data.status).toBe('NEW');
    const delivery = ctx.client.workflow.getHandle(deliveryWorkflowId(orderId));
    expect((await delivery.describe()).status.name).toBe('RUNNING');
    await delivery.terminate('test over'); // its worker is gone; leave no open delivery behind
    await ctx.sql.begin(async (tx) => {
      const { applyTransition } = await import('../../src/db/settlement.js');
      await applyTransition(tx, {
        deliveryId: res.body.data.delivery.id, orderId, eventKey: `test:${randomUUID()}`, from: 'NEW', to: 'CANCELLED',
        actorRole: 'admin', actorId: null, reason: 'test cleanup', at: new Date().toISOString(),
      });
    });
    expect((await reconciliation()).ok).toBe(true);
  });
});

describe('orders that fail after the payment', () => {
  it('answers 500 ORDER_FAILED in the envelope when the order cannot be recorded, and replays it', async () => {
    const { taskQueue, app, customer, serviceId, key } = await ownOrder();
    const res = await runWorker(taskQueue, () => order(app, customer, serviceId, key), () => ({
      recordOrder: async () => { throw ApplicationFailure.nonRetryable('disk full', 'RECORD_BROKEN'); },
    }));
    expect(res).toMatchObject({ status: 500, body: { success: false, code: 'ORDER_FAILED', message: 'The order could not be recorded; the payment was refunded.' } });
    expect(await balance(customer)).toBe(10_000);
    expect((await order(app, customer, serviceId, key)).body.code).toBe('ORDER_FAILED');
  });

  it('stops at once when the payment key was used for another transfer, instead of retrying forever', async () => {
    const { taskQueue, customer, serviceId } = await ownOrder();
    const orderId = randomUUID();
    // A deposit that took the order's payment key by mistake: same key, other fields.
    await transfer(ctx.sql, { key: `order:${orderId}:payment`, from: { system: 'external' }, to: { userId: customer.id }, amount: 1, kind: 'deposit' });

    const started = Date.now();
    const failure = await runWorker(taskQueue, async () => {
      const handle = await startOrder(ctx.client, taskQueue, { customerId: customer.id, serviceId }, orderId);
      return handle.result().then(() => undefined, (err: unknown) => err);
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const types: unknown[] = [];
    for (let e: unknown = failure; e instanceof Error; e = e.cause) types.push((e as ApplicationFailure).type ?? e.constructor.name);
    expect(types).toContain('TRANSFER_KEY_CONFLICT');
    expect(await balance(customer)).toBe(10_001);
    expect(await ctx.sql`SELECT kind FROM transfers WHERE idempotency_key = ${`order:${orderId}:payment`}`).toEqual([{ kind: 'deposit' }]);
  });
});

describe('transition keys name one request', () => {
  it('refuses a key reused for another delivery or another action with 422, moving nothing', async () => {
    const { provider, service, customer } = await customerAndService(1_000, 10_000);
    const deliveries: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await placeOrder(customer, { service_id: service.id, method_type: 'wallet' });
      deliveries.push(res.body.data.delivery.id);
    }
    const [a, b, c] = deliveries as [string, string, string];
    const status = async (id: string) => (await call('GET', `/api/v1/deliveries/${id}`, { token: customer.token })).body.data.status;

    const key = randomUUID();
    expect((await drive(customer, a, 'cancel', { key })).status).toBe(200);
    expect((await drive(customer, a, 'cancel', { key })).status).toBe(200); // the same request again: answered the same
    const otherDelivery = await drive(customer, b, 'cancel', { key });
    expect(otherDelivery.status).toBe(422);
    expect(otherDelivery.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await status(b)).toBe('NEW');

    const startKey = randomUUID();
    expect((await drive(provider, c, 'start', { key: startKey })).status).toBe(200);
    const otherAction = await drive(provider, c, 'cancel', { key: startKey });
    expect(otherAction.status).toBe(422);
    expect(otherAction.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await status(c)).toBe('IN_PROGRESS');
    expect(await balance(customer)).toBe(10_000 - 3 * 1_150 + 1_150);
    // Keys are the user's own: another user may use the same one.
    expect((await drive(provider, b, 'start', { key })).status).toBe(200);
  });
});
