import { describe, expect, inject, it } from 'vitest';
import { answerChecker, type OpenApiDoc } from '../support/openapi-check.js';
import { customerAndService, placeOrder } from '../support/api.js';

/** Every call of the API suite is checked against /openapi.json (test/support/api.ts); this proves the check bites. */
describe('answers checked against the OpenAPI document', () => {
  it('catches a deliberately wrong answer shape, an undocumented status, and passes a real answer', async () => {
    const doc = await (await fetch(`${inject('apiUrl')}/openapi.json`)).json() as OpenApiDoc;
    const check = answerChecker(doc);
    const { service, customer } = await customerAndService(1_000, 10_000);
    const placed = await placeOrder(customer, { service_id: service.id, method_type: 'wallet' });
    expect(placed.status).toBe(201);
    const order = placed.body.data;

    expect(() => check('POST', '/api/v1/orders', 201, placed.body)).not.toThrow();
    const { total: _total, ...withoutTotal } = order;
    expect(() => check('POST', '/api/v1/orders', 201, { ...placed.body, data: withoutTotal })).toThrow(/total/);
    expect(() => check('GET', `/api/v1/orders/${order.id}`, 200, { ...placed.body, data: { ...order, total: '1150' } })).toThrow(/does not match/);
    expect(() => check('GET', `/api/v1/orders/${order.id}`, 200, { ...placed.body, data: { ...order, delivery: { id: order.delivery.id, status: 'LOST' } } })).toThrow();
    expect(() => check('GET', '/api/v1/orders', 200, { success: true, message: 'Orders', data: [order] })).toThrow();
    expect(() => check('GET', '/api/v1/wallet', 418, { success: false })).toThrow(/does not document/);
    expect(() => check('POST', '/api/v1/orders', 422, { success: false, message: 'x', code: 'NOT_A_CODE', data: null })).toThrow();
  });
});

describe('every /api/v1 operation documents its success answer', () => {
  const FIXED: Record<string, string[]> = {
    Order: ['id', 'status', 'customer_id', 'provider_id', 'service_id', 'method_type', 'upgrades', 'subtotal', 'tax', 'total', 'currency', 'paid_at', 'created_at', 'delivery'],
    Delivery: ['id', 'order_id', 'status', 'customer_id', 'provider_id', 'service_id', 'service_name', 'total', 'currency', 'history'],
    Service: ['id', 'provider_id', 'name', 'price', 'status', 'upgrades'],
    CreatedUser: ['user', 'token'],
    IssuedToken: ['id', 'token'],
    Wallet: ['balance', 'currency'],
    SystemWallets: ['general-system', 'tax', 'profit', 'external', 'currency'],
    Reconciliation: ['ok', 'checks'],
  };

  it('has a 2xx schema in the envelope for each operation, and the shapes SYSTEM.md section 6 fixes', async () => {
    const doc = await (await fetch(`${inject('apiUrl')}/openapi.json`)).json() as OpenApiDoc & { components: { schemas: Record<string, { required?: string[] }> } };
    const missing: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/v1')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        const ok = Object.entries(operation.responses ?? {}).find(([status]) => status.startsWith('2'));
        const schema = ok?.[1].content?.['application/json']?.schema as { properties?: Record<string, unknown>; required?: string[] } | undefined;
        if (!schema?.properties?.data || !schema.required?.includes('data')) missing.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(missing).toEqual([]);
    for (const [name, fields] of Object.entries(FIXED)) {
      expect(doc.components.schemas[name]?.required, name).toEqual(expect.arrayContaining(fields));
    }
  });
});
