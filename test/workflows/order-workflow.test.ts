import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { balanceOf } from '../../src/db/ledger.js';
import { orderFixtures, startOrder, withWorker, workerContext } from '../support/worker.js';
import { orderIdOfOrderWorkflow } from '../../src/contracts/order.js';

const ctx = workerContext();

describe('OrderWorkflow compensation', () => {
  it('refunds the payment and marks the order FAILED when the order cannot be recorded', async () => {
    const { sql, client, connection } = ctx;
    const { customer, service } = await orderFixtures(sql, 10_000, 20_000);

    const { orderId, failure } = await withWorker({
      sql, connection, replace: () => ({ recordOrder: async () => { throw ApplicationFailure.nonRetryable('disk full', 'RECORD_BROKEN'); } }),
    }, async (taskQueue) => {
      const handle = await startOrder(client, taskQueue, { customerId: customer.id, serviceId: service.id });
      return { orderId: orderIdOfOrderWorkflow(handle.workflowId), failure: await handle.result().then(() => undefined, (err: unknown) => err) };
    });

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(((failure as WorkflowFailedError).cause as ApplicationFailure).type).toBe('ORDER_FAILED');
    const moves = await sql<{ kind: string; amount: number }[]>`SELECT kind, amount FROM transfers WHERE order_id = ${orderId} ORDER BY id`;
    expect(moves).toEqual([{ kind: 'order_payment', amount: 11_500 }, { kind: 'refund', amount: 11_500 }]);
    expect(await balanceOf(sql, { userId: customer.id })).toBe(20_000);
    const [order] = await sql`SELECT status, failure_code FROM orders WHERE id = ${orderId}`;
    expect(order).toEqual({ status: 'FAILED', failure_code: 'RECORD_FAILED' });
  });

  it('pays once when the payment activity commits and then fails before reporting', async () => {
    const { sql, client, connection } = ctx;
    const { customer, service } = await orderFixtures(sql, 1_000, 5_000);
    let attempts = 0;

    const result = await withWorker({
      sql, connection, replace: (real) => ({
        // The fault hook: the money moves, then the worker "loses" the answer once.
        debitToEscrow: async (input) => {
          await real.debitToEscrow(input);
          attempts += 1;
          if (attempts === 1) throw new Error('connection lost after commit');
        },
      }),
    }, async (taskQueue) => (await startOrder(client, taskQueue, { customerId: customer.id, serviceId: service.id })).result());

    expect(result).toMatchObject({ status: 'COMPLETED', total: 1_150 });
    expect(attempts).toBe(2);
    const payments = await sql`SELECT amount FROM transfers WHERE order_id = ${result.orderId} AND kind = 'order_payment'`;
    expect(payments).toEqual([{ amount: 1_150 }]);
    expect(await balanceOf(sql, { userId: customer.id })).toBe(5_000 - 1_150);
  });
});
