import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { deliveryWorkflowId } from '../../src/contracts/delivery.js';
import { orderWorkflowId } from '../../src/contracts/order.js';
import {
  balance, call, deposit, newService, newUser, placeOrder, reconciliation, systemWallets, type TestUser,
} from '../support/api.js';
import { testSql } from '../support/db.js';
import { temporalClient } from '../support/temporal.js';

let temporal: Client;
let sql: Sql;
let provider: TestUser;

beforeAll(async () => {
  temporal = await temporalClient();
  sql = testSql();
  provider = await newUser('provider');
});
afterAll(async () => {
  await temporal.connection.close();
  await sql.end();
});

async function fundedCustomer(amount: number): Promise<TestUser> {
  const customer = await newUser('customer');
  if (amount > 0) expect((await deposit(customer, amount)).status).toBe(201);
  return customer;
}

async function completedOrders(customer: TestUser): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM orders WHERE customer_id = ${customer.id} AND status = 'COMPLETED'`;
  return row!.n;
}

describe('POST /api/v1/orders', () => {
  it('places the worked example: 14000 + tax 2100 = 16100 moves from the wallet into escrow', async () => {
    const service = await newService(provider, 10_000, [{ price: 2_500 }, { price: 1_500 }]);
    const customer = await fundedCustomer(20_000);
    const escrowBefore = (await systemWallets())['general-system'];

    const res = await placeOrder(customer, { service_id: service.id, method_type: 'wallet', upgrades_ids: service.upgradeIds });

    expect(res.status).toBe(201);
    expect(res.body.success).toBe(true);
    expect(res.body.message).toBe('Order created successfully');
    const order = res.body.data;
    expect(order).toMatchObject({
      status: 'COMPLETED', customer_id: customer.id, provider_id: provider.id, service_id: service.id,
      method_type: 'wallet', subtotal: 14_000, tax: 2_100, total: 16_100, currency: 'SAR',
      upgrades: [{ id: service.upgradeIds[0], name: 'Upgrade 1', price: 2_500 }, { id: service.upgradeIds[1], name: 'Upgrade 2', price: 1_500 }],
      delivery: { status: 'NEW' },
    });
    expect(Date.parse(order.paid_at)).not.toBeNaN();
    expect(await balance(customer)).toBe(20_000 - 16_100);
    expect((await systemWallets())['general-system'] - escrowBefore).toBe(16_100);

    const delivery = await call('GET', `/api/v1/deliveries/${order.delivery.id}`, { token: customer.token });
    expect(delivery.status).toBe(200);
    expect(delivery.body.data).toMatchObject({
      id: order.delivery.id, order_id: order.id, status: 'NEW', customer_id: customer.id, provider_id: provider.id,
      service_id: service.id, service_price: 10_000, total: 16_100, currency: 'SAR',
      history: [{ from: null, to: 'NEW', actor_role: 'system' }],
    });
    expect(delivery.body.data.service_name).toMatch(/^Service /);

    // The answer comes once the order is paid and recorded; the workflow then starts the delivery's and ends.
    const statusOf = (workflowId: string) => temporal.workflow.getHandle(workflowId).describe().then((d) => d.status.name, () => 'NOT_STARTED');
    await expect.poll(() => statusOf(orderWorkflowId(order.id))).toBe('COMPLETED');
    await expect.poll(() => statusOf(deliveryWorkflowId(order.id))).toBe('RUNNING');
    const [payment] = await sql`SELECT amount, kind FROM transfers WHERE idempotency_key = ${`order:${order.id}:payment`}`;
    expect(payment).toEqual({ amount: 16_100, kind: 'order_payment' });
  });

  it('accepts the seed\'s other spellings payment_method and upgrade_ids', async () => {
    const service = await newService(provider, 130, [{ price: 70 }]);
    const customer = await fundedCustomer(1_000);
    const res = await placeOrder(customer, { service_id: service.id, payment_method: 'wallet', upgrade_ids: service.upgradeIds });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ subtotal: 200, tax: 30, total: 230 });
    expect(await balance(customer)).toBe(770);
  });

  it('refuses an order the wallet cannot pay: 422 INSUFFICIENT_BALANCE, nothing moved, no order', async () => {
    const service = await newService(provider, 10_000);
    const customer = await fundedCustomer(11_499); // the total is 11500
    const escrowBefore = (await systemWallets())['general-system'];

    const res = await placeOrder(customer, { service_id: service.id, method_type: 'wallet' });

    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ success: false, code: 'INSUFFICIENT_BALANCE', message: 'Wallet does not have enough balance' });
    expect(await balance(customer)).toBe(11_499);
    expect((await systemWallets())['general-system']).toBe(escrowBefore);
    expect(await completedOrders(customer)).toBe(0);
  });

  describe('refuses invalid upgrades with 422 INVALID_UPGRADES', () => {
    it.each([
      ['an upgrade of another service', 'other'],
      ['an inactive upgrade', 'inactive'],
      ['an unknown upgrade', 'unknown'],
      ['the same upgrade twice', 'duplicate'],
    ])('%s', async (_name, kind) => {
      const service = await newService(provider, 1_000, [{ price: 100 }, { price: 200, status: 'INACTIVE' }]);
      const other = await newService(provider, 1_000, [{ price: 100 }]);
      const customer = await fundedCustomer(10_000);
      const upgrades = {
        other: [other.upgradeIds[0]], inactive: [service.upgradeIds[1]], unknown: [2_000_000_000],
        duplicate: [service.upgradeIds[0], service.upgradeIds[0]],
      }[kind];

      const res = await placeOrder(customer, { service_id: service.id, method_type: 'wallet', upgrades_ids: upgrades });

      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ success: false, code: 'INVALID_UPGRADES', message: 'The upgrades are invalid' });
      expect(await balance(customer)).toBe(10_000);
    });
  });

  it('refuses an INACTIVE service with 422 SERVICE_UNAVAILABLE', async () => {
    const service = await newService(provider, 1_000, [], 'INACTIVE');
    const customer = await fundedCustomer(10_000);
    const res = await placeOrder(customer, { service_id: service.id, method_type: 'wallet' });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('SERVICE_UNAVAILABLE');
    expect(await balance(customer)).toBe(10_000);
  });

  it('refuses an unknown service with 422 VALIDATION_FAILED and a field error on service_id', async () => {
    const customer = await fundedCustomer(10_000);
    const res = await placeOrder(customer, { service_id: 1_999_999_999, method_type: 'wallet' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      code: 'VALIDATION_FAILED', message: 'The selected service id is invalid.',
      errors: { service_id: ['The selected service id is invalid.'] },
    });
  });

  it.each(['credit_card', 'apple_pay'])('answers %s with 422 PAYMENT_METHOD_UNAVAILABLE "Under Development"', async (method) => {
    const service = await newService(provider, 1_000);
    const customer = await fundedCustomer(10_000);
    const res = await placeOrder(customer, { service_id: service.id, method_type: method });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'PAYMENT_METHOD_UNAVAILABLE', message: 'Under Development' });
    expect(await balance(customer)).toBe(10_000);
    expect(await completedOrders(customer)).toBe(0);
  });

  it('lets exactly 5 of 20 concurrent orders through when the balance covers exactly 5', async () => {
    const service = await newService(provider, 1_000); // total 1150
    const customer = await fundedCustomer(5 * 1_150);

    const results = await Promise.all(Array.from({ length: 20 }, () =>
      placeOrder(customer, { service_id: service.id, method_type: 'wallet' })));

    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    expect(results.filter((r) => r.status === 422 && r.body.code === 'INSUFFICIENT_BALANCE')).toHaveLength(15);
    expect(await balance(customer)).toBe(0);
    expect(await completedOrders(customer)).toBe(5);
    const report = await reconciliation();
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('answers the same Idempotency-Key with the same order, and refuses it with another body', async () => {
    const service = await newService(provider, 1_000);
    const customer = await fundedCustomer(10_000);
    const body = { service_id: service.id, method_type: 'wallet' };

    const first = await placeOrder(customer, body, { 'idempotency-key': 'order-1' });
    const again = await placeOrder(customer, body, { 'idempotency-key': 'order-1' });
    const other = await placeOrder(customer, { ...body, method_type: 'apple_pay' }, { 'idempotency-key': 'order-1' });

    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.data.id).toBe(first.body.data.id);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await balance(customer)).toBe(10_000 - 1_150);
  });
});

describe('GET /api/v1/orders', () => {
  it('lists only the customer\'s own orders and 404s another customer\'s order', async () => {
    const service = await newService(provider, 500);
    const alice = await fundedCustomer(5_000);
    const bob = await fundedCustomer(5_000);
    const placed = await placeOrder(alice, { service_id: service.id, method_type: 'wallet' });

    const list = await call('GET', '/api/v1/orders?per_page=10', { token: alice.token });
    expect(list.status).toBe(200);
    expect(list.body.data).toMatchObject({ has_more: false, next_cursor: null, items: [{ id: placed.body.data.id, total: 575 }] });
    expect(list.body.data.items).toHaveLength(1);
    expect((await call('GET', `/api/v1/orders/${placed.body.data.id}`, { token: alice.token })).status).toBe(200);
    expect((await call('GET', `/api/v1/orders/${placed.body.data.id}`, { token: bob.token })).body.code).toBe('NOT_FOUND');
    expect((await call('GET', '/api/v1/orders', { token: bob.token })).body.data).toEqual({ items: [], has_more: false, next_cursor: null });
  });
});
