import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../../src/db/catalog.js';
import { createSql, type Sql } from '../../src/db/client.js';
import { indexesCreatedBy, migrate, runMigration } from '../../src/db/migrate.js';
import { createUser } from '../../src/db/users.js';
import { scratchDatabase } from '../support/db.js';

/**
 * The no-transaction migration (005, the list indexes): re-runnable, rebuilding what a crashed
 * build left invalid, and building CONCURRENTLY, so orders keep being written while it runs.
 */
const FILE = '005_keyset_list_indexes.sql';
const REPLACED = ['orders_customer', 'orders_customer_status', 'service_deliveries_customer', 'service_deliveries_customer_status',
  'service_deliveries_provider', 'service_deliveries_provider_status', 'service_deliveries_status'];

let sql: Sql;
let url: string;
let drop: () => Promise<void>;
let newIndexes: string[];
beforeAll(async () => {
  ({ sql, url, drop } = await scratchDatabase());
  newIndexes = await indexesCreatedBy(FILE);
});
afterAll(async () => { await drop(); });

/** Index name → valid, for the names given that exist. */
async function indexStates(names: string[]): Promise<Record<string, boolean>> {
  const rows = await sql<{ name: string; valid: boolean }[]>`
    SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relname = ANY(${names}::text[])`;
  return Object.fromEntries(rows.map((r) => [r.name, r.valid]));
}

/** 005 as if never run: its indexes gone and its record removed, so the next migrate() builds them. */
async function unapply005(): Promise<void> {
  for (const name of newIndexes) await sql.unsafe(`DROP INDEX IF EXISTS ${name}`);
  await sql`DELETE FROM schema_migrations WHERE name = ${FILE}`;
}

/**
 * A transaction that has written to orders and stays open: a concurrent index build waits for it
 * (CONCURRENTLY waits for every writer it started beside), which gives the test time to act.
 */
async function openWriter(): Promise<{ release: () => Promise<void> }> {
  const conn = await sql.reserve();
  await conn`BEGIN`;
  await conn`LOCK TABLE orders IN ROW EXCLUSIVE MODE`;
  return { release: async () => { await conn`ROLLBACK`; conn.release(); } };
}

/** The backend of the index build named, once it is waiting on a lock (or undefined after `ms`). */
async function waitingBuild(pattern: string, ms = 10_000): Promise<number | undefined> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    const [row] = await sql<{ pid: number }[]>`
      SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND query ILIKE ${pattern} AND wait_event_type = 'Lock'`;
    if (row) return row.pid;
  }
  return undefined;
}

async function insertOrder(conn: Sql, timeoutMs: number): Promise<void> {
  const provider = await createUser(sql, { name: 'p', role: 'provider', currency: 'SAR' });
  const customer = await createUser(sql, { name: 'c', role: 'customer', currency: 'SAR' });
  const service = await createService(sql, { providerId: provider.id, name: 'Logo', price: 100, status: 'ACTIVE', upgrades: [] });
  await conn.begin(async (tx) => {
    await tx.unsafe(`SET LOCAL statement_timeout = ${timeoutMs}`);
    await tx`INSERT INTO orders (id, customer_id, provider_id, service_id, service_name, service_price, method_type, status,
      subtotal, tax, total, currency, tax_rate_bp, platform_fee_bp)
      VALUES (${randomUUID()}, ${customer.id}, ${provider.id}, ${service.id}, 'Logo', 100, 'wallet', 'COMPLETED', 100, 15, 115, 'SAR', 1500, 2000)`;
  });
}

describe('the no-transaction migration', () => {
  it('runs again without effect: the second migrate applies nothing, its indexes are valid and the replaced ones gone', async () => {
    expect(await migrate(sql)).toEqual([]);
    expect(newIndexes).toHaveLength(8);
    expect(await indexStates(newIndexes)).toEqual(Object.fromEntries(newIndexes.map((n) => [n, true])));
    expect(await indexStates(REPLACED)).toEqual({});
    const ms = await runMigration(sql, FILE);
    expect(ms).toBeGreaterThan(0);
    expect(await indexStates(newIndexes)).toEqual(Object.fromEntries(newIndexes.map((n) => [n, true])));
  });

  it('rebuilds an index that a cancelled concurrent build left invalid', async () => {
    await unapply005();
    const writer = await openWriter();
    const interrupted = migrate(sql).then(() => 'finished', (err: { code?: string }) => err.code);
    const pid = await waitingBuild('CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_newest%');
    expect(pid).toBeDefined();
    await sql`SELECT pg_cancel_backend(${pid!})`;
    expect(await interrupted).toBe('57014'); // query_canceled
    await writer.release();
    expect(await indexStates(['orders_customer_newest'])).toEqual({ orders_customer_newest: false });

    expect(await migrate(sql)).toEqual([FILE]);
    expect(await indexStates(newIndexes)).toEqual(Object.fromEntries(newIndexes.map((n) => [n, true])));
  });

  it('lets an order be inserted while it builds, where a plain CREATE INDEX would hold the insert back', async () => {
    const writer = await openWriter();
    const plain = sql`CREATE INDEX plain_build ON orders (service_id)`.then(() => 'built', () => 'failed');
    expect(await waitingBuild('CREATE INDEX plain_build%')).toBeDefined();
    await expect(insertOrder(sql, 1_000)).rejects.toMatchObject({ code: '57014' }); // statement_timeout: blocked
    await writer.release();
    expect(await plain).toBe('built');
    await sql`DROP INDEX plain_build`;

    await unapply005();
    const writer2 = await openWriter();
    const building = migrate(sql);
    expect(await waitingBuild('CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_newest%')).toBeDefined();
    await insertOrder(sql, 5_000);
    await writer2.release();
    expect(await building).toEqual([FILE]);
    expect(await indexStates(newIndexes)).toEqual(Object.fromEntries(newIndexes.map((n) => [n, true])));
  });

  it('runs once when two processes start at the same moment: the second waits for the lock and finds it done', async () => {
    await unapply005();
    const other = createSql(url, { max: 2 });
    try {
      const results = await Promise.all([migrate(sql), migrate(other)]);
      expect(results.toSorted((a, b) => a.length - b.length)).toEqual([[], [FILE]]);
    } finally {
      await other.end();
    }
    expect(await indexStates(newIndexes)).toEqual(Object.fromEntries(newIndexes.map((n) => [n, true])));
  });

  it('refuses to run a transactional migration again', async () => {
    await expect(runMigration(sql, '001_initial.sql')).rejects.toThrow(/runs in a transaction/);
  });
});
