/**
 * A typed client for integrators: openapi-fetch with the types `npm run client:generate` writes
 * (`schema.d.ts`). Places an order with an Idempotency-Key and reads its delivery; every path,
 * body and answer below is checked by the compiler against the API's OpenAPI document.
 */
import createClient from 'openapi-fetch';
import type { paths } from './schema.js';

export async function placeOrderAndReadDelivery(baseUrl: string, token: string, serviceId: number, idempotencyKey: string) {
  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

  const placed = await api.POST('/api/v1/orders', {
    params: { header: { 'idempotency-key': idempotencyKey } },
    body: { service_id: serviceId, method_type: 'wallet', upgrades_ids: [] },
  });
  if (!placed.data) throw new Error(`the order was refused: ${placed.error?.code} ${placed.error?.message}`);
  const order = placed.data.data; // total, currency, delivery… typed from the spec

  const delivery = await api.GET('/api/v1/deliveries/{id}', { params: { path: { id: order.delivery!.id } } });
  if (!delivery.data) throw new Error(`the delivery could not be read: ${delivery.error?.code}`);
  return { order, delivery: delivery.data.data };
}
