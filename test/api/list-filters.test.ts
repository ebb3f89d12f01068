import { describe, expect, it } from 'vitest';
import { call, customerAndService, placeOrder } from '../support/api.js';
import { drive } from '../support/deliveries.js';

describe('status filters on the lists', () => {
  it('gives a provider exactly its NEW deliveries and a customer exactly its REFUNDED orders; an unknown status is 422', async () => {
    const { provider, service, customer } = await customerAndService(1_000, 100_000);
    const placed: { orderId: string; deliveryId: string }[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await placeOrder(customer, { service_id: service.id, method_type: 'wallet' });
      placed.push({ orderId: res.body.data.id, deliveryId: res.body.data.delivery.id });
    }
    const [fresh1, fresh2, started, cancelled1, cancelled2] = placed as [typeof placed[0], typeof placed[0], typeof placed[0], typeof placed[0], typeof placed[0]];
    expect((await drive(provider, started.deliveryId, 'start')).status).toBe(200);
    expect((await drive(customer, cancelled1.deliveryId, 'cancel')).status).toBe(200);
    expect((await drive(provider, cancelled2.deliveryId, 'cancel')).status).toBe(200);

    const news = await call('GET', '/api/v1/deliveries?status=NEW', { token: provider.token });
    expect(news.status).toBe(200);
    expect(news.body.data.items.map((d: { id: string }) => d.id).sort()).toEqual([fresh1.deliveryId, fresh2.deliveryId].sort());
    expect(news.body.data.has_more).toBe(false);
    expect(news.body.data.items.every((d: { status: string }) => d.status === 'NEW')).toBe(true);

    const refunded = await call('GET', '/api/v1/orders?status=REFUNDED&per_page=1', { token: customer.token });
    expect(refunded.body.data.has_more).toBe(true);
    expect(refunded.body.data.items).toHaveLength(1);
    const all = await call('GET', '/api/v1/orders?status=REFUNDED', { token: customer.token });
    expect(all.body.data.items.map((o: { id: string }) => o.id).sort()).toEqual([cancelled1.orderId, cancelled2.orderId].sort());

    const lost = await call('GET', '/api/v1/deliveries?status=LOST', { token: provider.token });
    expect(lost.status).toBe(422);
    expect(lost.body.code).toBe('VALIDATION_FAILED');
    expect((await call('GET', '/api/v1/orders?status=LOST', { token: customer.token })).status).toBe(422);
  });
});
