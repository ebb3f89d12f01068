import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { balanceOf } from '../../src/db/ledger.js';
import { deliveryStateQuery, deliveryWorkflowId } from '../../src/contracts/delivery.js';
import { orderWorkflowId } from '../../src/contracts/order.js';
import { temporalCli } from '../support/temporal.js';
import { orderFixtures, startOrder, withWorker, workerContext } from '../support/worker.js';

const ctx = workerContext();

/** Runs `run` with a worker of this test's own whose delivery deadlines are `accept` and `review`. */
function withDeadlines<T>(accept: string, review: string, run: (taskQueue: string) => Promise<T>): Promise<T> {
  return withWorker({ sql: ctx.sql, connection: ctx.connection, deadlines: { accept, review } }, run);
}

async function placeOrder(taskQueue: string, price: number) {
  const { client, sql } = ctx;
  const { customer, provider, service } = await orderFixtures(sql, price, 100_000);
  const result = await (await startOrder(client, taskQueue, { customerId: customer.id, serviceId: service.id })).result();
  return { ...result, customer, provider, delivery: client.workflow.getHandle(deliveryWorkflowId(result.orderId)) };
}

describe('delivery deadlines', () => {
  it('cancels and refunds a delivery the provider does not start in time', async () => {
    await withDeadlines('1500ms', '1h', async (taskQueue) => {
      const order = await placeOrder(taskQueue, 1_000);
      const state = await order.delivery.result();
      expect(state.status).toBe('CANCELLED');
      expect(state.history.at(-1)).toMatchObject({ from: 'NEW', to: 'CANCELLED', actorRole: 'system' });
      expect(await balanceOf(ctx.sql, { userId: order.customer.id })).toBe(100_000);
      const [row] = await ctx.sql`SELECT status FROM orders WHERE id = ${order.orderId}`;
      expect(row).toEqual({ status: 'REFUNDED' });
    });
  });

  it('approves and pays out a delivery the customer does not review in time', async () => {
    await withDeadlines('1h', '1500ms', async (taskQueue) => {
      const order = await placeOrder(taskQueue, 1_000);
      const operator = await temporalCli();
      await operator('workflow', 'signal', '--workflow-id', deliveryWorkflowId(order.orderId), '--name', 'start', '--input', '{}');
      await operator('workflow', 'signal', '--workflow-id', deliveryWorkflowId(order.orderId), '--name', 'submit', '--input', '{}');
      const state = await order.delivery.result();
      expect(state.status).toBe('COMPLETED');
      expect(state.history.at(-1)).toMatchObject({ from: 'REVIEWING', to: 'COMPLETED', actorRole: 'system' });
      expect(await balanceOf(ctx.sql, { userId: order.provider.id })).toBe(1_150 - 230 - 35);
    });
  });
});

describe('operator signals from the temporal CLI', () => {
  it('moves a delivery with a legal signal, and records and ignores an illegal one', async () => {
    await withDeadlines('1h', '1h', async (taskQueue) => {
      const order = await placeOrder(taskQueue, 1_000);
      const operator = await temporalCli();
      const id = deliveryWorkflowId(order.orderId);

      await operator('workflow', 'signal', '--workflow-id', id, '--name', 'approve', '--input', '{"reason":"wrong button"}');
      await operator('workflow', 'signal', '--workflow-id', id, '--name', 'start', '--input', '{"reason":"provider asked by phone"}');
      await expect.poll(async () => (await order.delivery.query(deliveryStateQuery)).status).toBe('IN_PROGRESS');

      const state = await order.delivery.query(deliveryStateQuery);
      expect(state.refusedSignals).toEqual([expect.objectContaining({ action: 'approve', status: 'NEW', reason: 'wrong button' })]);
      expect(state.history.at(-1)).toMatchObject({ from: 'NEW', to: 'IN_PROGRESS', actorRole: 'operator', reason: 'provider asked by phone' });
      expect((await order.delivery.describe()).status.name).toBe('RUNNING');
      await expect.poll(async () => (await ctx.sql`SELECT status FROM service_deliveries WHERE order_id = ${order.orderId}`)[0]?.status).toBe('IN_PROGRESS');
      // Close it as an operator would (Cancel: a refund), so the shared database keeps no open
      // delivery without a workflow once this test's worker is gone.
      await order.delivery.cancel();
      expect((await order.delivery.result()).status).toBe('CANCELLED');
    });
  });
});

describe('replay', () => {
  it('replays the histories of a completed and a cancelled delivery without nondeterminism', async () => {
    const histories = await withDeadlines('1s', '1s', async (taskQueue) => {
      const cancelled = await placeOrder(taskQueue, 1_000);
      const completed = await placeOrder(taskQueue, 1_000);
      const operator = await temporalCli();
      await operator('workflow', 'signal', '--workflow-id', deliveryWorkflowId(completed.orderId), '--name', 'start', '--input', '{}');
      await operator('workflow', 'signal', '--workflow-id', deliveryWorkflowId(completed.orderId), '--name', 'submit', '--input', '{}');
      expect((await cancelled.delivery.result()).status).toBe('CANCELLED');
      expect((await completed.delivery.result()).status).toBe('COMPLETED');
      return Promise.all([cancelled, completed].flatMap((o) => [
        ctx.client.workflow.getHandle(orderWorkflowId(o.orderId)), o.delivery,
      ]).map(async (h) => ({ workflowId: h.workflowId, history: await h.fetchHistory() })));
    });

    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') } }, histories)) {
      results.push(result);
    }
    expect(results).toHaveLength(4);
    expect(results.filter((r) => r.error)).toEqual([]);
  });
});
