/**
 * Seeds DATABASE_URL with many completed orders, for timing reconciliation at scale:
 *
 *   DATABASE_URL=postgres://… npx tsx bench/seed-reconciliation.ts [orders] [customers] [providers]
 *
 * Defaults: 1,000,000 orders over 10,000 customers and 1,000 providers (one service each). Every order
 * is COMPLETED with its delivery COMPLETED; its money moved as the product moves it: an
 * `order_payment` from the customer into escrow, then `payout_profit`, `payout_tax` and
 * `payout_provider` out of it (SYSTEM.md §3's amounts). Each customer first gets one deposit from
 * `external` covering their orders and a little more; every wallet's balance is then set to the sum
 * of its transfers, so reconciliation is ok. Set-based SQL (generate_series), in batches of
 * SEED_BATCH orders per transaction, never a round trip per order. It adds to whatever the database
 * already holds (each run draws its own order ids and keys); migrations are applied first.
 */
import { randomBytes } from 'node:crypto';
import { createSql, type Tx } from '../src/db/client.js';
import { ensureSystemWallets } from '../src/db/ledger.js';
import { migrate } from '../src/db/migrate.js';

const CURRENCY = 'SAR';
const TAX_RATE_BP = 1500;
const PLATFORM_FEE_BP = 2000;

function count(arg: string | undefined, fallback: number, name: string): number {
  if (arg === undefined) return fallback;
  const value = Number(arg.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${arg}`);
  return value;
}

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('DATABASE_URL is required (the database to seed)\n');
  process.exit(2);
}
const orders = count(process.argv[2], 1_000_000, 'orders');
const customers = count(process.argv[3], 10_000, 'customers');
const providers = count(process.argv[4], 1_000, 'providers');
// A run's own tag: its order ids (md5 of tag and number, as a uuid) and keys never collide with another run's.
const tag = randomBytes(6).toString('hex');
const log = (msg: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);

// One connection: the seed's temporary tables live in its session.
const sql = createSql(url, { max: 1 });
const started = Date.now();
try {
  await migrate(sql);
  await ensureSystemWallets(sql, CURRENCY);
  // A superuser may switch off triggers and foreign-key checks for its own transactions
  // (session_replication_role = replica): every row below is consistent by construction, and
  // reconciliation checks the result. Otherwise the escrow guard (migrations/002) runs per payout
  // and takes an advisory lock per order, so batches stay small enough for the lock table.
  const [{ superuser } = { superuser: false }] = await sql<{ superuser: boolean }[]>`
    SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`;
  const batch = count(process.env.SEED_BATCH, superuser ? 50_000 : 2_000, 'SEED_BATCH');
  const fast = async (tx: Tx) => { if (superuser) await tx`SET LOCAL session_replication_role = replica`; };
  const [{ lastTransfer } = { lastTransfer: 0 }] = await sql<{ lastTransfer: number }[]>`
    SELECT coalesce(max(id), 0)::bigint AS "lastTransfer" FROM transfers`;
  log(`seeding ${orders} orders for ${customers} customers and ${providers} providers (run ${tag}, batches of ${batch}${superuser ? ', triggers off' : ''})`);

  // Users, their wallets and the providers' services, numbered 0..n-1 in temporary tables.
  await sql.begin(async (tx) => {
    await fast(tx);
    await tx`CREATE TEMP TABLE seed_customer (n int PRIMARY KEY, user_id bigint NOT NULL, wallet_id bigint NOT NULL)`;
    await tx`CREATE TEMP TABLE seed_provider (n int PRIMARY KEY, user_id bigint NOT NULL, wallet_id bigint NOT NULL,
      service_id bigint NOT NULL, service_name text NOT NULL, price bigint NOT NULL)`;
    await tx`
      WITH u AS (
        INSERT INTO users (name, role) SELECT 'seed customer ' || ${tag}::text || '-' || n, 'customer' FROM generate_series(0, ${customers - 1}::int) n
        RETURNING id),
      numbered AS (SELECT (row_number() OVER (ORDER BY id) - 1)::int AS n, id FROM u),
      w AS (INSERT INTO wallets (user_id, currency) SELECT id, ${CURRENCY} FROM numbered RETURNING id, user_id)
      INSERT INTO seed_customer SELECT numbered.n, numbered.id, w.id FROM numbered JOIN w ON w.user_id = numbered.id`;
    await tx`
      WITH u AS (
        INSERT INTO users (name, role) SELECT 'seed provider ' || ${tag}::text || '-' || n, 'provider' FROM generate_series(0, ${providers - 1}::int) n
        RETURNING id),
      numbered AS (SELECT (row_number() OVER (ORDER BY id) - 1)::int AS n, id FROM u),
      w AS (INSERT INTO wallets (user_id, currency) SELECT id, ${CURRENCY} FROM numbered RETURNING id, user_id),
      -- Prices from 10.00 to 209.99 SAR, so the rounding of tax and profit varies.
      s AS (INSERT INTO services (provider_id, name, price, status)
        SELECT id, 'Seed service ' || n, 1000 + (n * 7919) % 20000, 'ACTIVE' FROM numbered RETURNING id, provider_id, name, price)
      INSERT INTO seed_provider SELECT numbered.n, numbered.id, w.id, s.id, s.name, s.price
      FROM numbered JOIN w ON w.user_id = numbered.id JOIN s ON s.provider_id = numbered.id`;
    // What this run seeds, and the orders of the current batch (lo..hi), read by the view below.
    await tx`CREATE TEMP TABLE seed_run (tag text NOT NULL, orders int NOT NULL, customers int NOT NULL, providers int NOT NULL,
      lo int NOT NULL, hi int NOT NULL)`;
    await tx`INSERT INTO seed_run VALUES (${tag}, ${orders}, ${customers}, ${providers}, 0, -1)`;
    // Order i belongs to customer i % customers and to provider (and service) i % providers.
    await tx.unsafe(`CREATE TEMP VIEW seed_order AS
      SELECT i, md5(r.tag || ':order:' || i)::uuid AS id, md5(r.tag || ':delivery:' || i)::uuid AS delivery_id,
        c.user_id AS customer_id, c.wallet_id AS customer_wallet, p.user_id AS provider_id, p.wallet_id AS provider_wallet,
        p.service_id, p.service_name, p.price AS subtotal, a.tax, p.price + a.tax AS total, f.profit, b.profit_tax,
        p.price + a.tax - f.profit - b.profit_tax AS provider_share,
        now() - make_interval(secs => r.orders - i) AS at
      FROM seed_run r
      CROSS JOIN LATERAL generate_series(r.lo, r.hi) i
      JOIN seed_customer c ON c.n = i % r.customers
      JOIN seed_provider p ON p.n = i % r.providers
      CROSS JOIN LATERAL (SELECT (p.price * ${TAX_RATE_BP} + 5000) / 10000 AS tax) a
      CROSS JOIN LATERAL (SELECT ((p.price + a.tax) * ${PLATFORM_FEE_BP} + 5000) / 10000 AS profit) f
      CROSS JOIN LATERAL (SELECT (f.profit * ${TAX_RATE_BP} + 5000) / 10000 AS profit_tax) b`);
  });

  // One deposit per customer, before their orders: the sum of their totals and 100.00 SAR more.
  await sql.begin(async (tx) => {
    await fast(tx);
    await tx`UPDATE seed_run SET lo = 0, hi = ${orders - 1}`;
    await tx`
      INSERT INTO transfers (idempotency_key, from_wallet_id, to_wallet_id, amount, kind, created_at)
      SELECT 'deposit:seed-' || ${tag}::text || ':' || customer_id, (SELECT id FROM wallets WHERE system_name = 'external'),
        customer_wallet, sum(total) + 10000, 'deposit', min(at) - interval '1 hour'
      FROM seed_order GROUP BY customer_id, customer_wallet`;
  });
  log(`users, services and ${customers} deposits in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  for (let lo = 0; lo < orders; lo += batch) {
    const hi = Math.min(orders, lo + batch) - 1;
    await sql.begin(async (tx) => {
      await fast(tx);
      await tx`UPDATE seed_run SET lo = ${lo}, hi = ${hi}`;
      await tx`
        INSERT INTO orders (id, customer_id, provider_id, service_id, service_name, service_price, method_type, status,
          subtotal, tax, total, currency, tax_rate_bp, platform_fee_bp, paid_at, created_at, updated_at)
        SELECT id, customer_id, provider_id, service_id, service_name, subtotal, 'wallet', 'COMPLETED',
          subtotal, tax, total, ${CURRENCY}, ${TAX_RATE_BP}::int, ${PLATFORM_FEE_BP}::int, at, at, at
        FROM seed_order`;
      await tx`
        INSERT INTO service_deliveries (id, order_id, status, customer_id, provider_id, service_id, service_name, service_price,
          total, currency, created_at, updated_at, started_at, submitted_at, completed_at)
        SELECT delivery_id, id, 'COMPLETED', customer_id, provider_id, service_id, service_name, subtotal,
          total, ${CURRENCY}, at, at + interval '3 hours', at + interval '1 hour', at + interval '2 hours', at + interval '3 hours'
        FROM seed_order`;
      await tx`
        INSERT INTO transfers (idempotency_key, from_wallet_id, to_wallet_id, amount, kind, order_id, created_at)
        SELECT 'order:' || id || ':payment', customer_wallet, (SELECT id FROM wallets WHERE system_name = 'general-system'),
          total, 'order_payment', id, at
        FROM seed_order`;
      // Payouts after the payment (a statement of their own, so the escrow guard, when on, sees it).
      await tx`
        INSERT INTO transfers (idempotency_key, from_wallet_id, to_wallet_id, amount, kind, order_id, created_at)
        SELECT 'order:' || o.id || ':payout:' || p.part, (SELECT id FROM wallets WHERE system_name = 'general-system'),
          p.to_wallet, p.amount, p.kind, o.id, o.at + interval '3 hours'
        FROM seed_order o
        CROSS JOIN LATERAL (VALUES
          ('profit', (SELECT id FROM wallets WHERE system_name = 'profit'), o.profit, 'payout_profit'),
          ('tax', (SELECT id FROM wallets WHERE system_name = 'tax'), o.profit_tax, 'payout_tax'),
          ('provider', o.provider_wallet, o.provider_share, 'payout_provider')) p(part, to_wallet, amount, kind)
        WHERE p.amount > 0`;
    });
    // With the escrow guard on, its lookup of an order's transfers must use the index: fresh statistics
    // (the table grew from nothing) keep it from planning a scan of the whole table per payout.
    if (!superuser) await sql`ANALYZE transfers`;
    log(`${hi + 1} orders (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }

  // Every wallet this run touched now holds what its new transfers moved.
  await sql.begin(async (tx) => {
    await fast(tx);
    await tx`
      UPDATE wallets w SET balance = w.balance + d.delta
      FROM (
        SELECT wallet_id, sum(delta)::bigint AS delta
        FROM transfers t CROSS JOIN LATERAL (VALUES (t.to_wallet_id, t.amount), (t.from_wallet_id, -t.amount)) v(wallet_id, delta)
        WHERE t.id > ${lastTransfer}
        GROUP BY wallet_id) d
      WHERE w.id = d.wallet_id`;
  });
  log(`balances set (${((Date.now() - started) / 1000).toFixed(1)} s); vacuum analyze`);
  for (const table of ['users', 'wallets', 'services', 'orders', 'service_deliveries', 'transfers']) await sql.unsafe(`VACUUM ANALYZE ${table}`);
  const [sizes] = await sql<{ orders: number; transfers: number; size: string }[]>`
    SELECT (SELECT count(*) FROM orders)::bigint AS orders, (SELECT count(*) FROM transfers)::bigint AS transfers,
      pg_size_pretty(pg_database_size(current_database())) AS size`;
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: the database holds ${sizes!.orders} orders, ${sizes!.transfers} transfers, ${sizes!.size}`);
} finally {
  await sql.end({ timeout: 5 });
}
