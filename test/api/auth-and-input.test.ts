import { beforeAll, describe, expect, it } from 'vitest';
import { admin, call, newService, newUser, placeOrder, type TestService, type TestUser } from '../support/api.js';

let customer: TestUser;
let provider: TestUser;
let service: TestService;

beforeAll(async () => {
  customer = await newUser('customer');
  provider = await newUser('provider');
  service = await newService(provider, 1_000);
});

describe('authentication and roles', () => {
  it('answers a request without a token with 401 Unauthenticated.', async () => {
    const res = await call('POST', '/api/v1/orders', { body: { service_id: service.id, method_type: 'wallet' } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ success: false, message: 'Unauthenticated.', code: 'UNAUTHENTICATED', data: null });
  });

  it('answers an unknown token with 401', async () => {
    const res = await call('GET', '/api/v1/orders', { token: 'mk_not-a-real-token' });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHENTICATED');
  });

  it('answers a revoked token with 401', async () => {
    const issued = await call('POST', `/api/v1/admin/users/${customer.id}/tokens`, { token: admin() });
    expect((await call('GET', '/api/v1/orders', { token: issued.body.data.token })).status).toBe(200);
    await call('DELETE', `/api/v1/admin/tokens/${issued.body.data.id}`, { token: admin() });
    expect((await call('GET', '/api/v1/orders', { token: issued.body.data.token })).status).toBe(401);
  });

  it('answers a provider placing an order with 403 This action is unauthorized.', async () => {
    const res = await placeOrder(provider, { service_id: service.id, method_type: 'wallet' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'FORBIDDEN', message: 'This action is unauthorized.' });
  });

  it('keeps admin endpoints from customers', async () => {
    const res = await call('GET', '/api/v1/admin/system-wallets', { token: customer.token });
    expect(res.status).toBe(403);
  });
});

describe('malformed input', () => {
  it('answers a body that is not JSON with 400 MALFORMED_JSON', async () => {
    const res = await call('POST', '/api/v1/orders', { token: customer.token, raw: '{"service_id": 1,', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, code: 'MALFORMED_JSON' });
  });

  it('answers wrong types with 422 and an error per field', async () => {
    const res = await placeOrder(customer, { service_id: 'seven', method_type: 'cash', upgrades_ids: 'all' });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors).toEqual({
      service_id: ['The service id field must be an integer.'],
      method_type: ['The selected method type is invalid.'],
      upgrades_ids: ['The upgrades ids field must be an array.'],
    });
  });

  it('answers missing fields with "field is required" messages', async () => {
    const res = await placeOrder(customer, {});
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual({
      service_id: ['The service id field is required.'],
      method_type: ['The method type field is required.'],
    });
  });

  it('answers an unknown route with 404 in the envelope', async () => {
    const res = await call('GET', '/api/v1/nothing-here', { token: customer.token });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });
});
