import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { balance, deposit, newService, newUser, placeOrder, reconciliation, type TestService, type TestUser } from '../support/api.js';
import { testSql } from '../support/db.js';

let sql: Sql;
let service: TestService;
beforeAll(async () => {
  sql = testSql();
  service = await newService(await newUser('provider'), 1_000); // total 1150
});
afterAll(async () => { await sql.end(); });

const body = () => ({ service_id: service.id, method_type: 'wallet' });

async function customerWith(amount: number): Promise<TestUser> {
  const customer = await newUser('customer');
  if (amount > 0) await deposit(customer, amount);
  return customer;
}

describe('concurrency', () => {
  it('lets exactly 60 of 100 concurrent orders from 10 customers through when their balances cover 60', async () => {
    const customers = await Promise.all(Array.from({ length: 10 }, () => customerWith(6 * 1_150)));
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => placeOrder(customers[i % 10]!, body())));

    expect(results.filter((r) => r.status === 201)).toHaveLength(60);
    expect(results.filter((r) => r.status === 422 && r.body.code === 'INSUFFICIENT_BALANCE')).toHaveLength(40);
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    for (const customer of customers) expect(await balance(customer)).toBe(0);
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM orders WHERE status = 'COMPLETED'
      AND customer_id IN ${sql(customers.map((c) => c.id))}`;
    expect(row!.n).toBe(60);
    const [negative] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM wallets WHERE balance < 0 AND system_name IS DISTINCT FROM 'external'`;
    expect(negative!.n).toBe(0);
    expect((await reconciliation()).ok).toBe(true);
  }, 120_000);
});

describe('Idempotency-Key on POST /orders', () => {
  it('turns one key sent 10 times at once into one order and ten identical answers', async () => {
    const customer = await customerWith(10_000);
    const results = await Promise.all(Array.from({ length: 10 }, () => placeOrder(customer, body(), { 'idempotency-key': 'burst' })));

    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(await balance(customer)).toBe(10_000 - 1_150);
    const payments = await sql`SELECT 1 FROM transfers t JOIN orders o ON o.id = t.order_id
      WHERE o.customer_id = ${customer.id} AND t.kind = 'order_payment'`;
    expect(payments).toHaveLength(1);
  });

  it('answers a refused order\'s key with the same refusal, even after a top-up; a new key succeeds', async () => {
    const customer = await customerWith(1_000);
    const refused = await placeOrder(customer, body(), { 'idempotency-key': 'too-poor' });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('INSUFFICIENT_BALANCE');

    await deposit(customer, 10_000);
    const replay = await placeOrder(customer, body(), { 'idempotency-key': 'too-poor' });
    expect(replay.status).toBe(422);
    expect(replay.body).toEqual(refused.body);
    expect(await balance(customer)).toBe(11_000);

    const fresh = await placeOrder(customer, body(), { 'idempotency-key': 'second-try' });
    expect(fresh.status).toBe(201);
    expect(await balance(customer)).toBe(11_000 - 1_150);
  });

  it('refuses the same key with another body with 422 IDEMPOTENCY_KEY_REUSED and moves nothing', async () => {
    const customer = await customerWith(10_000);
    await placeOrder(customer, body(), { 'idempotency-key': 'k1' });
    const other = await placeOrder(customer, { ...body(), method_type: 'credit_card' }, { 'idempotency-key': 'k1' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await balance(customer)).toBe(10_000 - 1_150);
  });

  it('scopes keys to the customer: two customers may use the same key', async () => {
    const [a, b] = [await customerWith(5_000), await customerWith(5_000)];
    const [ra, rb] = [await placeOrder(a, body(), { 'idempotency-key': 'shared' }), await placeOrder(b, body(), { 'idempotency-key': 'shared' })];
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(ra.body.data.id).not.toBe(rb.body.data.id);
  });
});
