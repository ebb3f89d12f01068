import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { DELIVERY_STATUSES, MOVES, type DeliveryStatus } from '../../src/domain/delivery.js';
import { scratchDatabase } from '../support/db.js';

/**
 * The delivery state machine has two copies: MOVES (src/domain/delivery.ts), which the API and the
 * workflow decide with, and the trigger on service_deliveries (migrations/002_money_guards.sql,
 * never rewritten once applied), which refuses any other move of the status. This holds them
 * equal by asking the migrated database itself: a delivery is put at each status and moved to
 * each other one, and the moves the trigger lets through must be exactly MOVES' (from, to) pairs.
 * A change to either side fails here until the other follows (a new migration for the trigger).
 */
let sql: Sql;
let drop: () => Promise<void>;
let orderId: string;

beforeAll(async () => {
  ({ sql, drop } = await scratchDatabase());
  // Plain SQL, not the repositories: the rows only need to exist for the delivery's foreign keys.
  const [provider] = await sql<{ id: number }[]>`INSERT INTO users (name, role) VALUES ('p', 'provider') RETURNING id`;
  const [customer] = await sql<{ id: number }[]>`INSERT INTO users (name, role) VALUES ('c', 'customer') RETURNING id`;
  const [service] = await sql<{ id: number }[]>`
    INSERT INTO services (provider_id, name, price, status) VALUES (${provider!.id}, 'Logo', 10000, 'ACTIVE') RETURNING id`;
  orderId = randomUUID();
  await sql`
    INSERT INTO orders (id, customer_id, provider_id, service_id, service_name, service_price, method_type, status,
      subtotal, tax, total, currency, tax_rate_bp, platform_fee_bp)
    VALUES (${orderId}, ${customer!.id}, ${provider!.id}, ${service!.id}, 'Logo', 10000, 'wallet', 'COMPLETED',
      10000, 1500, 11500, 'SAR', 1500, 2000)`;
});
afterAll(async () => { await drop(); });

class RolledBack extends Error {}

/** Whether the database lets a delivery's status move from `from` to `to`; nothing it does is kept. */
async function databaseAllows(from: DeliveryStatus, to: DeliveryStatus): Promise<boolean> {
  let allowed: boolean | undefined;
  await sql.begin(async (tx) => {
    const [delivery] = await tx<{ id: string }[]>`
      INSERT INTO service_deliveries (id, order_id, status, customer_id, provider_id, service_id, service_name, service_price, total, currency)
      SELECT ${randomUUID()}, id, ${from}, customer_id, provider_id, service_id, service_name, service_price, total, currency
      FROM orders WHERE id = ${orderId} RETURNING id`;
    try {
      await tx.savepoint((sp) => sp`UPDATE service_deliveries SET status = ${to} WHERE id = ${delivery!.id}`);
      allowed = true;
    } catch (err) {
      if ((err as { code?: string }).code !== 'MK002') throw err; // only the trigger's refusal answers "no"
      allowed = false;
    }
    throw new RolledBack();
  }).catch((err: unknown) => { if (!(err instanceof RolledBack)) throw err; });
  return allowed!;
}

/** Every move between two different statuses the database lets through, as "FROM->TO". */
async function movesTheDatabaseAllows(): Promise<string[]> {
  const allowed: string[] = [];
  for (const from of DELIVERY_STATUSES) {
    for (const to of DELIVERY_STATUSES) {
      if (from !== to && await databaseAllows(from, to)) allowed.push(`${from}->${to}`);
    }
  }
  return allowed.sort();
}

const movesOfTheDomain = () => [...new Set(MOVES.map((m) => `${m.from}->${m.to}`))].sort();

describe('the delivery transition table', () => {
  it('is the same in the database\'s trigger as in MOVES, both ways', async () => {
    expect(await movesTheDatabaseAllows()).toEqual(movesOfTheDomain());
  });

  it('(the probe reads the trigger: a trigger that allows every move is seen as one)', async () => {
    const [trigger] = await sql<{ fn: string }[]>`
      SELECT tgfoid::regproc::text AS fn FROM pg_trigger
      WHERE tgrelid = 'service_deliveries'::regclass AND NOT tgisinternal AND tgtype & 16 <> 0`; // 16: ON UPDATE
    await sql.unsafe(`CREATE OR REPLACE FUNCTION ${trigger!.fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`);
    expect(await movesTheDatabaseAllows()).toHaveLength(DELIVERY_STATUSES.length * (DELIVERY_STATUSES.length - 1));
  });
});
