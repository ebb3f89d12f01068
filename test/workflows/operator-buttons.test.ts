import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { deliveryStateQuery, deliveryWorkflowId, type DeliveryState } from '../../src/contracts/delivery.js';
import { admin, balance, call, reconciliation, type TestUser } from '../support/api.js';
import { testSql } from '../support/db.js';
import { drive, driveAll, paidDelivery, type PaidDelivery } from '../support/deliveries.js';
import { temporalCli, temporalClient } from '../support/temporal.js';

/**
 * The Web UI's buttons, pressed through the `temporal` CLI (which sends the same requests) against
 * the running system: Cancel, Terminate, Reset and Signal never strand or double money.
 */
let sql: Sql;
let client: Client;
let operator: Awaited<ReturnType<typeof temporalCli>>;
beforeAll(async () => {
  sql = testSql();
  client = await temporalClient();
  operator = await temporalCli();
});
afterAll(async () => {
  await client.connection.close();
  await sql.end();
});

const workflowOf = (d: PaidDelivery) => client.workflow.getHandle(deliveryWorkflowId(d.orderId));
const transfersOf = (orderId: string) => sql<{ kind: string; amount: number }[]>`
  SELECT kind, amount FROM transfers WHERE order_id = ${orderId} ORDER BY id`;
const orderStatus = async (d: PaidDelivery) => (await call('GET', `/api/v1/orders/${d.orderId}`, { token: d.customer.token })).body.data.status;
const deliveryOf = async (d: PaidDelivery) => (await call('GET', `/api/v1/deliveries/${d.deliveryId}`, { token: d.customer.token })).body.data;

/** Holds a row lock on a user's wallet until release(), so a money step touching it waits. */
async function holdWallet(user: TestUser): Promise<{ release: () => Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => { release = resolve; });
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => { locked = resolve; });
  const done = sql.begin(async (tx) => {
    await tx`SELECT id FROM wallets WHERE user_id = ${user.id} FOR UPDATE`;
    locked();
    await released;
  });
  await isLocked;
  return { release: async () => { release(); await done; } };
}

describe('Cancel on a DeliveryWorkflow is an operator\'s cancel', () => {
  for (const [status, steps] of [['NEW', []], ['IN_PROGRESS', ['start']], ['REVIEWING', ['start', 'submit']]] as const) {
    it(`refunds a ${status} delivery to the halala, marks the order REFUNDED and records the move`, async () => {
      const d = await paidDelivery(10_000);
      await driveAll(d, [...steps]);
      const before = await balance(d.customer);

      await operator('workflow', 'cancel', '--workflow-id', deliveryWorkflowId(d.orderId));
      const state = await workflowOf(d).result() as DeliveryState;

      expect(state.status).toBe('CANCELLED');
      expect(await balance(d.customer)).toBe(before + 11_500);
      expect(await transfersOf(d.orderId)).toEqual([{ kind: 'order_payment', amount: 11_500 }, { kind: 'refund', amount: 11_500 }]);
      expect(await orderStatus(d)).toBe('REFUNDED');
      const delivery = await deliveryOf(d);
      expect(delivery.status).toBe('CANCELLED');
      expect(delivery.history.at(-1)).toMatchObject({ from: status, to: 'CANCELLED', actor_role: 'operator' });
      expect(delivery.history.at(-1).reason).toMatch(/cancellation requested/);
    });
  }

  it('lets a payout under way finish when the cancel request arrives during it: nothing is refunded', async () => {
    const d = await paidDelivery(10_000);
    await driveAll(d, ['start', 'submit']);
    const lock = await holdWallet(d.provider); // the payout waits on the provider's wallet
    const approving = drive(d.customer, d.deliveryId, 'approve');
    await sleep(1_000);
    await operator('workflow', 'cancel', '--workflow-id', deliveryWorkflowId(d.orderId));
    await sleep(500);
    await lock.release();

    // The cancel request lands while the approve's workflow task is open: Temporal fails that task
    // (UnhandledCommand) and with it the Update's RPC; the API finds the approve's own event and answers 200.
    expect((await approving).status).toBe(200);
    const state = await workflowOf(d).result() as DeliveryState;
    expect(state.status).toBe('COMPLETED');
    expect((await transfersOf(d.orderId)).map((t) => t.kind)).toEqual(['order_payment', 'payout_profit', 'payout_tax', 'payout_provider']);
    expect(await balance(d.provider)).toBe(8_855);
    expect(await orderStatus(d)).toBe('COMPLETED');
  });
});

/** Resets to the first workflow task without reapplying signals or updates, as the UI's Reset can. */
async function resetToStart(d: PaidDelivery): Promise<void> {
  await operator('workflow', 'reset', '--workflow-id', deliveryWorkflowId(d.orderId), '--type', 'FirstWorkflowTask',
    '--reason', 'test: reset', '--reapply-exclude', 'Signal', '--reapply-exclude', 'Update');
}

describe('Reset never moves money twice', () => {
  it('refuses a cancel signal after a COMPLETED delivery is reset: no refund, still COMPLETED', async () => {
    const d = await paidDelivery(10_000);
    await driveAll(d, ['start', 'submit', 'approve']);
    const money = { customer: await balance(d.customer), provider: await balance(d.provider) };
    await resetToStart(d);
    await operator('workflow', 'signal', '--workflow-id', deliveryWorkflowId(d.orderId), '--name', 'cancel', '--input', '{"reason":"after reset"}');

    const state = await workflowOf(d).result() as DeliveryState;
    expect(state.status).toBe('COMPLETED');
    expect(state.refusedMoves).toEqual([expect.objectContaining({ action: 'cancel', from: 'NEW', to: 'CANCELLED', actorRole: 'operator' })]);
    expect((await transfersOf(d.orderId)).map((t) => t.kind)).toEqual(['order_payment', 'payout_profit', 'payout_tax', 'payout_provider']);
    expect({ customer: await balance(d.customer), provider: await balance(d.provider) }).toEqual(money);
    expect((await deliveryOf(d)).status).toBe('COMPLETED');
    expect(await orderStatus(d)).toBe('COMPLETED');
  });

  it('refuses an approve and a second cancel after a CANCELLED delivery is reset: refunded once, still CANCELLED', async () => {
    const d = await paidDelivery(10_000);
    await drive(d.customer, d.deliveryId, 'cancel');
    const customer = await balance(d.customer);
    await resetToStart(d);
    const signal = (name: string) => operator('workflow', 'signal', '--workflow-id', deliveryWorkflowId(d.orderId), '--name', name, '--input', '{}');
    await signal('approve'); // not allowed from NEW: recorded and ignored by the workflow
    await signal('cancel'); // allowed from NEW by the workflow's state, refused by the database

    const state = await workflowOf(d).result() as DeliveryState;
    expect(state.status).toBe('CANCELLED');
    expect(state.refusedSignals).toEqual([expect.objectContaining({ action: 'approve', status: 'NEW' })]);
    expect(state.refusedMoves).toEqual([expect.objectContaining({ action: 'cancel', from: 'NEW', to: 'CANCELLED' })]);
    expect(await transfersOf(d.orderId)).toEqual([{ kind: 'order_payment', amount: 11_500 }, { kind: 'refund', amount: 11_500 }]);
    expect(await balance(d.customer)).toBe(customer);
  });
});

describe('Cancel after a Reset', () => {
  it('cancels from the database\'s status when the run\'s own is stale: one refund, CANCELLED', async () => {
    const d = await paidDelivery(10_000);
    await driveAll(d, ['start']);
    // After the reset the run believes NEW; the database says IN_PROGRESS.
    await resetToStart(d);
    await operator('workflow', 'cancel', '--workflow-id', deliveryWorkflowId(d.orderId));

    const state = await workflowOf(d).result() as DeliveryState;
    expect(state.status).toBe('CANCELLED');
    expect(state.refusedMoves).toEqual([expect.objectContaining({ action: 'cancel', from: 'NEW', to: 'CANCELLED' })]);
    expect(await transfersOf(d.orderId)).toEqual([{ kind: 'order_payment', amount: 11_500 }, { kind: 'refund', amount: 11_500 }]);
    const delivery = await deliveryOf(d);
    expect(delivery.history.map((h: { from: string; to: string }) => `${h.from}→${h.to}`)).toEqual(['null→NEW', 'NEW→IN_PROGRESS', 'IN_PROGRESS→CANCELLED']);
    expect(await orderStatus(d)).toBe('REFUNDED');
  });
});

describe('The stack-trace query (WORKFLOW_STACK_TRACES, off by default)', () => {
  it('answers that stack traces are not enabled, and the state query still tells the story', async () => {
    const d = await paidDelivery(10_000);
    const handle = workflowOf(d);
    await expect(handle.query<string>('__stack_trace')).rejects.toThrow('Workflow stack traces are not enabled on this worker');
    expect((await handle.query(deliveryStateQuery)).status).toBe('NEW');
    await drive(d.customer, d.deliveryId, 'cancel');
    await handle.result();
  });
});

describe('A signal after a Reset', () => {
  it('applies an operator\'s cancel from the database\'s status when the run\'s own is stale: one refund, CANCELLED, the run ends', async () => {
    const d = await paidDelivery(10_000);
    await driveAll(d, ['start']);
    // After the reset the run believes NEW; the database says IN_PROGRESS. NEW → CANCELLED is refused
    // by the database, IN_PROGRESS → CANCELLED is the operator's to make: it is tried from there.
    await resetToStart(d);
    await operator('workflow', 'signal', '--workflow-id', deliveryWorkflowId(d.orderId), '--name', 'cancel', '--input', '{"reason":"after reset"}');

    const state = await workflowOf(d).result() as DeliveryState;
    expect(state.status).toBe('CANCELLED');
    expect(state.refusedMoves).toEqual([expect.objectContaining({ action: 'cancel', from: 'NEW', to: 'CANCELLED', actorRole: 'operator' })]);
    expect(await transfersOf(d.orderId)).toEqual([{ kind: 'order_payment', amount: 11_500 }, { kind: 'refund', amount: 11_500 }]);
    const delivery = await deliveryOf(d);
    expect(delivery.history.map((h: { from: string; to: string; actor_role: string; reason: string | null }) => `${h.from}→${h.to} ${h.actor_role} ${h.reason}`))
      .toEqual(['null→NEW system null', 'NEW→IN_PROGRESS provider null', 'IN_PROGRESS→CANCELLED operator after reset']);
    expect(await orderStatus(d)).toBe('REFUNDED');
  });

  it('keeps the run going while the database holds the delivery open: a later approve still pays out', async () => {
    const d = await paidDelivery(10_000);
    await driveAll(d, ['start', 'submit']);
    await resetToStart(d);
    // The run believes NEW, so it takes `start`; the database (REVIEWING) refuses it, and `start` is
    // not allowed from REVIEWING: the refusal is on record and the run takes REVIEWING as its status.
    await operator('workflow', 'signal', '--workflow-id', deliveryWorkflowId(d.orderId), '--name', 'start', '--input', '{}');
    await expect.poll(async () => (await workflowOf(d).query(deliveryStateQuery)).status, { timeout: 10_000 }).toBe('REVIEWING');
    const state = await workflowOf(d).query(deliveryStateQuery);
    expect(state.refusedMoves).toEqual([expect.objectContaining({ action: 'start', from: 'NEW', to: 'IN_PROGRESS', actorRole: 'operator' })]);
    expect((await workflowOf(d).describe()).status.name).toBe('RUNNING');

    await drive(d.customer, d.deliveryId, 'approve');
    expect((await workflowOf(d).result() as DeliveryState).status).toBe('COMPLETED');
    expect((await transfersOf(d.orderId)).map((t) => t.kind)).toEqual(['order_payment', 'payout_profit', 'payout_tax', 'payout_provider']);
  });
});

describe('Terminate, reconciliation and resume', () => {
  const resume = (deliveryId: string, token = admin()) => call('POST', `/api/v1/admin/deliveries/${deliveryId}/resume`, { token });
  /** Makes a delivery look older than reconciliation's grace period for workflows still starting. */
  const age = (d: PaidDelivery) => sql`UPDATE service_deliveries SET created_at = now() - interval '5 minutes' WHERE id = ${d.deliveryId}`;
  const untracked = async () => (await reconciliation()).checks.find((c) => c.name === 'open_deliveries_have_workflows')!;

  it('names an open delivery whose workflow was terminated, resumes it once, and pays the provider exactly once', async () => {
    const d = await paidDelivery(10_000);
    const fresh = await paidDelivery(10_000);
    await driveAll(d, ['start']);
    await operator('workflow', 'terminate', '--workflow-id', deliveryWorkflowId(d.orderId), '--reason', 'test: terminate');
    await operator('workflow', 'terminate', '--workflow-id', deliveryWorkflowId(fresh.orderId), '--reason', 'test: terminate');
    await age(d);

    // A workflow that closed is reported at once, however young its delivery (visibility lags a little).
    await expect.poll(async () => (await untracked()).detail, { timeout: 5_000 }).toContain(fresh.deliveryId);
    const check = await untracked();
    expect(check.ok).toBe(false);
    expect(check.detail).toContain(d.deliveryId);
    expect((await drive(d.provider, d.deliveryId, 'submit')).status).toBe(503);

    expect((await resume(d.deliveryId, d.customer.token)).status).toBe(403);
    expect((await resume(randomUUID())).status).toBe(404);
    const resumed = await resume(d.deliveryId);
    expect(resumed.status).toBe(200);
    expect(resumed.body.data.status).toBe('IN_PROGRESS');
    expect((await resume(d.deliveryId)).status).toBe(409);
    expect((await resume(fresh.deliveryId)).status).toBe(200);

    await driveAll(d, ['submit', 'approve']);
    expect(await balance(d.provider)).toBe(8_855);
    expect((await transfersOf(d.orderId)).map((t) => t.kind)).toEqual(['order_payment', 'payout_profit', 'payout_tax', 'payout_provider']);
    const state = await workflowOf(d).query(deliveryStateQuery);
    expect(state.history.map((h) => `${h.from}→${h.to}`)).toEqual(['NEW→IN_PROGRESS', 'IN_PROGRESS→REVIEWING', 'REVIEWING→COMPLETED']);
    await drive(fresh.customer, fresh.deliveryId, 'cancel');
    expect((await untracked()).ok).toBe(true);
    expect((await reconciliation()).ok).toBe(true);
  });

  it('gives the resumed run event keys of its own after a signal-driven and a timer-driven move', async () => {
    const d = await paidDelivery(10_000);
    const signal = (name: string) => operator('workflow', 'signal', '--workflow-id', deliveryWorkflowId(d.orderId), '--name', name, '--input', '{}');
    await signal('start');
    await expect.poll(async () => (await deliveryOf(d)).status).toBe('IN_PROGRESS');
    await operator('workflow', 'terminate', '--workflow-id', deliveryWorkflowId(d.orderId), '--reason', 'test: terminate');
    // The resumed run reviews on a short deadline, so its approve is the timer's.
    await sql`UPDATE orders SET review_timeout_ms = 1500 WHERE id = ${d.orderId}`;
    expect((await resume(d.deliveryId)).status).toBe(200);
    await signal('submit');

    const state = await workflowOf(d).result() as DeliveryState;
    expect(state.status).toBe('COMPLETED');
    expect(state.history.map((h) => `${h.from}→${h.to} ${h.actorRole}`)).toEqual([
      'NEW→IN_PROGRESS operator', 'IN_PROGRESS→REVIEWING operator', 'REVIEWING→COMPLETED system',
    ]);
    const keys = (await sql<{ key: string }[]>`SELECT event_key AS key FROM delivery_events WHERE delivery_id = ${d.deliveryId} ORDER BY id`).map((r) => r.key);
    expect(keys).toHaveLength(4); // created, and three moves, none taken for another's retry
    expect(new Set(keys.map((k) => k.split(':').slice(3, 4)[0])).size).toBe(3); // created, the first run, the resumed run
    expect(await balance(d.provider)).toBe(8_855);
  });
});
