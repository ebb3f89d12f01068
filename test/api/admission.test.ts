import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sql } from '../../src/db/client.js';
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
