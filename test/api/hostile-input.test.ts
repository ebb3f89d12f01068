import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { admin, call, deposit, newService, newUser, placeOrder, reconciliation, type TestService, type TestUser } from '../support/api.js';
import { testSql } from '../support/db.js';

let sql: Sql;
let customer: TestUser;
let other: TestUser;
let provider: TestUser;
let service: TestService;
let othersOrderId: string;
let othersDeliveryId: string;
let revokedToken: string;

beforeAll(async () => {
  sql = testSql();
  provider = await newUser('provider');
  service = await newService(provider, 1_000, [{ price: 100 }]);
  customer = await newUser('customer');
  other = await newUser('customer');
  await deposit(customer, 100_000);
  await deposit(other, 100_000);
  const placed = await placeOrder(other, { service_id: service.id, method_type: 'wallet' });
  othersOrderId = placed.body.data.id;
  othersDeliveryId = placed.body.data.delivery.id;
  const issued = await call('POST', `/api/v1/admin/users/${customer.id}/tokens`, { token: admin() });
  revokedToken = issued.body.data.token;
  await call('DELETE', `/api/v1/admin/tokens/${issued.body.data.id}`, { token: admin() });
});
afterAll(async () => { await sql.end(); });

/** What must not move when a request is refused: every balance and the number of transfers. */
async function ledger() {
  const wallets = await sql`SELECT id, balance FROM wallets ORDER BY id`;
  const [count] = await sql`SELECT count(*)::int AS n FROM transfers`;
  const [orders] = await sql`SELECT count(*)::int AS n FROM orders`;
  return { wallets, transfers: count!.n, orders: orders!.n };
}

interface Case { name: string; method: string; path: () => string; token?: () => string | undefined; body?: unknown; raw?: string; headers?: Record<string, string>; status: number; code: string }

const order = (body: unknown, extra: Partial<Case> = {}): Omit<Case, 'name'> =>
  ({ method: 'POST', path: () => '/api/v1/orders', token: () => customer.token, body, status: 422, code: 'VALIDATION_FAILED', ...extra });
const valid = () => ({ service_id: service.id, method_type: 'wallet' });

const CASES: Case[] = [
  { name: 'body that is not JSON', ...order(undefined, { raw: '{"service_id":', headers: { 'content-type': 'application/json' }, status: 400, code: 'MALFORMED_JSON' }) },
  { name: 'JSON with a trailing comma', ...order(undefined, { raw: '{"service_id": 1,}', headers: { 'content-type': 'application/json' }, status: 400, code: 'MALFORMED_JSON' }) },
  { name: 'wrong content type', ...order(undefined, { raw: 'service_id=1', headers: { 'content-type': 'text/plain' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }) },
  { name: 'form-encoded body', ...order(undefined, { raw: 'service_id=1&method_type=wallet', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }) },
  { name: 'empty body', ...order(undefined, { raw: '', headers: { 'content-type': 'application/json' }, status: 400, code: 'MALFORMED_JSON' }) },
  { name: 'JSON array body', ...order([1, 2]) },
  { name: 'JSON string body', ...order('order please') },
  { name: 'JSON null body', ...order(null) },
  { name: 'service_id as a string', ...order(() => ({ ...valid(), service_id: '1' })) },
  { name: 'service_id negative', ...order(() => ({ ...valid(), service_id: -1 })) },
  { name: 'service_id zero', ...order(() => ({ ...valid(), service_id: 0 })) },
  { name: 'service_id fractional', ...order(() => ({ ...valid(), service_id: 1.5 })) },
  { name: 'service_id huge', ...order(() => ({ ...valid(), service_id: 1e30 })) },
  { name: 'service_id beyond the int range', ...order(() => ({ ...valid(), service_id: 2_147_483_648 })) },
  { name: 'service_id boolean', ...order(() => ({ ...valid(), service_id: true })) },
  { name: 'service_id object', ...order(() => ({ ...valid(), service_id: { $gt: 0 } })) },
  { name: 'method_type unknown', ...order(() => ({ ...valid(), method_type: 'cash' })) },
  { name: 'method_type number', ...order(() => ({ ...valid(), method_type: 1 })) },
  { name: 'upgrades_ids not an array', ...order(() => ({ ...valid(), upgrades_ids: 5 })) },
  { name: 'upgrades_ids with strings', ...order(() => ({ ...valid(), upgrades_ids: ['a'] })) },
  { name: 'upgrades_ids with negatives', ...order(() => ({ ...valid(), upgrades_ids: [-3] })) },
  { name: 'upgrades_ids oversized', ...order(() => ({ ...valid(), upgrades_ids: Array.from({ length: 21 }, (_, i) => i + 1) })) },
  { name: 'upgrades_ids duplicated', ...order(() => ({ ...valid(), upgrades_ids: [service.upgradeIds[0], service.upgradeIds[0]] }), { status: 422, code: 'INVALID_UPGRADES' }) },
  { name: 'body over 64 KiB', ...order(undefined, { raw: JSON.stringify({ ...{ service_id: 1, method_type: 'wallet' }, pad: 'x'.repeat(70_000) }), headers: { 'content-type': 'application/json' }, status: 413, code: 'PAYLOAD_TOO_LARGE' }) },
  { name: 'headers over 8 KiB', ...order({ service_id: 1, method_type: 'wallet' }, { headers: { 'x-padding': 'y'.repeat(10_000) }, status: 431, code: 'HEADERS_TOO_LARGE' }) },
  { name: 'Idempotency-Key over 255 characters', ...order({ service_id: 1, method_type: 'wallet' }, { headers: { 'idempotency-key': 'k'.repeat(256) } }) },
  { name: 'no token', ...order({ service_id: 1, method_type: 'wallet' }, { token: () => undefined, status: 401, code: 'UNAUTHENTICATED' }) },
  { name: 'unknown token', ...order({ service_id: 1, method_type: 'wallet' }, { token: () => 'mk_unknown', status: 401, code: 'UNAUTHENTICATED' }) },
  { name: 'revoked token', ...order({ service_id: 1, method_type: 'wallet' }, { token: () => revokedToken, status: 401, code: 'UNAUTHENTICATED' }) },
  { name: 'malformed Authorization header', ...order({ service_id: 1, method_type: 'wallet' }, { token: () => undefined, headers: { authorization: 'Basic dXNlcjpwYXNz' }, status: 401, code: 'UNAUTHENTICATED' }) },
  { name: 'provider placing an order', ...order({ service_id: 1, method_type: 'wallet' }, { token: () => provider.token, status: 403, code: 'FORBIDDEN' }) },
  { name: 'another customer\'s order', method: 'GET', path: () => `/api/v1/orders/${othersOrderId}`, token: () => customer.token, status: 404, code: 'NOT_FOUND' },
  { name: 'order id that is not a UUID', method: 'GET', path: () => '/api/v1/orders/12', token: () => customer.token, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'another customer\'s delivery', method: 'GET', path: () => `/api/v1/deliveries/${othersDeliveryId}`, token: () => customer.token, status: 404, code: 'NOT_FOUND' },
  { name: 'cancel of another customer\'s delivery', method: 'POST', path: () => `/api/v1/deliveries/${othersDeliveryId}/cancel`, token: () => customer.token, status: 404, code: 'NOT_FOUND' },
  { name: 'delivery id with SQL in it', method: 'GET', path: () => `/api/v1/deliveries/${encodeURIComponent("1' OR '1'='1")}`, token: () => customer.token, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'transition reason too long', method: 'POST', path: () => `/api/v1/deliveries/${othersDeliveryId}/start`, token: () => provider.token, body: { reason: 'r'.repeat(1001) }, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'page zero', method: 'GET', path: () => '/api/v1/orders?page=0', token: () => customer.token, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'per_page too large', method: 'GET', path: () => '/api/v1/orders?per_page=1000', token: () => customer.token, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'page not a number', method: 'GET', path: () => '/api/v1/wallet/transactions?page=abc', token: () => customer.token, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'page past the first (lists are paged by cursor)', method: 'GET', path: () => '/api/v1/orders?page=2', token: () => customer.token, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'limit zero', method: 'GET', path: () => '/api/v1/deliveries?limit=0', token: () => customer.token, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'cursor that is not base64url JSON', method: 'GET', path: () => '/api/v1/orders?cursor=%7B%22l%22%3A%22orders%22%7D', token: () => customer.token, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'cursor naming SQL', method: 'GET', path: () => `/api/v1/deliveries?cursor=${Buffer.from(JSON.stringify({ l: 'deliveries', s: null, t: "2026-01-01T00:00:00.000000Z'; DROP TABLE orders; --", i: '00000000-0000-0000-0000-000000000000' })).toString('base64url')}`, token: () => customer.token, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'deposit of zero', method: 'POST', path: () => `/api/v1/admin/wallets/${customer.id}/deposit`, token: admin, body: { amount: 0 }, headers: { 'idempotency-key': 'h-zero' }, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'deposit of a negative amount', method: 'POST', path: () => `/api/v1/admin/wallets/${customer.id}/deposit`, token: admin, body: { amount: -500 }, headers: { 'idempotency-key': 'h-neg' }, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'deposit of a fraction', method: 'POST', path: () => `/api/v1/admin/wallets/${customer.id}/deposit`, token: admin, body: { amount: 0.01 }, headers: { 'idempotency-key': 'h-frac' }, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'deposit beyond the maximum', method: 'POST', path: () => `/api/v1/admin/wallets/${customer.id}/deposit`, token: admin, body: { amount: 9_007_199_254_740_993 }, headers: { 'idempotency-key': 'h-huge' }, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'deposit without an Idempotency-Key', method: 'POST', path: () => `/api/v1/admin/wallets/${customer.id}/deposit`, token: admin, body: { amount: 100 }, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'deposit to an unknown user', method: 'POST', path: () => '/api/v1/admin/wallets/2147483000/deposit', token: admin, body: { amount: 100 }, headers: { 'idempotency-key': 'h-nouser' }, status: 404, code: 'NOT_FOUND' },
  { name: 'deposit to a user id that is not an id', method: 'POST', path: () => '/api/v1/admin/wallets/abc/deposit', token: admin, body: { amount: 100 }, headers: { 'idempotency-key': 'h-abc' }, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'deposit by a customer', method: 'POST', path: () => `/api/v1/admin/wallets/${customer.id}/deposit`, token: () => customer.token, body: { amount: 100 }, headers: { 'idempotency-key': 'h-cust' }, status: 403, code: 'FORBIDDEN' },
  { name: 'user with an unknown role', method: 'POST', path: () => '/api/v1/admin/users', token: admin, body: { name: 'x', role: 'root' }, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'user with an empty name', method: 'POST', path: () => '/api/v1/admin/users', token: admin, body: { name: '   ', role: 'customer' }, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'user with a 1000-character name', method: 'POST', path: () => '/api/v1/admin/users', token: admin, body: { name: 'n'.repeat(1000), role: 'customer' }, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'service with a negative price', method: 'POST', path: () => '/api/v1/admin/services', token: admin, body: { provider_id: 1, name: 's', price: -1 }, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'service for a customer as provider', method: 'POST', path: () => '/api/v1/admin/services', token: admin, body: () => ({ provider_id: customer.id, name: 's', price: 100 }), status: 422, code: 'VALIDATION_FAILED' },
  { name: 'service patch with nothing to change', method: 'PATCH', path: () => `/api/v1/admin/services/${service.id}`, token: admin, body: {}, status: 422, code: 'VALIDATION_FAILED' },
  { name: 'revoking an unknown token', method: 'DELETE', path: () => '/api/v1/admin/tokens/2147483000', token: admin, status: 404, code: 'NOT_FOUND' },
  { name: 'unknown route', method: 'GET', path: () => '/api/v1/payments', token: () => customer.token, status: 404, code: 'NOT_FOUND' },
  { name: 'unknown method on a known path', method: 'PUT', path: () => '/api/v1/orders', token: () => customer.token, body: valid, status: 404, code: 'NOT_FOUND' },
  { name: 'path traversal', method: 'GET', path: () => '/api/v1/../../etc/passwd', token: () => customer.token, status: 404, code: 'NOT_FOUND' },
];

describe('hostile input', () => {
  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('answers $name with $status $code in the envelope, moving nothing', async (c) => {
    const before = await ledger();
    // Bodies that name the fixtures are built lazily: the fixtures exist only after beforeAll.
    const body = typeof c.body === 'function' ? (c.body as () => unknown)() : c.body;
    const res = await call(c.method, c.path(), { token: c.token?.(), body, raw: c.raw, headers: c.headers });
    expect(res.status).toBe(c.status);
    expect(res.body).toMatchObject({ success: false, code: c.code, data: null });
    expect(typeof res.body.message).toBe('string');
    expect(JSON.stringify(res.body)).not.toMatch(/\bat \S+ \(|node_modules|postgres:\/\/|SELECT .* FROM|syntax error/);
    expect(await ledger()).toEqual(before);
  });

  it('never answers a generated order body with a 5xx, and moves money only for a valid order', async () => {
    const json = fc.oneof(fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 25 }));
    const body = fc.record({
      service_id: fc.oneof(json, fc.constant(service.id), fc.integer({ min: -5, max: 2_147_483_647 })),
      method_type: fc.oneof(json, fc.constantFrom('wallet', 'credit_card', 'apple_pay', 'WALLET')),
      upgrades_ids: fc.oneof(json, fc.array(fc.oneof(fc.constant(service.upgradeIds[0]), fc.integer()), { maxLength: 22 })),
    }, { requiredKeys: [] });
    await fc.assert(fc.asyncProperty(body, async (b) => {
      const res = await call('POST', '/api/v1/orders', { token: customer.token, body: b });
      expect(res.status).toBeLessThan(500);
      expect(res.body.success).toBe(res.status === 201);
      if (res.status !== 201) expect(res.body.code).toMatch(/^[A-Z_]+$/);
    }), { numRuns: 60 });
    expect((await reconciliation()).ok).toBe(true);
  }, 120_000);
});
