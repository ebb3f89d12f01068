/**
 * The ledger's checks (SYSTEM.md §3), in two modes (docs/reconciliation.md). Both run inside the
 * reconciliation's snapshot; each returns a count and at most FAILING_ROWS_SHOWN failing rows.
 */
import { FINAL_STATUSES } from '../domain/delivery.js';
import type { Fragment, Tx } from './client.js';
import { openStatusList } from './open-deliveries.js';
import type { Check, Checkpoint } from './reconciliation-report.js';

const FINAL = [...FINAL_STATUSES];
/** How many failing rows a check names; its detail also says how many fail in all. */
const FAILING_ROWS_SHOWN = 10;
/** The full run's memory for its hashes, per plan (see planTheRead). */
const WALLETS_WORK_MEM = '64MB';
const ORDERS_WORK_MEM = '256MB';

const ESCROW = (tx: Tx) => tx`(SELECT id FROM wallets WHERE system_name = 'general-system')`;

/**
 * Builds on the checkpoint: every wallet's balance against its verified sum plus its transfers
 * since, and every order touched since (by a transfer or a delivery event) against its escrow.
 * Cost: the wallets, the open deliveries, and what happened since the checkpoint.
 */
export async function incrementalChecks(tx: Tx, checkpoint: Checkpoint): Promise<Check[]> {
  return [
    await ledgerSumsToZero(tx),
    await noNegativeBalances(tx),
    await balancesMatchCheckpoint(tx, checkpoint),
    await escrowOfTouchedOrders(tx, checkpoint),
    await escrowEqualsOpenOrders(tx),
  ];
}

/**
 * Re-reads the whole ledger (per wallet, and per order), and compares it with the balances, with
 * the checkpoint's sums, and with every order's status.
 */
export async function fullChecks(tx: Tx, checkpoint: Checkpoint | undefined): Promise<Check[]> {
  await readTheLedger(tx);
  return [
    await ledgerSumsToZero(tx),
    await noNegativeBalances(tx),
    await balancesMatchTransfers(tx),
    await historyMatchesCheckpoint(tx, checkpoint),
    await escrowOfEveryOrder(tx),
    await escrowEqualsOpenOrders(tx),
  ];
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

/**
 * Every wallet, touched since the checkpoint or not: a balance changed without a transfer shows
 * wherever it happened. O(wallets), plus an index range over the transfers since the checkpoint.
 */
async function balancesMatchCheckpoint(tx: Tx, checkpoint: Checkpoint): Promise<Check> {
  const since = checkpoint.transferId;
  const { checked, failing, shown } = await mismatches<{ id: number; balance: number; computed: number }>(tx, () => tx`
    SELECT w.id, w.balance, (coalesce(s.verified_sum, 0) + coalesce(d.moved, 0))::bigint AS computed,
      w.balance = coalesce(s.verified_sum, 0) + coalesce(d.moved, 0) AS ok
    FROM wallets w
    LEFT JOIN reconciliation_wallet_sums s ON s.wallet_id = w.id
    LEFT JOIN (${movedSince(tx, since)}) d ON d.wallet_id = w.id`);
  const [news] = await tx<{ count: number }[]>`SELECT count(*)::bigint AS count FROM transfers WHERE id > ${since}`;
  return {
    name: 'balances_match_transfers',
    ok: failing === 0,
    detail: failing === 0
      ? `${checked} wallets, each equal to its sum verified at transfer ${since} plus its transfers since (${news!.count} new)`
      : `mismatched wallets${listed(failing, shown.map((r) => `${r.id} (balance ${r.balance}, transfers ${r.computed})`))}`,
  };
}

/**
 * The full run's one pass over the ledger, kept for this transaction in two temporary tables: per
 * wallet, the sum of all its transfers (+ in, − out) and how many it received (reconciliation_pass);
 * per order, what its escrow holds, only where that is not zero (reconciliation_held), so the
 * orders that hold nothing, nearly all of history, leave no row. grouping() numbers the sets: 3 by
 * receiving wallet, 5 by sending wallet, 6 by order.
 */
async function readTheLedger(tx: Tx): Promise<void> {
  await tx`CREATE TEMPORARY TABLE reconciliation_pass (wallet_id bigint PRIMARY KEY, computed bigint NOT NULL, counted bigint NOT NULL) ON COMMIT DROP`;
  await tx`CREATE TEMPORARY TABLE reconciliation_held (order_id uuid PRIMARY KEY, held bigint NOT NULL) ON COMMIT DROP`;
  await planTheRead(tx);
  // The escrow wallet's id as a value, not a subquery: compared twice per transfer.
  const [escrow] = await tx<{ id: number }[]>`SELECT id FROM wallets WHERE system_name = 'general-system'`;
  const held = tx`sum(CASE WHEN to_wallet_id = ${escrow?.id ?? 0} THEN amount WHEN from_wallet_id = ${escrow?.id ?? 0} THEN -amount ELSE 0 END)`;
  await tx`
    WITH sides AS (
      SELECT grouping(to_wallet_id, from_wallet_id, order_id) AS side, to_wallet_id, from_wallet_id, order_id,
        sum(amount) AS moved, count(*) AS counted, ${held} AS held
      FROM transfers GROUP BY GROUPING SETS ((order_id), (to_wallet_id), (from_wallet_id))
      HAVING grouping(to_wallet_id, from_wallet_id, order_id) <> 6 OR ${held} <> 0),
    per_wallet AS (
      INSERT INTO reconciliation_pass (wallet_id, computed, counted)
      SELECT coalesce(to_wallet_id, from_wallet_id), sum(CASE WHEN side = 3 THEN moved ELSE -moved END), sum(CASE WHEN side = 3 THEN counted ELSE 0 END)
      FROM sides WHERE side IN (3, 5) GROUP BY 1)
    INSERT INTO reconciliation_held (order_id, held)
    SELECT order_id, held FROM sides WHERE side = 6 AND order_id IS NOT NULL`;
}

/**
 * With the covering index of migrations/007 the pass streams the index in order of the order id,
 * so the grouping by order needs no memory and only the wallets (one per user) are hashed: room
 * for those, not so much that PostgreSQL would rather hash every order. Without the index every
 * order is hashed: room for them (this transaction only) rather than spilling to disk.
 */
async function planTheRead(tx: Tx): Promise<void> {
  const [index] = await tx<{ present: boolean }[]>`SELECT to_regclass('transfers_order_ledger') IS NOT NULL AS present`;
  await tx`SELECT set_config('work_mem', ${index!.present ? WALLETS_WORK_MEM : ORDERS_WORK_MEM}, true)`;
}

/** Per wallet, the sum of its transfers (+ in, − out) with an id above `after`: an index range, for the ids since a checkpoint. */
export function movedSince(tx: Tx, after: number): Fragment {
  return tx`
    SELECT wallet_id, sum(moved) AS moved FROM (
      SELECT to_wallet_id AS wallet_id, amount AS moved FROM transfers WHERE id > ${after}
      UNION ALL
      SELECT from_wallet_id, -amount FROM transfers WHERE id > ${after}) m
    GROUP BY wallet_id`;
}

async function balancesMatchTransfers(tx: Tx): Promise<Check> {
  const { checked, failing, shown } = await mismatches<{ id: number; balance: number; computed: number }>(tx, () => tx`
    SELECT w.id, w.balance, coalesce(p.computed, 0) AS computed, w.balance = coalesce(p.computed, 0) AS ok
    FROM wallets w LEFT JOIN reconciliation_pass p ON p.wallet_id = w.id`);
  return {
    name: 'balances_match_transfers',
    ok: failing === 0,
    detail: failing === 0
      ? `${checked} wallets, each equal to the sum of its transfers`
      : `mismatched wallets${listed(failing, shown.map((r) => `${r.id} (balance ${r.balance}, transfers ${r.computed})`))}`,
  };
}

/**
 * What the ledger says today up to the checkpoint (the whole pass less the transfers since), against
 * what was verified there: a transfer changed or removed below it behind the append-only trigger's
 * back shows here, even if the balances were adjusted to hide it. Only the full run reads that far back.
 */
async function historyMatchesCheckpoint(tx: Tx, checkpoint: Checkpoint | undefined): Promise<Check> {
  const name = 'history_matches_checkpoint';
  if (!checkpoint) return { name, ok: true, detail: 'no checkpoint yet: nothing verified before to compare with' };
  const { failing, shown } = await mismatches<{ id: number; verified: number; now: number }>(tx, () => tx`
    SELECT coalesce(p.wallet_id, s.wallet_id) AS id, coalesce(s.verified_sum, 0) AS verified,
      (coalesce(p.computed, 0) - coalesce(a.moved, 0))::bigint AS now,
      coalesce(s.verified_sum, 0) = coalesce(p.computed, 0) - coalesce(a.moved, 0) AS ok
    FROM reconciliation_pass p
    FULL JOIN reconciliation_wallet_sums s ON s.wallet_id = p.wallet_id
    LEFT JOIN (${movedSince(tx, checkpoint.transferId)}) a ON a.wallet_id = coalesce(p.wallet_id, s.wallet_id)`);
  const [row] = await tx<{ count: number }[]>`
    SELECT ((SELECT coalesce(sum(counted), 0) FROM reconciliation_pass)
      - (SELECT count(*) FROM transfers WHERE id > ${checkpoint.transferId}))::bigint AS count`;
  const counted = row!.count === checkpoint.transferCount;
  const ok = failing === 0 && counted;
  const where = `up to transfer ${checkpoint.transferId}`;
  return {
    name,
    ok,
    detail: ok
      ? `the ${checkpoint.transferCount} transfers ${where} still sum per wallet to what was verified at ${checkpoint.verifiedAt.toISOString()}`
      : [
        counted ? '' : `${row!.count} transfers ${where} where ${checkpoint.transferCount} were verified`,
        failing === 0 ? '' : `wallets whose transfers ${where} changed${listed(failing, shown.map((r) => `${r.id} (verified ${r.verified}, now ${r.now})`))}`,
      ].filter(Boolean).join('; '),
  };
}

/**
 * Per order: what went into escrow minus what left it is its total while it is paid and its
 * delivery open (or missing), else 0. Here for the orders touched since the checkpoint, which are
 * the only ones whose money or status the product can have changed: a transfer since (the ledger's
 * id), or a delivery move since (the event written with every move, by its id). The escrow of
 * each is summed over all its transfers, read through the index on the order id.
 */
async function escrowOfTouchedOrders(tx: Tx, checkpoint: Checkpoint): Promise<Check> {
  const { checked, failing, shown } = await mismatches<{ id: string; held: number; expected: number }>(tx, () => tx`
    WITH touched AS (
      SELECT order_id AS id FROM transfers WHERE id > ${checkpoint.transferId} AND order_id IS NOT NULL
      UNION
      SELECT d.order_id FROM delivery_events e JOIN service_deliveries d ON d.id = e.delivery_id WHERE e.id > ${checkpoint.eventId}),
    held AS (
      SELECT tr.order_id AS id, sum(CASE WHEN tr.to_wallet_id = ${ESCROW(tx)} THEN tr.amount ELSE -tr.amount END) AS held
      FROM transfers tr WHERE tr.order_id IN (SELECT id FROM touched) AND ${ESCROW(tx)} IN (tr.to_wallet_id, tr.from_wallet_id)
      GROUP BY tr.order_id)
    SELECT t.id, coalesce(h.held, 0)::bigint AS held, ${expected(tx)} AS expected, coalesce(h.held, 0) = ${expected(tx)} AS ok
    FROM touched t
    LEFT JOIN held h ON h.id = t.id
    LEFT JOIN orders o ON o.id = t.id
    LEFT JOIN service_deliveries d ON d.order_id = t.id`);
  return escrowReport(checked, failing, shown, `${checked} orders touched since the checkpoint, each holding exactly what its status says`);
}

/**
 * Every order at once: the orders whose escrow holds something (from the one pass), set beside the
 * orders that must hold their total (paid with an open delivery, found through the open
 * deliveries; or paid without any delivery, looked for among the orders that hold something). An
 * order is off when it appears on one side only or with two amounts. A paid order recorded without
 * its delivery that holds nothing is not looked for: finding one would cost a pass over every
 * order, no money is involved, and the order and its delivery are written in one transaction.
 */
async function escrowOfEveryOrder(tx: Tx): Promise<Check> {
  const { checked, failing, shown } = await mismatches<{ id: string; held: number; expected: number }>(tx, () => tx`
    WITH holding AS (
      SELECT o.id, o.total FROM service_deliveries d JOIN orders o ON o.id = d.order_id
      WHERE d.status IN ${openStatusList(tx)} AND o.status = 'COMPLETED'
      UNION ALL
      SELECT o.id, o.total FROM reconciliation_held h JOIN orders o ON o.id = h.order_id
      WHERE o.status = 'COMPLETED' AND NOT EXISTS (SELECT 1 FROM service_deliveries d WHERE d.order_id = o.id))
    SELECT coalesce(h.order_id, e.id) AS id, coalesce(h.held, 0)::bigint AS held, coalesce(e.total, 0)::bigint AS expected,
      coalesce(h.held, 0) = coalesce(e.total, 0) AS ok
    FROM reconciliation_held h FULL JOIN holding e ON e.id = h.order_id`);
  return escrowReport(checked, failing, shown, `every order holds exactly what its status says (${checked} hold escrow)`);
}

/** An order's expected hold, over `o` (orders) and `d` (its delivery) of the query it is spliced into. */
function expected(tx: Tx): Fragment {
  return tx`(CASE WHEN o.status = 'COMPLETED' AND coalesce(d.status, 'NEW') NOT IN ${tx(FINAL)} THEN o.total ELSE 0 END)::bigint`;
}

function escrowReport(checked: number, failing: number, shown: { id: string; held: number; expected: number }[], good: string): Check {
  return {
    name: 'escrow_per_order',
    ok: failing === 0,
    detail: failing === 0 ? good : `orders off${listed(failing, shown.map((r) => `${r.id} (holds ${r.held}, expected ${r.expected})`))}`,
  };
}

/**
 * The escrow wallet against the totals of paid orders with an open delivery, found through the
 * index on the deliveries' status: it scales with the open deliveries, not with history. Catches
 * a delivery made final (or an order's status changed) without its money moving, even where no
 * event marks the order as touched; the full run names the order.
 */
async function escrowEqualsOpenOrders(tx: Tx): Promise<Check> {
  const [row] = await tx<{ escrow: number; open: number }[]>`
    SELECT (SELECT balance FROM wallets WHERE system_name = 'general-system') AS escrow,
      coalesce((SELECT sum(o.total) FROM service_deliveries d JOIN orders o ON o.id = d.order_id
        WHERE d.status IN ${openStatusList(tx)} AND o.status = 'COMPLETED'), 0)::bigint AS open`;
  return {
    name: 'escrow_equals_open_orders',
    ok: row!.escrow === row!.open,
    detail: `escrow balance ${row!.escrow}, totals of paid orders with an open delivery ${row!.open}`,
  };
}

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
