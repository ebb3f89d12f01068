import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { AdaptiveLimit } from '../../src/api/admission.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createApiRole } from '../../src/roles.js';
import { checkAnswer, customerAndService } from '../support/api.js';
import { testSql } from '../support/db.js';
import { testConfig } from '../support/config.js';

/**
 * Admission control on an app of its own (limit 2) in front of the run's real worker, Temporal and
 * PostgreSQL: the shared API admits far more, so the money tests are never shed.
 */
describe('admission control', () => {
  let sql: Sql;
  let temporal: Client;
  beforeAll(async () => {
    sql = testSql();
    temporal = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
  });
  afterAll(async () => {
    await temporal.connection.close();
    await sql.end();
  });

  it('sheds the orders beyond the limit at once with 503 and Retry-After, and they place nothing', async () => {
    const app = createApiRole(testConfig(inject('taskQueue'), { ORDERS_MAX_IN_FLIGHT: '2' }), {
      sql, temporal, log: createLogger('error', 'admission-test', 'json'), metrics: createMetrics(),
    });
    const { service, customer } = await customerAndService(1_000, 100_000);

    const send = () => app.request('/api/v1/orders', {
      method: 'POST', body: JSON.stringify({ service_id: service.id, method_type: 'wallet' }),
      headers: { authorization: `Bearer ${customer.token}`, 'content-type': 'application/json' },
    });
    const answers = await Promise.all(Array.from({ length: 10 }, async () => {
      const res = await send();
      const body = await res.json() as { code?: string };
      await checkAnswer('POST', '/api/v1/orders', res.status, body);
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body };
    }));

    const shed = answers.filter((a) => a.status === 503);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(2);
    expect(shed).toHaveLength(8);
    expect(shed.every((a) => a.body.code === 'UNAVAILABLE' && a.retryAfter === '1')).toBe(true);
    const [orders] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM orders WHERE customer_id = ${customer.id}`;
    expect(orders!.n).toBe(2);
    const [charged] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM transfers t JOIN wallets w ON w.id = t.from_wallet_id
      WHERE w.user_id = ${customer.id} AND t.kind = 'order_payment'`;
    expect(charged!.n).toBe(2);
    // Once the two are answered the slots are free again.
    expect((await send()).status).toBe(201);
  });
});

/** The limit by Little's law, on a clock of the test's own: orders finished per second × the budget. */
describe('the adaptive limit', () => {
  const settings = { ceiling: 64, budgetMs: 1000, minLimit: 8 };
  /** Finishes `perS` orders a second for `seconds`, evenly spread, advancing the clock. */
  function run(limit: AdaptiveLimit, clock: { t: number }, perS: number, seconds: number): void {
    for (let i = 0; i < perS * seconds; i++) {
      clock.t += 1000 / perS;
      expect(limit.tryAcquire()).toBe(true);
      limit.release();
    }
  }

  it('starts at its minimum and follows the throughput times the budget', () => {
    const clock = { t: 1_000_000 };
    const limit = new AdaptiveLimit(settings, () => clock.t);
    expect(limit.limit).toBe(8);
    // The window is 2 s in buckets of 100 ms: where the clock falls in the current bucket moves it by one.
    run(limit, clock, 20, 3);
    expect(limit.limit).toBeOneOf([19, 20, 21]); // 20 a second × 1 s
    run(limit, clock, 40, 3);
    expect(limit.limit).toBeOneOf([39, 40, 41]);
    run(limit, clock, 5, 3);
    expect(limit.limit).toBe(8); // 5 × 1 s is below the minimum
  });

  it('sheds past the limit, keeps the ceiling, and forgets an old burst', () => {
    const clock = { t: 1_000_000 };
    const limit = new AdaptiveLimit({ ...settings, budgetMs: 500 }, () => clock.t);
    run(limit, clock, 200, 2);
    expect(limit.limit).toBe(64); // 200 × 0.5 s = 100, held at the ceiling
    const taken = Array.from({ length: 70 }, () => limit.tryAcquire()).filter(Boolean).length;
    expect(taken).toBe(64);
    for (let i = 0; i < taken; i++) limit.release();
    clock.t += 5_000;
    expect(limit.limit).toBe(8);
  });
});
