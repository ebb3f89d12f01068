import { describe, expect, it } from 'vitest';
import { call, customerAndService, deposit, newUser, placeOrder, type TestUser } from '../support/api.js';
import { drive } from '../support/deliveries.js';

/** SYSTEM.md §6 lists: `{items, has_more, next_cursor}`, `limit` (alias `per_page`) and an opaque `cursor`. */
interface ListData<T> { items: T[]; has_more: boolean; next_cursor: string | null }

async function page<T = { id: string }>(user: TestUser, path: string): Promise<ListData<T>> {
  const res = await call('GET', path, { token: user.token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data as ListData<T>;
}

/** Every page of a list, following next_cursor to the end; `between` runs after each page but the last. */
async function allPages<T = { id: string }>(user: TestUser, path: string, between: () => Promise<void> = async () => {}): Promise<ListData<T>[]> {
  const pages = [await page<T>(user, path)];
  while (pages.at(-1)!.next_cursor !== null) {
    expect(pages.at(-1)!.has_more).toBe(true);
    await between();
    pages.push(await page<T>(user, `${path}${path.includes('?') ? '&' : '?'}cursor=${pages.at(-1)!.next_cursor}`));
  }
  expect(pages.at(-1)!.has_more).toBe(false);
  return pages;
}

const ids = (pages: ListData<{ id: string | number }>[]) => pages.flatMap((p) => p.items.map((i) => i.id));

async function placeOrders(customer: TestUser, serviceId: number, n: number): Promise<{ orderId: string; deliveryId: string }[]> {
  const placed: { orderId: string; deliveryId: string }[] = [];
  for (let i = 0; i < n; i += 1) {
    const res = await placeOrder(customer, { service_id: serviceId, method_type: 'wallet' });
    expect(res.status).toBe(201);
    placed.push({ orderId: res.body.data.id, deliveryId: res.body.data.delivery.id });
  }
  return placed;
}

describe('cursor pages', () => {
  it('walks a customer\'s orders newest first, each once, and an order placed meanwhile neither shifts nor repeats them', async () => {
    const { service, customer } = await customerAndService(100, 100_000);
    const placed = await placeOrders(customer, service.id, 7);
    let newcomer: string | undefined;
    const pages = await allPages(customer, '/api/v1/orders?limit=3', async () => {
      newcomer ??= (await placeOrders(customer, service.id, 1))[0]!.orderId;
    });
    expect(pages.map((p) => p.items.length)).toEqual([3, 3, 1]);
    expect(ids(pages)).toEqual(placed.map((p) => p.orderId).reverse());
    // The newcomer is newer than every position the walk passed: a new walk sees it first.
    expect((await page(customer, '/api/v1/orders?limit=1')).items[0]!.id).toBe(newcomer);
  });

  it('walks a provider\'s deliveries of one status: the filter composes with the cursor, which stays bound to it', async () => {
    const { provider, service, customer } = await customerAndService(100, 100_000);
    const placed = await placeOrders(customer, service.id, 5);
    const cancelled = [placed[0]!, placed[2]!, placed[3]!];
    for (const p of cancelled) expect((await drive(provider, p.deliveryId, 'cancel')).status).toBe(200);

    const pages = await allPages(provider, '/api/v1/deliveries?status=CANCELLED&limit=2');
    expect(ids(pages)).toEqual(cancelled.map((p) => p.deliveryId).reverse());
    expect(ids(await allPages(provider, '/api/v1/deliveries?limit=2'))).toEqual(placed.map((p) => p.deliveryId).reverse());

    const cursor = pages[0]!.next_cursor!;
    for (const path of [`/api/v1/deliveries?cursor=${cursor}`, `/api/v1/deliveries?status=NEW&cursor=${cursor}`, `/api/v1/orders?status=REFUNDED&cursor=${cursor}`]) {
      const res = await call('GET', path, { token: customer.token });
      expect(res.status, path).toBe(422);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors).toHaveProperty('cursor');
    }
  });

  it('walks a wallet\'s transactions newest first with per_page, and a deposit made meanwhile neither shifts nor repeats them', async () => {
    const customer = await newUser('customer');
    const made: number[] = [];
    for (let i = 1; i <= 7; i += 1) made.push((await deposit(customer, i * 100)).body.data.id);
    let newcomer: number | undefined;
    const pages = await allPages<{ id: number; amount: number }>(customer, '/api/v1/wallet/transactions?per_page=3', async () => {
      newcomer ??= (await deposit(customer, 5)).body.data.id;
    });
    expect(pages.map((p) => p.items.length)).toEqual([3, 3, 1]);
    expect(ids(pages)).toEqual([...made].reverse());
    expect(pages.flatMap((p) => p.items.map((t) => t.amount))).toEqual([700, 600, 500, 400, 300, 200, 100]);
    expect((await page<{ id: number }>(customer, '/api/v1/wallet/transactions?limit=1')).items[0]!.id).toBe(newcomer);
  });

  it('shows only the caller\'s own rows for a cursor another user made', async () => {
    const { service, customer: bob } = await customerAndService(100, 100_000);
    const bobs = await placeOrders(bob, service.id, 2);
    const alice = (await customerAndService(100, 100_000)).customer;
    await placeOrders(alice, service.id, 3);
    const alicesCursor = (await page(alice, '/api/v1/orders?limit=1')).next_cursor!;

    const seen = await page<{ id: string; customer_id: number }>(bob, `/api/v1/orders?cursor=${alicesCursor}`);
    expect(seen.items.every((o) => o.customer_id === bob.id)).toBe(true);
    expect(seen.items.map((o) => o.id)).toEqual(bobs.map((p) => p.orderId).reverse());
  });

  it('answers limit and per_page from 1 to 100 and page 1; beyond them, 422 on the field', async () => {
    const customer = await newUser('customer');
    for (const path of ['/api/v1/orders?limit=1', '/api/v1/orders?limit=100', '/api/v1/deliveries?per_page=100', '/api/v1/orders?page=1&limit=5']) {
      expect((await call('GET', path, { token: customer.token })).status, path).toBe(200);
    }
    const refused: [string, string][] = [
      ['/api/v1/orders?limit=0', 'limit'], ['/api/v1/orders?limit=101', 'limit'], ['/api/v1/orders?limit=-1', 'limit'],
      ['/api/v1/deliveries?limit=2.5', 'limit'], ['/api/v1/deliveries?limit=ten', 'limit'], ['/api/v1/wallet/transactions?per_page=101', 'per_page'],
      ['/api/v1/wallet/transactions?page=2', 'page'], ['/api/v1/orders?page=3&limit=5', 'page'],
    ];
    for (const [path, field] of refused) {
      const res = await call('GET', path, { token: customer.token });
      expect(res.status, path).toBe(422);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(Object.keys(res.body.errors ?? {}), path).toEqual([field]);
    }
  });

  it('refuses a malformed or tampered cursor with 422 VALIDATION_FAILED on cursor', async () => {
    const { service, customer } = await customerAndService(100, 100_000);
    await placeOrders(customer, service.id, 2);
    const good = (await page(customer, '/api/v1/orders?limit=1')).next_cursor!;
    const decoded = JSON.parse(Buffer.from(good, 'base64url').toString()) as Record<string, unknown>;
    const forge = (cursor: unknown) => Buffer.from(JSON.stringify(cursor)).toString('base64url');
    const bad = [
      'not a cursor', '!!!!', `${good}=`, Buffer.from('{"l":').toString('base64url'), forge('orders'), forge(null), forge([decoded]),
      forge({ ...decoded, t: '2026-02-30T10:00:00.000000Z' }), forge({ ...decoded, t: '2026-01-01T10:00:00.000Z' }),
      forge({ ...decoded, t: 1_767_261_600_000 }), forge({ ...decoded, i: 'x' }), forge({ ...decoded, i: 7 }),
      forge({ ...decoded, s: 'LOST' }), forge({ ...decoded, extra: 1 }), forge({ l: 'transactions', i: -1 }),
      forge({ l: 'transactions', i: 1.5 }), 'a'.repeat(401),
    ];
    for (const cursor of bad) {
      const res = await call('GET', `/api/v1/orders?cursor=${encodeURIComponent(cursor)}`, { token: customer.token });
      expect(res.status, cursor).toBe(422);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors).toHaveProperty('cursor');
    }
    const transactions = await call('GET', `/api/v1/wallet/transactions?cursor=${good}`, { token: customer.token });
    expect(transactions.status).toBe(422);
    expect(transactions.body.errors).toHaveProperty('cursor');
  });
});
