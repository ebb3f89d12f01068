import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../../src/db/catalog.js';
import type { Sql } from '../../src/db/client.js';
import { createUser } from '../../src/db/users.js';
import { scratchDatabase } from '../support/db.js';

/** The status filters are served by an index, not a scan: EXPLAIN on a few thousand rows. */
let sql: Sql;
let drop: () => Promise<void>;
beforeAll(async () => { ({ sql, drop } = await scratchDatabase()); });
afterAll(async () => { await drop(); });

describe('status filters', () => {
  it('use an index for a customer\'s orders and a provider\'s deliveries of one status', async () => {
    const provider = await createUser(sql, { name: 'p', role: 'provider', currency: 'SAR' });
    const service = await createService(sql, { providerId: provider.id, name: 'Logo', price: 100, status: 'ACTIVE', upgrades: [] });
    const customers = await Promise.all(Array.from({ length: 20 }, () => createUser(sql, { name: 'c', role: 'customer', currency: 'SAR' })));
    const statuses = ['NEW', 'IN_PROGRESS', 'REVIEWING', 'COMPLETED', 'CANCELLED'];
    const rows = Array.from({ length: 4000 }, (_, i) => ({ id: randomUUID(), customer: customers[i % 20]!.id, status: statuses[i % 5]! }));
    await sql`INSERT INTO orders ${sql(rows.map((r) => ({
      id: r.id, customer_id: r.customer, provider_id: provider.id, service_id: service.id, service_name: 'Logo', service_price: 100,
      method_type: 'wallet', status: r.status === 'CANCELLED' ? 'REFUNDED' : 'COMPLETED', subtotal: 100, tax: 15, total: 115,
      currency: 'SAR', tax_rate_bp: 1500, platform_fee_bp: 2000,
    })))}`;
    await sql`INSERT INTO service_deliveries ${sql(rows.map((r) => ({
      id: randomUUID(), order_id: r.id, status: r.status, customer_id: r.customer, provider_id: provider.id, service_id: service.id,
      service_name: 'Logo', service_price: 100, total: 115, currency: 'SAR',
    })))}`;
    await sql`ANALYZE orders`;
    await sql`ANALYZE service_deliveries`;

    const plan = async (query: string) => (await sql.unsafe(`EXPLAIN ${query}`)).map((r) => r['QUERY PLAN'] as string).join('\n');
    const orders = await plan(`SELECT id FROM orders o WHERE o.customer_id = ${customers[3]!.id} AND o.status = 'REFUNDED' ORDER BY o.created_at DESC LIMIT 15`);
    expect(orders).toMatch(/Index (Only )?Scan.*orders_customer_status/);
    const deliveries = await plan(`SELECT id FROM service_deliveries d WHERE d.provider_id = ${provider.id} AND d.status = 'NEW' ORDER BY d.created_at DESC LIMIT 15`);
    expect(deliveries).toMatch(/Index (Only )?Scan.*service_deliveries_provider_status/);
    expect(deliveries).not.toMatch(/Seq Scan/);
  });
});
