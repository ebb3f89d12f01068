import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { describe, expect, expectTypeOf, inject, it } from 'vitest';
import { placeOrderAndReadDelivery } from '../../clients/typescript/example.js';
import type { paths } from '../../clients/typescript/schema.js';
import { CLIENT_TYPES_PATH, clientTypes, componentClashes, routesOnlyApp } from '../../src/cli/generate-client.js';
import { customerAndService } from '../support/api.js';

type Deposit = paths['/api/v1/admin/wallets/{id}/deposit']['post'];

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

  it('types the deposit\'s request body apart from its answer (checked by npm run typecheck)', () => {
    // Both were once the component `Deposit`, so the body was typed as the answer.
    expectTypeOf<Deposit['requestBody']['content']['application/json']>().toEqualTypeOf<{ amount: number }>();
    expectTypeOf<Deposit['responses'][201]['content']['application/json']['data']>()
      .toEqualTypeOf<{ id: number; user_id: number; amount: number; currency: string; replayed: boolean }>();
  });
});

describe('OpenAPI component names', () => {
  it('are each registered by zod schemas of one shape only', () => {
    expect(componentClashes(routesOnlyApp().openAPIRegistry.definitions)).toEqual({});
  });

  it('(the check finds two shapes under one name, however deep)', () => {
    const probe = new OpenAPIHono();
    const body = z.object({ amount: z.number() }).openapi('Same');
    const answer = z.object({ data: z.array(z.object({ id: z.number() }).openapi('Same')) });
    probe.openapi(createRoute({
      method: 'post', path: '/same',
      request: { body: { content: { 'application/json': { schema: body } } } },
      responses: { 201: { description: 'ok', content: { 'application/json': { schema: answer } } } },
    }), (c) => c.json({ data: [] }, 201));
    expect(Object.keys(componentClashes(probe.openAPIRegistry.definitions))).toEqual(['Same']);
  });
});
