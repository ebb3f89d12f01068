import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../../src/db/catalog.js';
import type { Sql } from '../../src/db/client.js';
import { listDeliveries } from '../../src/db/deliveries.js';
import { seekPlan, type Position } from '../../src/db/keyset.js';
import { userTransfers } from '../../src/db/ledger.js';
import { listOrders } from '../../src/db/orders.js';
import { createUser, type User } from '../../src/db/users.js';
import { scratchDatabase } from '../support/db.js';

/**
 * Every list page is an index seek (SYSTEM.md §6: a page costs the same at any depth): the plans
 * of the queries the repository functions really send, on a few thousand rows after ANALYZE.
 * A page reads the intended index from the cursor's position on and stops after limit + 1 rows;
 * no Sort of the set, no OFFSET, no count.
 */
const LIMIT = 15;
let sql: Sql;
let drop: () => Promise<void>;
let traced: postgres.Sql;
let captured: { query: string; params: unknown[] }[] = [];
let big: User; // 3,000 orders, and 4,000 transfers in its wallet
let provider: User;

beforeAll(async () => {
  let url: string;
  ({ sql, url, drop } = await scratchDatabase());
  traced = postgres(url, { max: 2, onnotice: () => undefined, debug: (_c, query, params) => { captured.push({ query, params }); } });
  await seed();
}, 120_000);
afterAll(async () => {
  await traced.end();
  await drop();
});

/**
 * Owners as busy as can be: the big customer placed half of all orders, the provider serves half of
 * them, the big wallet moved half of all transfers. Shown such an owner, the planner would rather
 * read the newest-first index (or the primary key) and filter; src/db/keyset.ts ownerParam keeps
 * it on the owner's index. Statuses as a marketplace has them: mostly COMPLETED, few NEW.
 */
async function seed(): Promise<void> {
  provider = await createUser(sql, { name: 'p', role: 'provider', currency: 'SAR' });
  const otherProviders = await Promise.all(Array.from({ length: 9 }, () => createUser(sql, { name: 'p', role: 'provider', currency: 'SAR' })));
  const service = await createService(sql, { providerId: provider.id, name: 'Logo', price: 100, status: 'ACTIVE', upgrades: [] });
  big = await createUser(sql, { name: 'big', role: 'customer', currency: 'SAR' });
  const others = await Promise.all(Array.from({ length: 199 }, () => createUser(sql, { name: 'c', role: 'customer', currency: 'SAR' })));
  const statuses = [...Array<string>(14).fill('COMPLETED'), 'NEW', 'IN_PROGRESS', 'REVIEWING', 'CANCELLED', 'CANCELLED', 'CANCELLED'];
  // Neighbours differ by microseconds and pairs of the big customer's rows share one instant: the
  // tiebreak and the cursor's exact time both matter.
  const rows = Array.from({ length: 6_000 }, (_, i) => ({
    id: randomUUID(), customer: i % 2 === 0 ? big.id : others[i % 199]!.id,
    provider: i % 4 < 2 ? provider.id : otherProviders[i % 9]!.id,
    status: statuses[Math.floor(i / 2) % statuses.length]!, micros_ago: Math.floor(i / 4) * 3 + (i % 2),
  }));
  await sql`
    INSERT INTO orders (id, customer_id, provider_id, service_id, service_name, service_price, method_type, status,
      subtotal, tax, total, currency, tax_rate_bp, platform_fee_bp, created_at)
    SELECT r.id, r.customer, r.provider, ${service.id}, 'Logo', 100, 'wallet',
      CASE WHEN r.status = 'CANCELLED' THEN 'REFUNDED' ELSE 'COMPLETED' END, 100, 15, 115, 'SAR', 1500, 2000,
      now() - make_interval(secs => r.micros_ago / 1e6)
    FROM jsonb_to_recordset(${sql.json(rows)}) AS r(id uuid, customer bigint, provider bigint, status text, micros_ago bigint)`;
  await sql`
    INSERT INTO service_deliveries (id, order_id, status, customer_id, provider_id, service_id, service_name, service_price, total, currency, created_at)
    SELECT gen_random_uuid(), o.id, r.status,
      o.customer_id, o.provider_id, o.service_id, o.service_name, o.service_price, o.total, o.currency, o.created_at
    FROM orders o JOIN jsonb_to_recordset(${sql.json(rows)}) AS r(id uuid, status text) ON r.id = o.id`;
  // The big customer's wallet: money out to and in from `external`, beside the other users' own.
  await sql`
    INSERT INTO transfers (idempotency_key, from_wallet_id, to_wallet_id, amount, kind)
    SELECT 'seed:' || i, CASE i % 4 WHEN 0 THEN w.id WHEN 2 THEN o.id ELSE e.id END,
      CASE i % 4 WHEN 0 THEN e.id WHEN 1 THEN w.id WHEN 2 THEN e.id ELSE o.id END,
      1 + i, CASE WHEN i % 2 = 0 THEN 'refund' ELSE 'deposit' END
    FROM generate_series(1, 8000) i,
      (SELECT id FROM wallets WHERE user_id = ${big.id}) w, (SELECT id FROM wallets WHERE system_name = 'external') e,
      LATERAL (SELECT id FROM wallets WHERE user_id IS NOT NULL AND user_id <> ${big.id} ORDER BY id OFFSET i % 199 LIMIT 1) o`;
  await sql`ANALYZE`;
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Scan Direction'?: string;
  'Index Cond'?: string;
  'Rows Removed by Filter'?: number;
  'Actual Rows': number;
  'Parent Relationship'?: string;
  Plans?: PlanNode[];
}

/**
 * Runs `list` on the traced connection and answers its result and the plan (EXPLAIN ANALYZE) of the
 * list query it sent, explained under the same seekPlan settings the list ran with.
 */
async function planOf<T>(list: (sql: postgres.Sql) => Promise<T>): Promise<{ result: T; plan: PlanNode; query: string }> {
  captured = [];
  const result = await list(traced);
  const { query, params } = captured.filter((q) => /^\s*(SELECT|WITH)\b/i.test(q.query)).at(-1)!;
  const [row] = await seekPlan(traced as unknown as Sql, (tx) => tx.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON, TIMING OFF, SUMMARY OFF) ${query}`, params as never[]));
  return { result, plan: (row!['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan, query };
}

/** The plan's nodes outside its per-row subplans (an order's upgrades, a delivery's history). */
function mainNodes(node: PlanNode): PlanNode[] {
  const children = (node.Plans ?? []).filter((p) => p['Parent Relationship'] !== 'SubPlan' && p['Parent Relationship'] !== 'InitPlan');
  return [node, ...children.flatMap(mainNodes)];
}

/** A page that is Limit over one index scan of `index` reading at most limit + 1 rows, sorted by the index alone. */
function expectSeek(found: { plan: PlanNode; query: string }, index: string, withCursor: boolean): void {
  const nodes = mainNodes(found.plan);
  expect(nodes.map((n) => n['Node Type'])).toEqual(['Limit', 'Index Scan']);
  const scan = nodes[1]!;
  expect(scan['Index Name']).toBe(index);
  expect(scan['Actual Rows']).toBeLessThanOrEqual(LIMIT + 1);
  expect(scan['Rows Removed by Filter'] ?? 0).toBe(0);
  if (withCursor) expect(scan['Index Cond']).toMatch(/ROW\((\w+\.)?created_at, (\w+\.)?id\) < ROW\(/);
  expect(found.query).not.toMatch(/\bOFFSET\b|count\(/i);
}

/** A cursor deep in the list: the position after `pages` pages. */
async function deepPosition<K>(next: (after: K | undefined) => Promise<{ next: K | null }>, pages: number): Promise<K> {
  let after: K | undefined;
  for (let i = 0; i < pages; i += 1) after = (await next(after)).next ?? undefined;
  return after!;
}

describe('list pages are index seeks', () => {
  it('a customer\'s orders, first and deep pages, all or of one status', async () => {
    const page = (after?: Position, status?: 'REFUNDED') => (db: postgres.Sql) => listOrders(db, big.id, { limit: LIMIT, after, status });
    const deep = await deepPosition<Position>((after) => listOrders(sql, big.id, { limit: 100, after }), 20);
    const deepRefunded = await deepPosition<Position>((after) => listOrders(sql, big.id, { limit: 50, after, status: 'REFUNDED' }), 5);

    expectSeek(await planOf(page()), 'orders_customer_newest', false);
    expectSeek(await planOf(page(deep)), 'orders_customer_newest', true);
    expectSeek(await planOf(page(undefined, 'REFUNDED')), 'orders_customer_status_newest', false);
    expectSeek(await planOf(page(deepRefunded, 'REFUNDED')), 'orders_customer_status_newest', true);
  });

  it('deliveries as a customer, a provider and an admin see them, first and deep pages, all or of one status', async () => {
    const cases = [
      { viewer: { userId: big.id, role: 'customer' }, index: 'service_deliveries_customer' },
      { viewer: { userId: provider.id, role: 'provider' }, index: 'service_deliveries_provider' },
      { viewer: { userId: 0, role: 'admin' }, index: 'service_deliveries' },
    ];
    for (const { viewer, index } of cases) {
      for (const status of [undefined, 'NEW'] as const) {
        const deep = await deepPosition<Position>((after) => listDeliveries(sql, viewer, { limit: 20, after, status }), 3);
        const page = (after?: Position) => (db: postgres.Sql) => listDeliveries(db, viewer, { limit: LIMIT, after, status });
        const name = status ? `${index}_status_newest` : `${index}_newest`;
        expectSeek(await planOf(page()), name, false);
        expectSeek(await planOf(page(deep)), name, true);
      }
    }
  });

  it('a wallet\'s transactions: two backward seeks (from, to) of at most limit + 1 rows each under a Merge Append, no sort', async () => {
    const deep = await deepPosition<number>((afterId) => userTransfers(sql, big.id, { limit: 100, afterId }), 20);
    for (const afterId of [undefined, deep]) {
      const found = await planOf((db) => userTransfers(db, big.id, { limit: LIMIT, afterId }));
      expect(found.result.items).toHaveLength(LIMIT);
      const nodes = mainNodes(found.plan);
      // Limit over Merge Append of the two seeks, each under its own Limit: the merge reads only what
      // the page needs, and nothing is sorted.
      expect(nodes.map((n) => n['Node Type']).filter((t) => !['Result', 'Subquery Scan'].includes(t))).toEqual([
        'Limit', 'Merge Append', 'Limit', 'Index Scan', 'Limit', 'Index Scan',
      ]);
      const scans = nodes.filter((n) => n['Node Type'] === 'Index Scan');
      expect(scans.map((s) => [s['Index Name'], s['Scan Direction']]).sort()).toEqual([
        ['transfers_from_wallet', 'Backward'], ['transfers_to_wallet', 'Backward'],
      ]);
      for (const scan of scans) expect(scan['Actual Rows']).toBeLessThanOrEqual(LIMIT + 1);
      expect(nodes.some((n) => /Seq Scan|Bitmap/.test(n['Node Type']))).toBe(false);
      expect(found.query).not.toMatch(/\bOFFSET\b|count\(/i);
    }
  });
});

/** Every item of a list, page after page from the first, in the order the pages give them. */
async function walk<T, K>(page: (after: K | undefined) => Promise<{ items: T[]; next: K | null }>): Promise<T[]> {
  const seen: T[] = [];
  let after: K | undefined;
  do {
    const next = await page(after);
    seen.push(...next.items);
    after = next.next ?? undefined;
  } while (after !== undefined);
  return seen;
}

describe('paging with the repository functions', () => {
  it('visits every order of a customer once, newest first, though neighbours differ by microseconds and pairs share one', async () => {
    const all = await sql<{ id: string }[]>`SELECT id FROM orders WHERE customer_id = ${big.id} ORDER BY created_at DESC, id DESC`;
    const seen = (await walk<{ id: string }, Position>((after) => listOrders(sql, big.id, { limit: 7, after }))).map((o) => o.id);
    expect(seen).toEqual(all.map((o) => o.id));
  });

  it('visits every transfer of a wallet once, newest first', async () => {
    const all = await sql<{ id: number }[]>`
      SELECT t.id FROM transfers t JOIN wallets w ON w.id IN (t.from_wallet_id, t.to_wallet_id) WHERE w.user_id = ${big.id} ORDER BY t.id DESC`;
    const seen = (await walk<{ id: number }, number>((afterId) => userTransfers(sql, big.id, { limit: 64, afterId }))).map((t) => t.id);
    expect(seen).toEqual(all.map((t) => t.id));
  });
});
