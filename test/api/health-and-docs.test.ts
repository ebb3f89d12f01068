import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { call } from '../support/api.js';

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
