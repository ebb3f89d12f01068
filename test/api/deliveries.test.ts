import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { deliveryWorkflowId } from '../../src/contracts/delivery.js';
import { admin, balance, call, newUser, systemWallets, type TestUser } from '../support/api.js';
import { testSql } from '../support/db.js';
import { drive, driveAll, paidDelivery } from '../support/deliveries.js';
import { temporalClient } from '../support/temporal.js';

let temporal: Client;
let sql: Sql;
let adminUser: TestUser;
beforeAll(async () => {
  temporal = await temporalClient();
  sql = testSql();
  adminUser = { id: 0, token: admin() };
});
afterAll(async () => {
  await temporal.connection.close();
  await sql.end();
});

async function orderStatus(orderId: string): Promise<string> {
  const [row] = await sql<{ status: string }[]>`SELECT status FROM orders WHERE id = ${orderId}`;
  return row!.status;
}

async function transfersOf(orderId: string) {
  return sql<{ kind: string; amount: number }[]>`SELECT kind, amount FROM transfers WHERE order_id = ${orderId} ORDER BY id`;
}

describe('the whole path NEW → IN_PROGRESS → REVIEWING → COMPLETED', () => {
  it('pays out the worked example: provider 12397, profit 3220, tax 483, escrow −16100', async () => {
    const d = await paidDelivery(10_000, [2_500, 1_500]);
    expect(d.total).toBe(16_100);
    const before = await systemWallets();

    await driveAll(d, ['start', 'submit']);
    const approved = await drive(d.customer, d.deliveryId, 'approve', { reason: 'Looks great' });

    expect(approved.status).toBe(200);
    expect(approved.body.data.status).toBe('COMPLETED');
    const after = await systemWallets();
    expect(await balance(d.provider)).toBe(12_397);
    expect(after.profit - before.profit).toBe(3_220);
    expect(after.tax - before.tax).toBe(483);
    expect(after['general-system'] - before['general-system']).toBe(-16_100);
    expect(await transfersOf(d.orderId)).toEqual([
      { kind: 'order_payment', amount: 16_100 },
      { kind: 'payout_profit', amount: 3_220 },
      { kind: 'payout_tax', amount: 483 },
      { kind: 'payout_provider', amount: 12_397 },
    ]);
    const handle = temporal.workflow.getHandle(deliveryWorkflowId(d.orderId));
    await handle.result();
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });

  it('pays out a service of 130 (tax 20, total 150): profit 30, profit tax 5, provider 115', async () => {
    const d = await paidDelivery(130);
    expect(d.total).toBe(150);
    const before = await systemWallets();
    await driveAll(d, ['start', 'submit', 'approve']);
    const after = await systemWallets();
    expect(await balance(d.provider)).toBe(115);
    expect(after.profit - before.profit).toBe(30);
    expect(after.tax - before.tax).toBe(5);
  });

  it('records a revision loop REVIEWING → IN_PROGRESS → REVIEWING → COMPLETED in the history', async () => {
    const d = await paidDelivery(1_000);
    await driveAll(d, ['start', 'submit']);
    expect((await drive(d.customer, d.deliveryId, 'request-revision', { reason: 'Bigger logo please' })).status).toBe(200);
    await driveAll(d, ['submit', 'approve']);

    const res = await call('GET', `/api/v1/deliveries/${d.deliveryId}`, { token: d.customer.token });
    expect(res.body.data.history.map((h: { from: string | null; to: string; actor_role: string; reason: string | null }) =>
      [h.from, h.to, h.actor_role, h.reason])).toEqual([
      [null, 'NEW', 'system', null],
      ['NEW', 'IN_PROGRESS', 'provider', null],
      ['IN_PROGRESS', 'REVIEWING', 'provider', null],
      ['REVIEWING', 'IN_PROGRESS', 'customer', 'Bigger logo please'],
      ['IN_PROGRESS', 'REVIEWING', 'provider', null],
      ['REVIEWING', 'COMPLETED', 'customer', null],
    ]);
    expect(await balance(d.provider)).toBe(1_150 - 230 - 35);
  });
});

describe('cancel and refund', () => {
  it.each([
    ['NEW', 'customer', []],
    ['IN_PROGRESS', 'provider', ['start']],
    ['REVIEWING', 'admin', ['start', 'submit']],
  ] as const)('refunds the whole escrow when a delivery in %s is cancelled by the %s', async (_status, who, steps) => {
    const d = await paidDelivery(2_000);
    await driveAll(d, [...steps]);
    const customerBefore = await balance(d.customer);
    const escrowBefore = (await systemWallets())['general-system'];
    const actor = { customer: d.customer, provider: d.provider, admin: adminUser }[who];

    const res = await drive(actor, d.deliveryId, 'cancel', { reason: 'Changed plans' });

    expect(res.status).toBe(200);
    expect(res.body.data.status).toBe('CANCELLED');
    expect(await balance(d.customer) - customerBefore).toBe(2_300);
    expect((await systemWallets())['general-system'] - escrowBefore).toBe(-2_300);
    expect(await orderStatus(d.orderId)).toBe('REFUNDED');
    expect(await transfersOf(d.orderId)).toEqual([{ kind: 'order_payment', amount: 2_300 }, { kind: 'refund', amount: 2_300 }]);
  });

  it('refuses the customer\'s cancel of work in progress with 409 and changes nothing', async () => {
    const d = await paidDelivery(2_000);
    await driveAll(d, ['start']);
    const res = await drive(d.customer, d.deliveryId, 'cancel');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'INVALID_TRANSITION', message: 'Cannot cancel a delivery that is IN_PROGRESS.' });
    const after = await call('GET', `/api/v1/deliveries/${d.deliveryId}`, { token: d.customer.token });
    expect(after.body.data.status).toBe('IN_PROGRESS');
    expect(await orderStatus(d.orderId)).toBe('COMPLETED');
    expect(await transfersOf(d.orderId)).toHaveLength(1);
  });
});

describe('access and retries', () => {
  it('answers another provider\'s attempt with 404 and a customer\'s start with 403', async () => {
    const d = await paidDelivery(1_000);
    const stranger = await newUser('provider');
    expect((await drive(stranger, d.deliveryId, 'start')).status).toBe(404);
    const forbidden = await drive(d.customer, d.deliveryId, 'start');
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('FORBIDDEN');
  });

  it('applies a retried call with the same Idempotency-Key once and answers it the same', async () => {
    const d = await paidDelivery(1_000);
    const first = await drive(d.provider, d.deliveryId, 'start', { key: 'start-1' });
    const again = await drive(d.provider, d.deliveryId, 'start', { key: 'start-1' });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body.data.history).toHaveLength(2);
    expect((await drive(d.provider, d.deliveryId, 'start', { key: 'start-2' })).status).toBe(409);
  });

  it('lists the deliveries of a provider and of a customer', async () => {
    const d = await paidDelivery(1_000);
    const mine = await call('GET', '/api/v1/deliveries', { token: d.provider.token });
    expect(mine.body.data).toMatchObject({ has_more: false, next_cursor: null, items: [{ id: d.deliveryId, status: 'NEW' }] });
    const theirs = await call('GET', '/api/v1/deliveries', { token: d.customer.token });
    expect(theirs.body.data.items.map((x: { id: string }) => x.id)).toEqual([d.deliveryId]);
  });

  it('lets exactly one of an approve and an admin cancel sent at the same moment win, and moves money once', async () => {
    const d = await paidDelivery(1_000);
    await driveAll(d, ['start', 'submit']);
    const [approve, cancel] = await Promise.all([
      drive(d.customer, d.deliveryId, 'approve'),
      drive(adminUser, d.deliveryId, 'cancel'),
    ]);
    expect([approve.status, cancel.status].sort()).toEqual([200, 409]);
    const moves = (await transfersOf(d.orderId)).map((t) => t.kind);
    if (approve.status === 200) {
      expect(moves).toEqual(['order_payment', 'payout_profit', 'payout_tax', 'payout_provider']);
      expect(await orderStatus(d.orderId)).toBe('COMPLETED');
    } else {
      expect(moves).toEqual(['order_payment', 'refund']);
      expect(await orderStatus(d.orderId)).toBe('REFUNDED');
    }
  });
});
