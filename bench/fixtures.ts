import type { LoadRequest } from './load.js';
import type { BenchOptions } from './options.js';

export interface BenchUser { id: number; token: string }
export interface BenchService { id: number; providerId: number; price: number; upgradeIds: number[] }
export interface Fixtures {
  customers: BenchUser[];
  providers: BenchUser[];
  services: BenchService[];
  /** Bearer token by user id, to drive a delivery as its provider or its customer. */
  tokenOf: Map<number, string>;
  /** The most an order can cost (the dearest service with both upgrades, tax included). */
  maxOrderTotal: number;
}

const UPGRADES = [{ name: 'Express', price: 2500 }, { name: 'Source files', price: 1500 }];

interface Answer { status: number; body: { data: Record<string, unknown> } }

async function call(baseUrl: string, token: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${baseUrl}/api/v1${path}`, {
    method, body: JSON.stringify(body),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
  });
  const answer = { status: res.status, body: await res.json() as Answer['body'] };
  if (res.status !== 201) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(answer.body)}`);
  return answer;
}

/** Runs `fn` over `items`, `width` at a time: quick, without flooding the API during setup. */
async function inBatches<T, R>(items: T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) {
    results.push(...await Promise.all(items.slice(i, i + width).map((item, j) => fn(item, i + j))));
  }
  return results;
}

/**
 * Users, services and money, all through the HTTP API with the admin token, as an operator would.
 * Every customer gets enough to pay for every order the run could ever send on its behalf, so no
 * order is refused for want of money.
 */
export async function createFixtures(baseUrl: string, adminToken: string, opts: BenchOptions): Promise<Fixtures> {
  const admin = (method: string, path: string, body: unknown, headers?: Record<string, string>) => call(baseUrl, adminToken, method, path, body, headers);
  const newUser = async (role: 'customer' | 'provider', i: number): Promise<BenchUser> => {
    const { body } = await admin('POST', '/admin/users', { name: `bench ${role} ${i + 1}`, role });
    return { id: (body.data.user as { id: number }).id, token: body.data.token as string };
  };

  const providers = await inBatches([...Array(opts.providers).keys()], 8, (_, i) => newUser('provider', i));
  const services = await inBatches(providers.flatMap((p) => Array.from({ length: opts.servicesPerProvider }, () => p)), 8, async (p, i) => {
    const price = 10_000 + 500 * i;
    const { body } = await admin('POST', '/admin/services', { provider_id: p.id, name: `Bench service ${i + 1}`, price, upgrades: UPGRADES });
    return { id: body.data.id as number, providerId: p.id, price, upgradeIds: (body.data.upgrades as { id: number }[]).map((u) => u.id) };
  });
  const customers = await inBatches([...Array(opts.customers).keys()], 8, (_, i) => newUser('customer', i));

  const maxOrderTotal = Math.ceil((Math.max(...services.map((s) => s.price)) + UPGRADES.reduce((a, u) => a + u.price, 0)) * 1.15) + 1;
  const tokenOf = new Map([...providers, ...customers].map((u) => [u.id, u.token]));
  const fixtures = { customers, providers, services, tokenOf, maxOrderTotal };
  // The product's and the baseline's fixed-count phases; the rate-based ones are paid for by
  // fund() once their rates are known.
  await fund(baseUrl, adminToken, fixtures, 2 * (opts.sequential + opts.warmup + opts.orders), 'bench');
  return fixtures;
}

/**
 * Deposits, for every customer, enough for `orders` more orders spread round-robin over the
 * customers (twice over, so no order is ever refused for want of money). `key` makes the deposit's
 * Idempotency-Key unique per call.
 */
export async function fund(baseUrl: string, adminToken: string, f: Fixtures, orders: number, key: string): Promise<void> {
  const perCustomer = 2 * f.maxOrderTotal * (Math.ceil(orders / f.customers.length) + 1);
  await inBatches(f.customers, 8, (c) => call(baseUrl, adminToken, 'POST', `/admin/wallets/${c.id}/deposit`, { amount: perCustomer }, { 'idempotency-key': `${key}-${c.id}` }));
}

/**
 * `count` order requests spread round-robin over the customers and services; a third each with
 * no upgrade, one, or both, so validation and pricing see every shape. `offset` keeps successive
 * phases from starting on the same customer.
 */
export function orderRequests(f: Fixtures, count: number, offset: number): LoadRequest[] {
  return Array.from({ length: count }, (_, k) => {
    const i = offset + k;
    const service = f.services[i % f.services.length]!;
    const customer = f.customers[i % f.customers.length]!;
    return {
      method: 'POST', path: '/api/v1/orders', token: customer.token,
      body: { service_id: service.id, method_type: 'wallet', upgrades_ids: service.upgradeIds.slice(0, i % 3) },
    };
  });
}
