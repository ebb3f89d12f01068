/**
 * The ledger alone, no HTTP and no Temporal: how many transfers per second PostgreSQL takes when
 * every one of them credits the one `general-system` (escrow) row, as every order payment does,
 * against the same number of transfers that touch no shared row (customer to provider). Run in a
 * scratch database of its own on the server of `databaseUrl`, through the product's own
 * `transfer()` (the wallet locks, the key lookup, the escrow trigger and both balance updates).
 */
import { randomUUID } from 'node:crypto';
import { createSql, type Sql } from '../src/db/client.js';
import { ensureSystemWallets, transfer } from '../src/db/ledger.js';
import { migrate } from '../src/db/migrate.js';
import { createUser } from '../src/db/users.js';
import { latencyStats, round, type LatencyStats } from './load.js';

export interface ContentionRow {
  concurrency: number;
  /** Each transfer credits the escrow row: all of them queue on its row lock. */
  into_escrow_per_s: number;
  into_escrow: LatencyStats;
  /** Each transfer moves between a pair of wallets no other lane touches. */
  disjoint_per_s: number;
  disjoint: LatencyStats;
}

const CURRENCY = 'SAR';

/** Runs `lanes` loops for `seconds`, each doing `one(lane)` back to back; answers the rate and the latencies. */
async function drive(lanes: number, seconds: number, one: (lane: number) => Promise<unknown>): Promise<{ perS: number; stats: LatencyStats }> {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
    while (performance.now() < until) {
      const t = performance.now();
      await one(lane);
      latencies.push(performance.now() - t);
    }
  }));
  return { perS: round(latencies.length / ((performance.now() - started) / 1000)), stats: latencyStats(latencies) };
}

export async function measureEscrowContention(serverUrl: string, opts: { levels: number[]; seconds: number; log: (m: string) => void }): Promise<ContentionRow[]> {
  const name = `escrow_contention_${process.pid}`;
  const admin = createSql(serverUrl, { max: 1 });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name}`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const max = Math.max(...opts.levels);
  const sql: Sql = createSql(url.toString(), { max });
  try {
    await migrate(sql);
    await ensureSystemWallets(sql, CURRENCY);
    // One customer and one provider per lane, each customer funded far beyond what a run can spend.
    const customers = await Promise.all(Array.from({ length: max }, (_, i) => createUser(sql, { name: `c${i}`, role: 'customer', currency: CURRENCY })));
    const providers = await Promise.all(Array.from({ length: max }, (_, i) => createUser(sql, { name: `p${i}`, role: 'provider', currency: CURRENCY })));
    for (const c of customers) {
      await transfer(sql, { key: `deposit:${c.id}:seed`, from: { system: 'external' }, to: { userId: c.id }, amount: 1e12, kind: 'deposit' });
    }
    // Every connection opened before timing, so no lane pays for a connect.
    await Promise.all(Array.from({ length: max }, () => sql`SELECT 1`));
    const rows: ContentionRow[] = [];
    for (const lanes of opts.levels) {
      const escrow = await drive(lanes, opts.seconds, (lane) => {
        const orderId = randomUUID();
        return transfer(sql, { key: `order:${orderId}:payment`, from: { userId: customers[lane]!.id }, to: { system: 'general-system' }, amount: 16_100, kind: 'order_payment', orderId });
      });
      const disjoint = await drive(lanes, opts.seconds, (lane) => transfer(sql, {
        key: `bench:${randomUUID()}`, from: { userId: customers[lane]!.id }, to: { userId: providers[lane]!.id }, amount: 16_100, kind: 'deposit',
      }));
      rows.push({ concurrency: lanes, into_escrow_per_s: escrow.perS, into_escrow: escrow.stats, disjoint_per_s: disjoint.perS, disjoint: disjoint.stats });
      opts.log(`escrow contention at ${lanes}: into escrow ${escrow.perS}/s (p99 ${escrow.stats.p99_ms} ms), disjoint ${disjoint.perS}/s (p99 ${disjoint.stats.p99_ms} ms)`);
    }
    return rows;
  } finally {
    await sql.end({ timeout: 5 });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name}`).catch(() => undefined);
    await admin.end({ timeout: 5 });
  }
}
