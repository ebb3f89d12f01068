import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { transfer } from '../../src/db/ledger.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { createUser } from '../../src/db/users.js';
import { scratchDatabase } from '../support/db.js';

// A scratch database of its own, so breaking its ledger on purpose disturbs no other test.
let sql: Sql;
let url: string;
let drop: () => Promise<void>;
beforeAll(async () => { ({ sql, url, drop } = await scratchDatabase()); });
afterAll(async () => { await drop(); });

const run = (databaseUrl: string, ...args: string[]) => promisify(execFile)('npx', ['tsx', 'src/cli/reconcile.ts', ...args], { env: { ...process.env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: inject('temporalAddress') } })
  .then(({ stdout }) => ({ code: 0, stdout }), (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }));

describe('reconciliation', () => {
  it('names every invariant and reports ok on a consistent ledger, first in full, then from its checkpoint (npm run reconcile exits 0)', async () => {
    const user = await createUser(sql, { name: 'c', role: 'customer', currency: 'SAR' });
    await transfer(sql, { key: `deposit:${randomUUID()}`, from: { system: 'external' }, to: { userId: user.id }, amount: 500, kind: 'deposit' });
    const first = await reconcile(sql);
    expect(first.mode).toBe('full'); // no checkpoint yet to build on
    expect(first.checks.map((c) => [c.name, c.ok])).toEqual([
      ['ledger_sums_to_zero', true], ['no_negative_balances', true], ['balances_match_transfers', true],
      ['history_matches_checkpoint', true], ['escrow_per_order', true], ['escrow_equals_open_orders', true], ['checkpoint', true],
    ]);
    const next = await reconcile(sql);
    expect(next.mode).toBe('incremental');
    expect(next.checks.map((c) => [c.name, c.ok])).toEqual([
      ['ledger_sums_to_zero', true], ['no_negative_balances', true], ['balances_match_transfers', true],
      ['escrow_per_order', true], ['escrow_equals_open_orders', true], ['checkpoint', true],
    ]);
    expect(next.checks.at(-1)!.detail).toMatch(/^incremental run, advanced to transfer \d+; the checkpoint is at transfer \d+ \(incremental, .+\); the last full run verified up to transfer \d+ at /);
    const cli = await run(url);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('reconciliation (incremental): ok');
    const full = await run(url, '--full');
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(/ok\s+history_matches_checkpoint/);
    expect(full.stdout).toContain('reconciliation (full): ok');
    expect((await run(url, '--fast')).code).toBe(2);
  }, 60_000);

  it('fails the checks a tampered balance breaks, and npm run reconcile exits 1', async () => {
    const user = await createUser(sql, { name: 'c', role: 'customer', currency: 'SAR' });
    await sql`UPDATE wallets SET balance = balance + 7 WHERE user_id = ${user.id}`;
    const report = await reconcile(sql);
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['ledger_sums_to_zero', 'balances_match_transfers']);
    expect((await reconcile(sql, { mode: 'full' })).checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['ledger_sums_to_zero', 'balances_match_transfers']);
    const cli = await run(url);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/FAIL\s+ledger_sums_to_zero/);
    await sql`UPDATE wallets SET balance = balance - 7 WHERE user_id = ${user.id}`;
  }, 30_000);

  it('catches money held in escrow for an order that does not exist', async () => {
    const user = await createUser(sql, { name: 'c', role: 'customer', currency: 'SAR' });
    await transfer(sql, { key: `deposit:${randomUUID()}`, from: { system: 'external' }, to: { userId: user.id }, amount: 100, kind: 'deposit' });
    await transfer(sql, { key: `order:x:payment:${randomUUID()}`, from: { userId: user.id }, to: { system: 'general-system' }, amount: 100, kind: 'order_payment', orderId: randomUUID() });
    const report = await reconcile(sql);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['escrow_per_order', 'escrow_equals_open_orders']);
  });

  it('names at most the first 10 failing rows, by id, and says how many fail in all', async () => {
    const failingBefore = async () => {
      const detail = (await reconcile(sql)).checks.find((c) => c.name === 'escrow_per_order')!.detail;
      return detail.startsWith('orders off') ? detail.match(/[0-9a-f-]{36}/g)!.length : 0;
    };
    const before = await failingBefore();
    expect(before).toBeLessThan(10); // the test above left one order off
    const user = await createUser(sql, { name: 'c', role: 'customer', currency: 'SAR' });
    await transfer(sql, { key: `deposit:${randomUUID()}`, from: { system: 'external' }, to: { userId: user.id }, amount: 1200, kind: 'deposit' });
    for (let i = 0; i < 12; i++) {
      await transfer(sql, { key: `order:x:payment:${randomUUID()}`, from: { userId: user.id }, to: { system: 'general-system' }, amount: 100, kind: 'order_payment', orderId: randomUUID() });
    }
    const check = (await reconcile(sql)).checks.find((c) => c.name === 'escrow_per_order')!;
    expect(check.ok).toBe(false);
    const ids = check.detail.match(/[0-9a-f]{8}-[0-9a-f-]{27}/g)!;
    expect(ids).toHaveLength(10);
    expect([...ids].sort()).toEqual(ids);
    expect(check.detail).toContain(`(${before + 12} in all)`);
    expect(check.detail).toContain('(holds 100, expected 0)');
  });
});
