import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createActivities, type Activities } from '../../src/activities/index.js';
import type { Sql } from '../../src/db/client.js';
import { balanceOf, transfer } from '../../src/db/ledger.js';
import { createService } from '../../src/db/catalog.js';
import { createUser } from '../../src/db/users.js';
import { ORDER_WORKFLOW_TYPE, orderWorkflowId } from '../../src/workflows/order-contract.js';
import type { orderWorkflow } from '../../src/workflows/order-workflow.js';
import { testSql } from '../support/db.js';
import { installRuntime } from '../../src/temporal/runtime.js';

// Activity retries during injected faults are expected here; the SDK would log each at WARN.
installRuntime({ level: 'ERROR' });

let sql: Sql;
let client: Client;
let connection: NativeConnection;

beforeAll(async () => {
  sql = testSql();
  client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await client.connection.close();
  await connection.close();
  await sql.end();
});

/** A worker with the real activities against the real database, some of them replaced. */
async function withWorker<T>(overrides: Partial<Activities>, run: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `order-workflow-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection, taskQueue, workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: { ...createActivities({ sql, money: { taxRateBp: 1500, platformFeeBp: 2000, currency: 'SAR' }, delivery: { acceptTimeoutMs: 3_600_000, reviewTimeoutMs: 3_600_000 } }), ...overrides },
  });
  return worker.runUntil(run(taskQueue));
}

describe('OrderWorkflow compensation', () => {
  it('refunds the payment and marks the order FAILED when the order cannot be recorded', async () => {
    const provider = await createUser(sql, { name: 'p', role: 'provider', currency: 'SAR' });
    const customer = await createUser(sql, { name: 'c', role: 'customer', currency: 'SAR' });
    const service = await createService(sql, { providerId: provider.id, name: 'Logo', price: 10_000, status: 'ACTIVE', upgrades: [] });
    await transfer(sql, { key: `test:${randomUUID()}`, from: { system: 'external' }, to: { userId: customer.id }, amount: 20_000, kind: 'deposit' });
    const orderId = randomUUID();

    const failure = await withWorker({
      recordOrder: async () => { throw ApplicationFailure.nonRetryable('disk full', 'RECORD_BROKEN'); },
    }, (taskQueue) => client.workflow.execute<typeof orderWorkflow>(ORDER_WORKFLOW_TYPE, {
      workflowId: orderWorkflowId(orderId), taskQueue,
      args: [{ orderId, customerId: customer.id, serviceId: service.id, methodType: 'wallet', upgradeIds: [] }],
    }).then(() => undefined, (err: unknown) => err));

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(((failure as WorkflowFailedError).cause as ApplicationFailure).type).toBe('ORDER_FAILED');
    const moves = await sql<{ kind: string; amount: number }[]>`SELECT kind, amount FROM transfers WHERE order_id = ${orderId} ORDER BY id`;
    expect(moves).toEqual([{ kind: 'order_payment', amount: 11_500 }, { kind: 'refund', amount: 11_500 }]);
    expect(await balanceOf(sql, { userId: customer.id })).toBe(20_000);
    const [order] = await sql`SELECT status, failure_code FROM orders WHERE id = ${orderId}`;
    expect(order).toEqual({ status: 'FAILED', failure_code: 'RECORD_FAILED' });
  });

  it('pays once when the payment activity commits and then fails before reporting', async () => {
    const provider = await createUser(sql, { name: 'p', role: 'provider', currency: 'SAR' });
    const customer = await createUser(sql, { name: 'c', role: 'customer', currency: 'SAR' });
    const service = await createService(sql, { providerId: provider.id, name: 'Logo', price: 1_000, status: 'ACTIVE', upgrades: [] });
    await transfer(sql, { key: `test:${randomUUID()}`, from: { system: 'external' }, to: { userId: customer.id }, amount: 5_000, kind: 'deposit' });
    const orderId = randomUUID();
    const real = createActivities({ sql, money: { taxRateBp: 1500, platformFeeBp: 2000, currency: 'SAR' }, delivery: { acceptTimeoutMs: 3_600_000, reviewTimeoutMs: 3_600_000 } });
    let attempts = 0;

    const result = await withWorker({
      debitToEscrow: async (input) => {
        await real.debitToEscrow(input);
        attempts += 1;
        if (attempts === 1) throw new Error('connection lost after commit');
      },
    }, (taskQueue) => client.workflow.execute<typeof orderWorkflow>(ORDER_WORKFLOW_TYPE, {
      workflowId: orderWorkflowId(orderId), taskQueue,
      args: [{ orderId, customerId: customer.id, serviceId: service.id, methodType: 'wallet', upgradeIds: [] }],
    }));

    expect(result).toMatchObject({ orderId, status: 'COMPLETED', total: 1_150 });
    expect(attempts).toBe(2);
    const payments = await sql`SELECT amount FROM transfers WHERE order_id = ${orderId} AND kind = 'order_payment'`;
    expect(payments).toEqual([{ amount: 1_150 }]);
    expect(await balanceOf(sql, { userId: customer.id })).toBe(5_000 - 1_150);
  });
});
