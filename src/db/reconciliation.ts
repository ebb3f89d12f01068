import { FINAL_STATUSES } from '../domain/delivery.js';
import type { Fragment, Sql, Tx } from './client.js';

const FINAL = [...FINAL_STATUSES];

export interface Check { name: string; ok: boolean; detail: string }
export interface Reconciliation { ok: boolean; checks: Check[] }

/** One invariant, checked inside the snapshot of reconcile(). */
export type DatabaseCheck = (tx: Tx) => Promise<Check>;

/** How many failing rows a check names; its detail also says how many fail in all. */
const FAILING_ROWS_SHOWN = 10;

/**
 * Every invariant of SYSTEM.md §3, checked against the database in one repeatable-read snapshot,
 * so a transfer committing mid-check cannot produce a false alarm. Each check runs in SQL: what
 * leaves the database is a count and at most FAILING_ROWS_SHOWN failing rows, never a row per
 * order or wallet, so the caller's memory stays flat however large the ledger is.
 */
export async function reconcile(sql: Sql): Promise<Reconciliation> {
  const checks = await sql.begin('isolation level repeatable read read only', async (tx) => {
    const done: Check[] = [];
    for (const check of DATABASE_CHECKS) done.push(await check(tx));
    return done;
  });
  return summarise(checks);
}

/** The report of a list of checks: ok when every one is. Checks made above the database append to the list. */
export function summarise(checks: Check[]): Reconciliation {
  return { ok: checks.every((c) => c.ok), checks };
}

async function ledgerSumsToZero(tx: Tx): Promise<Check> {
  const [row] = await tx<{ total: number }[]>`SELECT coalesce(sum(balance), 0)::bigint AS total FROM wallets`;
  return { name: 'ledger_sums_to_zero', ok: row!.total === 0, detail: `sum of all balances = ${row!.total}` };
}

async function noNegativeBalances(tx: Tx): Promise<Check> {
  const { failing, shown } = await mismatches<{ id: number; balance: number }>(tx, () => tx`
    SELECT id, balance, NOT (balance < 0 AND system_name IS DISTINCT FROM 'external') AS ok FROM wallets`);
  return {
    name: 'no_negative_balances',
    ok: failing === 0,
    detail: failing === 0 ? 'no wallet but external is below zero' : `negative wallets${listed(failing, shown.map((r) => `${r.id} (${r.balance})`))}`,
  };
}

async function balancesMatchTransfers(tx: Tx): Promise<Check> {
  // One pass over the ledger feeding two groupings: what each wallet received, and what it sent.
  const { checked, failing, shown } = await mismatches<{ id: number; balance: number; computed: number }>(tx, () => tx`
    SELECT w.id, w.balance, coalesce(m.computed, 0)::bigint AS computed, w.balance = coalesce(m.computed, 0) AS ok
    FROM wallets w
    LEFT JOIN (
      SELECT wallet_id, sum(moved) AS computed
      FROM (
        SELECT coalesce(to_wallet_id, from_wallet_id) AS wallet_id,
          CASE WHEN grouping(to_wallet_id) = 0 THEN sum(amount) ELSE -sum(amount) END AS moved
        FROM transfers
        GROUP BY GROUPING SETS ((to_wallet_id), (from_wallet_id))) s
      GROUP BY wallet_id) m ON m.wallet_id = w.id`);
  return {
    name: 'balances_match_transfers',
    ok: failing === 0,
    detail: failing === 0
      ? `${checked} wallets, each equal to the sum of its transfers`
      : `mismatched wallets${listed(failing, shown.map((r) => `${r.id} (balance ${r.balance}, transfers ${r.computed})`))}`,
  };
}

/**
 * Per order: escrow in − out is the total while the order is paid and its delivery open, else 0.
 * One grouping by order over its escrow movements and its expected hold (a hash aggregate over a
 * scan of each table, no join of a million groups with a million orders); an order id found only
 * in the ledger is expected to hold 0.
 */
async function escrowPerOrder(tx: Tx): Promise<Check> {
  const { checked, failing, shown } = await mismatches<{ id: string; held: number; expected: number }>(tx, () => tx`
    SELECT order_id AS id, sum(held)::bigint AS held, sum(expected)::bigint AS expected, sum(held) = sum(expected) AS ok
    FROM (
      SELECT t.order_id, CASE WHEN t.to_wallet_id = x.id THEN t.amount WHEN t.from_wallet_id = x.id THEN -t.amount ELSE 0 END AS held,
        0 AS expected
      FROM transfers t, (SELECT (SELECT id FROM wallets WHERE system_name = 'general-system') AS id) x
      WHERE t.order_id IS NOT NULL
      UNION ALL
      SELECT o.id, 0, CASE WHEN o.status = 'COMPLETED' AND coalesce(d.status, 'NEW') NOT IN ${tx(FINAL)}
        THEN o.total ELSE 0 END
      FROM orders o LEFT JOIN service_deliveries d ON d.order_id = o.id) movements
    GROUP BY order_id`);
  return {
    name: 'escrow_per_order',
    ok: failing === 0,
    detail: failing === 0
      ? `${checked} orders, each holding exactly what its status says`
      : `orders off${listed(failing, shown.map((r) => `${r.id} (holds ${r.held}, expected ${r.expected})`))}`,
  };
}

async function escrowEqualsOpenOrders(tx: Tx): Promise<Check> {
  const [row] = await tx<{ escrow: number; open: number }[]>`
    SELECT (SELECT balance FROM wallets WHERE system_name = 'general-system') AS escrow,
      coalesce((SELECT sum(o.total) FROM orders o LEFT JOIN service_deliveries d ON d.order_id = o.id
        WHERE o.status = 'COMPLETED' AND coalesce(d.status, 'NEW') NOT IN ${tx(FINAL)}), 0)::bigint AS open`;
  return {
    name: 'escrow_equals_open_orders',
    ok: row!.escrow === row!.open,
    detail: `escrow balance ${row!.escrow}, totals of paid orders with an open delivery ${row!.open}`,
  };
}

/** The database's checks, in the order they are reported. */
const DATABASE_CHECKS: readonly DatabaseCheck[] = [
  ledgerSumsToZero,
  noNegativeBalances,
  balancesMatchTransfers,
  escrowPerOrder,
  escrowEqualsOpenOrders,
];

/**
 * Counts the rows of `rows()` (a query with an `id` and a boolean `ok` column) and those failing (ok
 * not true), in the database; only when some fail does a second pass fetch the first FAILING_ROWS_SHOWN by id.
 */
async function mismatches<R extends { id: unknown }>(tx: Tx, rows: () => Fragment): Promise<{ checked: number; failing: number; shown: R[] }> {
  const [count] = await tx<{ checked: number; failing: number }[]>`
    SELECT count(*)::bigint AS checked, count(*) FILTER (WHERE r.ok IS NOT TRUE)::bigint AS failing FROM (${rows()}) r`;
  const { checked, failing } = count!;
  if (failing === 0) return { checked, failing, shown: [] };
  const shown = await tx<R[]>`SELECT * FROM (${rows()}) r WHERE r.ok IS NOT TRUE ORDER BY r.id LIMIT ${FAILING_ROWS_SHOWN}`;
  return { checked, failing, shown: [...shown] };
}

/** ": a, b, c" for all failing rows, or ": a, b, … (12 in all)" when only the first are shown. */
function listed(failing: number, shown: string[]): string {
  return `: ${shown.join(', ')}${failing > shown.length ? `, … (${failing} in all)` : ''}`;
}
