import { describe, expect, inject, it } from 'vitest';
import { call, deposit, newService, newUser, placeOrder } from '../support/api.js';

describe('health, readiness and docs', () => {
  it('answers /health and /ready with both dependencies up', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
    const ready = await call('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.data).toEqual({ database: true, temporal: true });
  });

  it('publishes an OpenAPI 3.1 document listing the order endpoints', async () => {
    const res = await fetch(`${inject('apiUrl')}/openapi.json`);
    const doc = await res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths['/api/v1/orders'] ?? {})).toEqual(expect.arrayContaining(['get', 'post']));
    expect(doc.paths).toHaveProperty('/api/v1/admin/wallets/{id}/deposit');
  });

  it('serves the interactive docs page and its assets from the API itself', async () => {
    const page = await fetch(`${inject('apiUrl')}/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/docs/assets/swagger-ui-bundle.js');
    const asset = await fetch(`${inject('apiUrl')}/docs/assets/swagger-ui-bundle.js`);
    expect(asset.status).toBe(200);
    expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });
});

describe('/metrics', () => {
  it('shows HTTP series, order counters and the worker\'s temporal_ series after an order', async () => {
    const customer = await newUser('customer');
    await deposit(customer, 10_000);
    const service = await newService(await newUser('provider'), 1_000);
    expect((await placeOrder(customer, { service_id: service.id, method_type: 'wallet' })).status).toBe(201);
    expect((await placeOrder(customer, { service_id: service.id, method_type: 'apple_pay' })).status).toBe(422);

    const res = await fetch(`${inject('apiUrl')}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/^http_requests_total\{method="POST",route="\/api\/v1\/orders",status="201"\} \d+/m);
    expect(text).toMatch(/^http_request_duration_seconds_bucket\{.*route="\/api\/v1\/orders".*\} \d+/m);
    expect(text).toMatch(/^orders_placed_total [1-9]\d*/m);
    expect(text).toMatch(/^orders_refused_total\{code="PAYMENT_METHOD_UNAVAILABLE"\} [1-9]/m);
    expect(text).toMatch(/^temporal_\w+/m);
  });
});
