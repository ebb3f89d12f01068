import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { transfer, transferIn } from '../../src/db/ledger.js';
import { reconcile, type Reconciliation } from '../../src/db/reconciliation.js';
import { refundKey } from '../../src/domain/keys.js';
import { scratchDatabase } from '../support/db.js';
import { deposit, fundedCustomer, paidOrder, withTriggerOff } from '../support/ledger.js';

/**
 * Each fault of docs/reconciliation.md made on purpose in a scratch database of its own, after a
 * checkpoint has verified a ledger with some history, and the mode that must catch it.
 */
const drops: (() => Promise<void>)[] = [];
afterEach(async () => { await Promise.all(drops.splice(0).map((drop) => drop())); });

/** A scratch ledger with two funded customers and an open paid order, verified by a first (full) run. */
async function verifiedLedger(): Promise<{ sql: Sql; a: { id: number }; b: { id: number }; order: Awaited<ReturnType<typeof paidOrder>> }> {
  const { sql, drop } = await scratchDatabase();
  drops.push(drop);
  const a = await fundedCustomer(sql, 5_000);
  const b = await fundedCustomer(sql, 7_000);
  const order = await paidOrder(sql);
  const first = await reconcile(sql);
  expect(first.ok, JSON.stringify(first.checks)).toBe(true);
  expect(first.mode).toBe('full');
  return { sql, a, b, order };
}

const failing = (report: Reconciliation) => report.checks.filter((c) => !c.ok).map((c) => c.name);
const checkpointOf = async (sql: Sql) => (await sql<{ transferId: number; mode: string }[]>`
  SELECT transfer_id AS "transferId", mode FROM reconciliation_checkpoint`)[0];

describe('reconciliation by default, from its checkpoint', () => {
  it('catches a balance changed without a transfer on a wallet untouched since the checkpoint, the sum of all still zero', async () => {
    const { sql, a, b } = await verifiedLedger();
    await sql`UPDATE wallets SET balance = balance + 7 WHERE user_id = ${a.id}`;
    await sql`UPDATE wallets SET balance = balance - 7 WHERE user_id = ${b.id}`;
    const report = await reconcile(sql);
    expect(report.mode).toBe('incremental');
    expect(failing(report)).toEqual(['balances_match_transfers']);
    expect(report.checks.find((c) => c.name === 'balances_match_transfers')!.detail).toMatch(/\(balance 5007, transfers 5000\)/);
  });

  it('catches a new transfer that breaks the sums (written without moving the balances)', async () => {
    const { sql, a, b } = await verifiedLedger();
    const [wa] = await sql<{ id: number }[]>`SELECT id FROM wallets WHERE user_id = ${a.id}`;
    const [wb] = await sql<{ id: number }[]>`SELECT id FROM wallets WHERE user_id = ${b.id}`;
    await sql`INSERT INTO transfers (idempotency_key, from_wallet_id, to_wallet_id, amount, kind) VALUES (${randomUUID()}, ${wa!.id}, ${wb!.id}, 300, 'deposit')`;
    expect(failing(await reconcile(sql))).toEqual(['balances_match_transfers']);
  });

  it('catches escrow left on an order whose delivery was made final without its money moving (no event marks it)', async () => {
    const { sql, order } = await verifiedLedger();
    await sql`UPDATE service_deliveries SET status = 'CANCELLED' WHERE id = ${order.deliveryId}`;
    const report = await reconcile(sql);
    expect(failing(report)).toEqual(['escrow_equals_open_orders']);
    expect(report.checks.find((c) => c.name === 'escrow_equals_open_orders')!.detail).toBe('escrow balance 11500, totals of paid orders with an open delivery 0');
    // The full run names the order.
    const full = await reconcile(sql, { mode: 'full' });
    expect(failing(full)).toEqual(['escrow_per_order', 'escrow_equals_open_orders']);
    expect(full.checks.find((c) => c.name === 'escrow_per_order')!.detail).toBe(`orders off: ${order.orderId} (holds 11500, expected 0)`);
  });

  it('names the order whose delivery was made final by a move recorded without its money', async () => {
    const { sql, order } = await verifiedLedger();
    await sql`UPDATE service_deliveries SET status = 'CANCELLED' WHERE id = ${order.deliveryId}`;
    await sql`INSERT INTO delivery_events (delivery_id, event_key, from_status, to_status, actor_role) VALUES (${order.deliveryId}, ${randomUUID()}, 'NEW', 'CANCELLED', 'system')`;
    const report = await reconcile(sql);
    expect(failing(report)).toEqual(['escrow_per_order', 'escrow_equals_open_orders']);
    expect(report.checks.find((c) => c.name === 'escrow_per_order')!.detail).toBe(`orders off: ${order.orderId} (holds 11500, expected 0)`);
  });

  it('catches a negative escrow: a release the order never held, with the escrow guard switched off', async () => {
    const { sql, a } = await verifiedLedger();
    const stranger = randomUUID();
    await withTriggerOff(sql, 'transfers_order_escrow', () => sql.begin((tx) => transferIn(tx, {
      key: refundKey(stranger), from: { system: 'general-system' }, to: { userId: a.id }, amount: 500, kind: 'refund', orderId: stranger,
    })));
    const report = await reconcile(sql);
    expect(failing(report)).toEqual(['escrow_per_order', 'escrow_equals_open_orders']);
    expect(report.checks.find((c) => c.name === 'escrow_per_order')!.detail).toBe(`orders off: ${stranger} (holds -500, expected 0)`);
  });

  it('advances only when every check passed: a failing run leaves the checkpoint where it was', async () => {
    const { sql, a } = await verifiedLedger();
    const before = await checkpointOf(sql);
    const later = await deposit(sql, a.id, 100);
    await sql`UPDATE wallets SET balance = balance + 1 WHERE user_id = ${a.id}`;
    expect((await reconcile(sql)).ok).toBe(false);
    expect(await checkpointOf(sql)).toEqual(before);
    await sql`UPDATE wallets SET balance = balance - 1 WHERE user_id = ${a.id}`;
    expect((await reconcile(sql)).ok).toBe(true);
    expect((await checkpointOf(sql))!.transferId).toBe(later);
  });
});

describe('history rewritten below the checkpoint, behind the append-only trigger\'s back', () => {
  /** The deposit that funded customer `a`: a transfer below the checkpoint. */
  const depositOf = async (sql: Sql, userId: number) => (await sql<{ id: number; to: number }[]>`
    SELECT t.id, t.to_wallet_id AS "to" FROM transfers t JOIN wallets w ON w.id = t.to_wallet_id WHERE w.user_id = ${userId}`)[0]!;

  it('a transfer changed: the default run does not see it, the full run does', async () => {
    const { sql, a } = await verifiedLedger();
    await reconcile(sql); // the checkpoint also built on by an incremental run
    const t = await depositOf(sql, a.id);
    await withTriggerOff(sql, 'transfers_append_only', () => sql`UPDATE transfers SET amount = amount + 40 WHERE id = ${t.id}`);

    expect((await reconcile(sql)).ok).toBe(true);
    const full = await reconcile(sql, { mode: 'full' });
    expect(failing(full)).toEqual(['balances_match_transfers', 'history_matches_checkpoint']);
    expect(full.checks.find((c) => c.name === 'history_matches_checkpoint')!.detail).toContain(`${t.to} (verified 5000, now 5040)`);
    expect(full.checks.at(-1)!.detail).toMatch(/^full run, not advanced: a check failed/);
    // Still caught later: the default runs that passed meanwhile built on the checkpoint's sums, not on the rewrite.
    expect((await reconcile(sql)).ok).toBe(true);
    expect(failing(await reconcile(sql, { mode: 'full' }))).toEqual(['balances_match_transfers', 'history_matches_checkpoint']);
  });

  it('a transfer removed: the default run does not see it, the full run does', async () => {
    const { sql, a } = await verifiedLedger();
    const t = await depositOf(sql, a.id);
    await withTriggerOff(sql, 'transfers_append_only', () => sql`DELETE FROM transfers WHERE id = ${t.id}`);

    expect((await reconcile(sql)).ok).toBe(true);
    const full = await reconcile(sql, { mode: 'full' });
    expect(failing(full)).toEqual(['balances_match_transfers', 'history_matches_checkpoint']);
    const detail = full.checks.find((c) => c.name === 'history_matches_checkpoint')!.detail;
    expect(detail).toMatch(/^\d+ transfers up to transfer \d+ where \d+ were verified; wallets whose transfers up to transfer \d+ changed: /);
    expect(detail).toContain(`${t.to} (verified 5000, now 0)`);
  });

  it('a transfer changed and the balances adjusted to match it: the default run sees the balances move, the full run the history', async () => {
    const { sql, a } = await verifiedLedger();
    const t = await depositOf(sql, a.id);
    await withTriggerOff(sql, 'transfers_append_only', () => sql`UPDATE transfers SET amount = amount + 40 WHERE id = ${t.id}`);
    await sql`UPDATE wallets SET balance = balance + 40 WHERE id = ${t.to}`;
    await sql`UPDATE wallets SET balance = balance - 40 WHERE system_name = 'external'`;

    expect(failing(await reconcile(sql))).toEqual(['balances_match_transfers']);
    expect(failing(await reconcile(sql, { mode: 'full' }))).toEqual(['history_matches_checkpoint']);
  });
});

describe('the checkpoint and transactions that commit out of id order', () => {
  /**
   * A transfer from `from` to `to` in a transaction left open until commit() is called; its id is
   * drawn at once. Broken: written without moving the balances, which only a run that reads it catches.
   */
  async function openTransfer(sql: Sql, from: number, to: number, broken: boolean): Promise<{ id: number; commit: () => Promise<void> }> {
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => { commit = resolve; });
    let drawn!: (id: number) => void;
    const id = new Promise<number>((resolve) => { drawn = resolve; });
    const done = sql.begin(async (tx) => {
      const [row] = await tx<{ id: number }[]>`
        INSERT INTO transfers (idempotency_key, from_wallet_id, to_wallet_id, amount, kind)
        SELECT ${randomUUID()}, (SELECT id FROM wallets WHERE user_id = ${from}), (SELECT id FROM wallets WHERE user_id = ${to}), 77, 'deposit'
        RETURNING id`;
      if (!broken) {
        await tx`UPDATE wallets SET balance = balance - 77 WHERE user_id = ${from}`;
        await tx`UPDATE wallets SET balance = balance + 77 WHERE user_id = ${to}`;
      }
      drawn(row!.id);
      await committed;
    });
    return { id: await id, commit: async () => { commit(); await done; } };
  }

  it('never moves past a lower id still being written: the run after its commit catches it', async () => {
    const { sql, a, b } = await verifiedLedger();
    const c = await fundedCustomer(sql, 1_000);
    const low = await openTransfer(sql, b.id, a.id, true);
    const high = await deposit(sql, c.id, 100); // commits first, with the higher id
    expect(high).toBeGreaterThan(low.id);

    try {
      const meanwhile = await reconcile(sql, { safePointWaitMs: 200 });
      expect(meanwhile.ok).toBe(true); // the high one is verified; the low one is not visible yet
      expect(meanwhile.checks.at(-1)!.detail).toMatch(/not advanced: 1 transaction\(s\) that drew transfer or event ids were still open/);
      expect((await checkpointOf(sql))!.transferId).toBeLessThan(low.id);
    } finally {
      await low.commit();
    }
    const after = await reconcile(sql);
    expect(failing(after)).toEqual(['balances_match_transfers']);
    expect(after.checks.find((c) => c.name === 'balances_match_transfers')!.detail).toContain('(balance 5000, transfers 5077)');
  });

  it('waits for a lower id being written, and once it commits verifies it and advances past both', async () => {
    const { sql, a, b } = await verifiedLedger();
    const c = await fundedCustomer(sql, 1_000);
    const low = await openTransfer(sql, b.id, a.id, false);
    const high = await deposit(sql, c.id, 100);
    const running = reconcile(sql, { safePointWaitMs: 10_000 });
    await sleep(300);
    await low.commit();
    const report = await running;
    expect(report.checks.at(-1)!.detail).toMatch(/^incremental run, advanced to transfer/);
    expect(report.ok).toBe(true);
    expect((await checkpointOf(sql))!.transferId).toBeGreaterThanOrEqual(high);
    expect(failing(await reconcile(sql, { mode: 'full' }))).toEqual([]);
  });

  it('stays consistent under reconciliations run at once while money moves: a full run confirms every checkpoint sum', async () => {
    const { sql, a, b } = await verifiedLedger();
    let moving = true;
    const mover = (async () => {
      for (let i = 0; moving; i++) await transfer(sql, { key: `move:${randomUUID()}`, from: { userId: i % 2 ? a.id : b.id }, to: { userId: i % 2 ? b.id : a.id }, amount: 1, kind: 'deposit' });
    })();
    const reports = await Promise.all(Array.from({ length: 6 }, (_, i) => sleep(i * 20).then(() => reconcile(sql))));
    moving = false;
    await mover;
    expect(reports.every((r) => r.ok), JSON.stringify(reports.flatMap((r) => r.checks.filter((c) => !c.ok)))).toBe(true);
    const full = await reconcile(sql, { mode: 'full' });
    expect(failing(full)).toEqual([]);
    expect((await checkpointOf(sql))!.mode).toBe('full');
  });

  it('is not failed by transfers committing during it: thirty runs in a row, each with a new wallet money keeps moving into', async () => {
    // Reconciliation reads a repeatable-read snapshot and then writes the wallets' sums: nothing it
    // writes may lock a wallet row (a foreign key would, on a wallet's first sum, and a wallet
    // updated since the snapshot would then fail the run with a serialization error).
    const { sql, a } = await verifiedLedger();
    let target = await fundedCustomer(sql, 10);
    let moving = true;
    const mover = (async () => {
      while (moving) await transfer(sql, { key: `move:${randomUUID()}`, from: { userId: a.id }, to: { userId: target.id }, amount: 1, kind: 'deposit' });
    })();
    const errors: string[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        target = await fundedCustomer(sql, 10);
        await sleep(5);
        await reconcile(sql).catch((err: unknown) => { errors.push(String(err)); });
      }
    } finally {
      moving = false;
      await mover;
    }
    expect(errors).toEqual([]);
  });
});
