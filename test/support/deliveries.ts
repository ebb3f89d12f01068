import { expect } from 'vitest';
import type { DeliveryAction } from '../../src/domain/delivery.js';
import { call, deposit, newService, newUser, placeOrder, type ApiResponse, type TestUser } from './api.js';

export interface PaidDelivery {
  customer: TestUser;
  provider: TestUser;
  orderId: string;
  deliveryId: string;
  total: number;
}

/** A fresh provider, service and customer, and a paid order whose delivery is NEW. */
export async function paidDelivery(price = 10_000, upgradePrices: number[] = []): Promise<PaidDelivery> {
  const provider = await newUser('provider');
  const service = await newService(provider, price, upgradePrices.map((p) => ({ price: p })));
  const customer = await newUser('customer');
  await deposit(customer, 1_000_000);
  const res = await placeOrder(customer, { service_id: service.id, method_type: 'wallet', upgrades_ids: service.upgradeIds });
  expect(res.status).toBe(201);
  return { customer, provider, orderId: res.body.data.id, deliveryId: res.body.data.delivery.id, total: res.body.data.total };
}

export function drive(user: TestUser, deliveryId: string, action: DeliveryAction, options: { reason?: string; key?: string } = {}): Promise<ApiResponse> {
  return call('POST', `/api/v1/deliveries/${deliveryId}/${action}`, {
    token: user.token,
    ...(options.reason ? { body: { reason: options.reason } } : {}),
    ...(options.key ? { headers: { 'idempotency-key': options.key } } : {}),
  });
}

/** Drives a delivery with the right party for each step and expects each to succeed. */
export async function driveAll(d: PaidDelivery, steps: DeliveryAction[]): Promise<void> {
  for (const action of steps) {
    const by = action === 'start' || action === 'submit' ? d.provider : d.customer;
    const res = await drive(by, d.deliveryId, action);
    expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBe(200);
  }
}
