import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { balanceOf, IdempotencyConflictError, transfer } from '../../src/db/ledger.js';
import { createUser } from '../../src/db/users.js';
import { DomainError } from '../../src/domain/errors.js';
import { scratchDatabase } from '../support/db.js';

let sql: Sql;
let drop: () => Promise<void>;
beforeAll(async () => { ({ sql, drop } = await scratchDatabase()); });
afterAll(async () => { await drop(); });

const key = (what: string) => `test:${what}:${randomUUID()}`;

async function fundedUser(amount: number) {
  const user = await createUser(sql, { name: 'ledger test', role: 'customer', currency: 'SAR' });
  if (amount > 0) await transfer(sql, { key: key('fund'), from: { system: 'external' }, to: { userId: user.id }, amount, kind: 'deposit' });
  return { userId: user.id };
}

describe('transfer', () => {
  it('moves the amount from one wallet to the other', async () => {
    const a = await fundedUser(1_000);
    const b = await fundedUser(0);
    const result = await transfer(sql, { key: key('move'), from: a, to: b, amount: 300, kind: 'deposit' });
    expect(result.replayed).toBe(false);
    expect(result.transfer.amount).toBe(300);
    expect([await balanceOf(sql, a), await balanceOf(sql, b)]).toEqual([700, 300]);
  });

  it('returns the first transfer for a replayed key and moves nothing', async () => {
    const a = await fundedUser(1_000);
    const request = { key: key('replay'), from: a, to: { system: 'general-system' as const }, amount: 400, kind: 'order_payment' as const, orderId: randomUUID() };
    const first = await transfer(sql, request);
    const again = await transfer(sql, request);
    expect(again.replayed).toBe(true);
    expect(again.transfer).toEqual(first.transfer);
    expect(await balanceOf(sql, a)).toBe(600);
  });

  it('refuses the same key with another amount, and moves nothing', async () => {
    const a = await fundedUser(1_000);
    const request = { key: key('conflict'), from: a, to: { system: 'general-system' as const }, amount: 400, kind: 'order_payment' as const };
    await transfer(sql, request);
    await expect(transfer(sql, { ...request, amount: 401 })).rejects.toBeInstanceOf(IdempotencyConflictError);
    await expect(transfer(sql, { ...request, kind: 'refund' })).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect(await balanceOf(sql, a)).toBe(600);
  });

  it('refuses more than the balance with INSUFFICIENT_BALANCE and records nothing', async () => {
    const a = await fundedUser(100);
    const k = key('short');
    await expect(transfer(sql, { key: k, from: a, to: { system: 'general-system' }, amount: 101, kind: 'order_payment' }))
      .rejects.toSatisfy((err) => err instanceof DomainError && err.code === 'INSUFFICIENT_BALANCE');
    expect(await balanceOf(sql, a)).toBe(100);
    expect(await sql`SELECT 1 FROM transfers WHERE idempotency_key = ${k}`).toHaveLength(0);
  });

  it.each([0, -5, 1.5, Number.MAX_SAFE_INTEGER + 2])('refuses the amount %d', async (amount) => {
    const a = await fundedUser(100);
    await expect(transfer(sql, { key: key('bad'), from: a, to: { system: 'general-system' }, amount, kind: 'order_payment' })).rejects.toThrow(RangeError);
  });

  it('never takes a wallet below zero under 50 concurrent debits of which 10 fit', async () => {
    const a = await fundedUser(10 * 70);
    const results = await Promise.allSettled(Array.from({ length: 50 }, () =>
      transfer(sql, { key: key('race'), from: a, to: { system: 'general-system' }, amount: 70, kind: 'order_payment' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    expect(await balanceOf(sql, a)).toBe(0);
  });

  it('runs transfers A→B and B→A in parallel without deadlock', async () => {
    const a = await fundedUser(10_000);
    const b = await fundedUser(10_000);
    await Promise.all(Array.from({ length: 40 }, (_, i) => i % 2 === 0
      ? transfer(sql, { key: key('ab'), from: a, to: b, amount: 10, kind: 'deposit' })
      : transfer(sql, { key: key('ba'), from: b, to: a, amount: 10, kind: 'deposit' })));
    expect([await balanceOf(sql, a), await balanceOf(sql, b)]).toEqual([10_000, 10_000]);
  });

  it('lets the database refuse an UPDATE or DELETE of a transfer (append-only)', async () => {
    const a = await fundedUser(100);
    const { transfer: t } = await transfer(sql, { key: key('immutable'), from: a, to: { system: 'general-system' }, amount: 10, kind: 'order_payment' });
    await expect(sql`UPDATE transfers SET amount = 1 WHERE id = ${t.id}`).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM transfers WHERE id = ${t.id}`).rejects.toThrow(/append-only/);
  });
});

describe('the escrow wallet under load', () => {
  it('lands all of 1,000 concurrent credits to escrow', async () => {
    const payers = await Promise.all(Array.from({ length: 50 }, () => fundedUser(20 * 3)));
    const escrowBefore = await balanceOf(sql, { system: 'general-system' });
    const results = await Promise.allSettled(Array.from({ length: 1_000 }, (_, i) =>
      transfer(sql, { key: key('credit'), from: payers[i % 50]!, to: { system: 'general-system' }, amount: 3, kind: 'order_payment' })));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(await balanceOf(sql, { system: 'general-system' }) - escrowBefore).toBe(3_000);
    for (const payer of payers) expect(await balanceOf(sql, payer)).toBe(0);
  }, 60_000);
});
