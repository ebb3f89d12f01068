import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, inject, it } from 'vitest';

/** SYSTEM.md §6, every endpoint, in OpenAPI's path syntax. */
const SECTION_6 = [
  'post /api/v1/orders', 'get /api/v1/orders', 'get /api/v1/orders/{id}', 'get /api/v1/services',
  'get /api/v1/wallet', 'get /api/v1/wallet/transactions', 'get /api/v1/deliveries', 'get /api/v1/deliveries/{id}',
  'post /api/v1/deliveries/{id}/start', 'post /api/v1/deliveries/{id}/submit', 'post /api/v1/deliveries/{id}/approve',
  'post /api/v1/deliveries/{id}/request-revision', 'post /api/v1/deliveries/{id}/cancel',
  'post /api/v1/admin/users', 'post /api/v1/admin/users/{id}/tokens', 'delete /api/v1/admin/tokens/{id}',
  'post /api/v1/admin/services', 'patch /api/v1/admin/services/{id}', 'post /api/v1/admin/wallets/{id}/deposit',
  'get /api/v1/admin/system-wallets', 'get /api/v1/admin/reconciliation', 'get /health', 'get /ready',
];

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: { content: Record<string, { schema: unknown }> } }>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }>; schemas: Record<string, { properties?: Record<string, { enum?: string[] }> }> };
}

async function document(): Promise<Doc> {
  return (await fetch(`${inject('apiUrl')}/openapi.json`)).json() as Promise<Doc>;
}

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = await document();
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('lists every endpoint of SYSTEM.md section 6', async () => {
    const doc = await document();
    const listed = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    expect(listed).toEqual(expect.arrayContaining(SECTION_6));
  });

  it('declares the bearer scheme and the error envelope with every code', async () => {
    const doc = await document();
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.schemas.Error?.properties?.code?.enum).toEqual(expect.arrayContaining(['INSUFFICIENT_BALANCE', 'INVALID_TRANSITION', 'IDEMPOTENCY_KEY_REUSED']));
    const order = doc.paths['/api/v1/orders']!.post!;
    expect(Object.keys(order.responses)).toEqual(expect.arrayContaining(['201', '401', '403', '422', '503']));
    expect(Object.keys(doc.paths['/api/v1/deliveries/{id}/approve']!.post!.responses)).toContain('409');
    expect(JSON.stringify(order.requestBody)).toContain('#/components/schemas/OrderRequest');
    expect(doc.components.schemas.OrderRequest).toMatchObject({ example: { service_id: 1, method_type: 'wallet' } });
  });
});
