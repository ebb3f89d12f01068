import type { Sql, Tx } from './client.js';

export interface Check { name: string; ok: boolean; detail: string }
export interface Reconciliation { ok: boolean; checks: Check[] }

/**
 * Every invariant of SYSTEM.md §3, checked against the database in one repeatable-read snapshot,
 * so a transfer committing mid-check cannot produce a false alarm.
 */
export async function reconcile(sql: Sql): Promise<Reconciliation> {
  const checks = await sql.begin('isolation level repeatable read read only', async (tx) => [
    await ledgerSumsToZero(tx),
    await noNegativeBalances(tx),
    await balancesMatchTransfers(tx),
    await escrowPerOrder(tx),
    await escrowEqualsOpenOrders(tx),
  ]);
  return { ok: checks.every((c) => c.ok), checks };
}

async function ledgerSumsToZero(tx: Tx): Promise<Check> {
  const [row] = await tx<{ total: number }[]>`SELECT coalesce(sum(balance), 0)::bigint AS total FROM wallets`;
  return { name: 'ledger_sums_to_zero', ok: row!.total === 0, detail: `sum of all balances = ${row!.total}` };
}

async function noNegativeBalances(tx: Tx): Promise<Check> {
  const rows = await tx<{ id: number }[]>`
    SELECT id FROM wallets WHERE balance < 0 AND system_name IS DISTINCT FROM 'external'`;
  return {
    name: 'no_negative_balances',
    ok: rows.length === 0,
    detail: rows.length === 0 ? 'no wallet but external is below zero' : `negative wallets: ${rows.map((r) => r.id).join(', ')}`,
  };
}

async function balancesMatchTransfers(tx: Tx): Promise<Check> {
  const rows = await tx<{ id: number; balance: number; computed: number }[]>`
    SELECT w.id, w.balance,
      (coalesce((SELECT sum(amount) FROM transfers WHERE to_wallet_id = w.id), 0)
       - coalesce((SELECT sum(amount) FROM transfers WHERE from_wallet_id = w.id), 0))::bigint AS computed
    FROM wallets w`;
  const wrong = rows.filter((r) => r.balance !== r.computed);
  return {
    name: 'balances_match_transfers',
    ok: wrong.length === 0,
    detail: wrong.length === 0
      ? `${rows.length} wallets, each equal to the sum of its transfers`
      : `mismatched wallets: ${wrong.slice(0, 10).map((r) => `${r.id} (balance ${r.balance}, transfers ${r.computed})`).join(', ')}`,
  };
}

/** Per order: escrow in − out is the total while the order is paid and its delivery open, else 0. */
async function escrowPerOrder(tx: Tx): Promise<Check> {
  const rows = await tx<{ id: string; held: number; expected: number }[]>`
    WITH escrow AS (SELECT id FROM wallets WHERE system_name = 'general-system'),
    held AS (
      SELECT t.order_id,
        sum(CASE WHEN t.to_wallet_id = (SELECT id FROM escrow) THEN t.amount ELSE 0 END)
        - sum(CASE WHEN t.from_wallet_id = (SELECT id FROM escrow) THEN t.amount ELSE 0 END) AS held
      FROM transfers t WHERE t.order_id IS NOT NULL GROUP BY t.order_id)
    SELECT coalesce(o.id, h.order_id) AS id, coalesce(h.held, 0)::bigint AS held,
      (CASE WHEN o.status = 'COMPLETED' AND coalesce(d.status, 'NEW') NOT IN ('COMPLETED', 'CANCELLED')
        THEN o.total ELSE 0 END)::bigint AS expected
    FROM orders o
    FULL JOIN held h ON h.order_id = o.id
    LEFT JOIN service_deliveries d ON d.order_id = o.id`;
  const wrong = rows.filter((r) => r.held !== r.expected);
  return {
    name: 'escrow_per_order',
    ok: wrong.length === 0,
    detail: wrong.length === 0
      ? `${rows.length} orders, each holding exactly what its status says`
      : `orders off: ${wrong.slice(0, 10).map((r) => `${r.id} (holds ${r.held}, expected ${r.expected})`).join(', ')}`,
  };
}

async function escrowEqualsOpenOrders(tx: Tx): Promise<Check> {
  const [row] = await tx<{ escrow: number; open: number }[]>`
    SELECT (SELECT balance FROM wallets WHERE system_name = 'general-system') AS escrow,
      coalesce((SELECT sum(o.total) FROM orders o LEFT JOIN service_deliveries d ON d.order_id = o.id
        WHERE o.status = 'COMPLETED' AND coalesce(d.status, 'NEW') NOT IN ('COMPLETED', 'CANCELLED')), 0)::bigint AS open`;
  return {
    name: 'escrow_equals_open_orders',
    ok: row!.escrow === row!.open,
    detail: `escrow balance ${row!.escrow}, totals of paid orders with an open delivery ${row!.open}`,
  };
}
