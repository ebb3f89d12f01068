import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../../src/db/catalog.js';
import type { Sql } from '../../src/db/client.js';
import { balanceOf, GuardRefusal, transfer } from '../../src/db/ledger.js';
import { insertPaidOrder } from '../../src/db/orders.js';
import { applyTransition, type TransitionRow } from '../../src/db/settlement.js';
import { createUser } from '../../src/db/users.js';
import { scratchDatabase } from '../support/db.js';

/**
 * The database's own guards (migrations/002–004, SYSTEM.md §3), written to directly on a scratch
 * database as a Reset or a second run would: a refund after a payout, a second refund under
 * another key, a payout after a refund, a move off a stale or final status.
 */
let sql: Sql;
let drop: () => Promise<void>;
beforeAll(async () => { ({ sql, drop } = await scratchDatabase()); });
afterAll(async () => { await drop(); });

const escrow = { system: 'general-system' as const };

/** A paid order of total 11500 in escrow with its delivery NEW, straight through the repositories. */
async function paidOrder() {
  const provider = await createUser(sql, { name: 'p', role: 'provider', currency: 'SAR' });
  const customer = await createUser(sql, { name: 'c', role: 'customer', currency: 'SAR' });
  const service = await createService(sql, { providerId: provider.id, name: 'Logo', price: 10_000, status: 'ACTIVE', upgrades: [] });
  await transfer(sql, { key: `fund:${randomUUID()}`, from: { system: 'external' }, to: { userId: customer.id }, amount: 20_000, kind: 'deposit' });
  const orderId = randomUUID();
  const deliveryId = randomUUID();
  await transfer(sql, { key: `order:${orderId}:payment`, from: { userId: customer.id }, to: escrow, amount: 11_500, kind: 'order_payment', orderId });
  await insertPaidOrder(sql, {
    orderId, customerId: customer.id, providerId: provider.id, serviceId: service.id, serviceName: 'Logo', servicePrice: 10_000,
    methodType: 'wallet', upgrades: [], price: { subtotal: 10_000, tax: 1_500, total: 11_500 }, currency: 'SAR',
    rates: { taxRateBp: 1500, platformFeeBp: 2000 }, deadlines: { acceptTimeoutMs: 60_000, reviewTimeoutMs: 60_000 },
  }, deliveryId);
  const move = (from: TransitionRow['from'], to: TransitionRow['to'], eventKey = `test:${randomUUID()}`) => sql.begin((tx) => applyTransition(tx, {
    deliveryId, orderId, eventKey, from, to, actorRole: 'operator', actorId: null, reason: null, at: new Date().toISOString(),
  }));
  return { orderId, customer: { userId: customer.id }, provider: { userId: provider.id }, move };
}

const releaseRefund = (orderId: string, customer: { userId: number }, key = `order:${orderId}:refund`) =>
  transfer(sql, { key, from: escrow, to: customer, amount: 11_500, kind: 'refund', orderId });
const kindsOf = async (orderId: string) => (await sql<{ kind: string }[]>`SELECT kind FROM transfers WHERE order_id = ${orderId} ORDER BY id`).map((r) => r.kind);

describe('an order\'s escrow never goes below zero', () => {
  // Another order's money sits in escrow too, so the wallet's own balance check would let these through.
  beforeAll(async () => { await paidOrder(); });

  it('refuses a refund after the payout', async () => {
    const o = await paidOrder();
    await o.move('NEW', 'IN_PROGRESS');
    await o.move('IN_PROGRESS', 'REVIEWING');
    await o.move('REVIEWING', 'COMPLETED');
    await expect(releaseRefund(o.orderId, o.customer)).rejects.toMatchObject({ guard: 'escrow' });
    expect(await kindsOf(o.orderId)).toEqual(['order_payment', 'payout_profit', 'payout_tax', 'payout_provider']);
    expect(await balanceOf(sql, o.customer)).toBe(8_500);
  });

  it('refuses a second refund under another key, and replays the first key as a no-op', async () => {
    const o = await paidOrder();
    await o.move('NEW', 'CANCELLED');
    const again = await releaseRefund(o.orderId, o.customer);
    expect(again.replayed).toBe(true);
    await expect(releaseRefund(o.orderId, o.customer, `order:${o.orderId}:refund:again`)).rejects.toBeInstanceOf(GuardRefusal);
    expect(await kindsOf(o.orderId)).toEqual(['order_payment', 'refund']);
    expect(await balanceOf(sql, o.customer)).toBe(20_000);
  });

  it('refuses a payout after a refund', async () => {
    const o = await paidOrder();
    await releaseRefund(o.orderId, o.customer);
    await expect(transfer(sql, { key: `order:${o.orderId}:payout:provider`, from: escrow, to: o.provider, amount: 9_000, kind: 'payout_provider', orderId: o.orderId }))
      .rejects.toMatchObject({ guard: 'escrow' });
    expect(await balanceOf(sql, o.provider)).toBe(0);
  });
});

describe('a delivery\'s status is compared and set', () => {
  it('refuses a move decided in a status the delivery has left, and moves no money', async () => {
    const o = await paidOrder();
    await o.move('NEW', 'IN_PROGRESS');
    await expect(o.move('NEW', 'CANCELLED')).rejects.toMatchObject({ guard: 'status' });
    expect(await kindsOf(o.orderId)).toEqual(['order_payment']);
  });

  it('never moves a final status, even by a direct UPDATE', async () => {
    const o = await paidOrder();
    await o.move('NEW', 'CANCELLED');
    await expect(sql`UPDATE service_deliveries SET status = 'IN_PROGRESS' WHERE order_id = ${o.orderId}`).rejects.toMatchObject({ code: 'MK002' });
  });

  it('accepts a recorded event key again only for the same move', async () => {
    const o = await paidOrder();
    await o.move('NEW', 'IN_PROGRESS', `key-${o.orderId}`);
    expect(await o.move('NEW', 'IN_PROGRESS', `key-${o.orderId}`)).toEqual({ applied: false });
    await expect(o.move('IN_PROGRESS', 'REVIEWING', `key-${o.orderId}`)).rejects.toMatchObject({ guard: 'event_key' });
  });
});

describe('a wallet never goes below zero', () => {
  it('refuses a negative balance on a user\'s wallet, even by a direct UPDATE', async () => {
    const user = await createUser(sql, { name: 'n', role: 'customer', currency: 'SAR' });
    await expect(sql`UPDATE wallets SET balance = -1 WHERE user_id = ${user.id}`).rejects.toMatchObject({ code: '23514' });
    expect(await balanceOf(sql, { userId: user.id })).toBe(0);
  });
});

describe('a balance stays within what JavaScript reads exactly', () => {
  it('refuses the deposit that would carry a wallet past 2^53 − 1, and the wallet keeps its balance', async () => {
    const user = await createUser(sql, { name: 'rich', role: 'customer', currency: 'SAR' });
    const nearTheEdge = Number.MAX_SAFE_INTEGER - 100;
    await sql`UPDATE wallets SET balance = ${nearTheEdge} WHERE user_id = ${user.id}`;
    await expect(transfer(sql, { key: `fund:${randomUUID()}`, from: { system: 'external' }, to: { userId: user.id }, amount: 200, kind: 'deposit' }))
      .rejects.toMatchObject({ code: '23514', constraint_name: 'wallets_balance_exact' });
    expect(await balanceOf(sql, { userId: user.id })).toBe(nearTheEdge);
    await transfer(sql, { key: `fund:${randomUUID()}`, from: { system: 'external' }, to: { userId: user.id }, amount: 100, kind: 'deposit' });
    expect(await balanceOf(sql, { userId: user.id })).toBe(Number.MAX_SAFE_INTEGER);
  });
});
