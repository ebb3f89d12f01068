import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { placeOrderAndReadDelivery } from '../../clients/typescript/example.js';
import { CLIENT_TYPES_PATH, clientTypes } from '../../src/cli/generate-client.js';
import { customerAndService } from '../support/api.js';

describe('the typed client for integrators (clients/typescript)', () => {
  it('is generated from today\'s OpenAPI document: run `npm run client:generate` when this fails', async () => {
    expect(await readFile(CLIENT_TYPES_PATH, 'utf8')).toBe(await clientTypes());
  });

  it('places an order and reads its delivery with the generated types (the example compiles under npm run typecheck)', async () => {
    const { service, customer } = await customerAndService(10_000, 20_000);
    const { order, delivery } = await placeOrderAndReadDelivery(inject('apiUrl'), customer.token, service.id, randomUUID());
    expect(order).toMatchObject({ status: 'COMPLETED', subtotal: 10_000, tax: 1_500, total: 11_500, currency: 'SAR' });
    expect(delivery).toMatchObject({ id: order.delivery!.id, order_id: order.id, status: 'NEW', total: 11_500 });
  });
});
