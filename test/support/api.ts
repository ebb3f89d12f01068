import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { answerChecker, type OpenApiDoc } from './openapi-check.js';

export interface ApiResponse<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  status: number;
  headers: Headers;
  body: { success: boolean; message: string; code?: string; data: T; errors?: Record<string, string[]> };
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** A raw body sent as is (for malformed JSON and the like). */
  raw?: string;
  headers?: Record<string, string>;
}

/** One HTTP call to the running API, answering the status and the parsed envelope. */
export async function call<T = any>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${inject('apiUrl')}${path}`, { method, headers, body });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : undefined;
  (await specCheck())(method, path, response.status, parsed);
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Checks an answer got some other way (an app of the test's own, `app.request`) against the spec. */
export async function checkAnswer(method: string, path: string, status: number, body: unknown): Promise<void> {
  (await specCheck())(method, path, status, body);
}

let checker: Promise<ReturnType<typeof answerChecker>> | undefined;
/** The running API's own OpenAPI document, read once per test file: every answer is checked against it. */
function specCheck() {
  checker ??= fetch(`${inject('apiUrl')}/openapi.json`).then(async (res) => answerChecker(await res.json() as OpenApiDoc));
  return checker;
}

export const admin = () => inject('adminToken');

export interface TestUser { id: number; token: string }

export async function newUser(role: 'customer' | 'provider' | 'admin', name = `${role} ${randomUUID().slice(0, 8)}`): Promise<TestUser> {
  const res = await call('POST', '/api/v1/admin/users', { token: admin(), body: { name, role } });
  if (res.status !== 201) throw new Error(`creating a ${role} failed: ${JSON.stringify(res.body)}`);
  return { id: res.body.data.user.id, token: res.body.data.token };
}

export interface TestService { id: number; providerId: number; upgradeIds: number[] }

export async function newService(
  provider: TestUser,
  price: number,
  upgrades: { price: number; status?: 'ACTIVE' | 'INACTIVE' }[] = [],
  status: 'ACTIVE' | 'INACTIVE' = 'ACTIVE',
): Promise<TestService> {
  const res = await call('POST', '/api/v1/admin/services', {
    token: admin(),
    body: {
      provider_id: provider.id, name: `Service ${randomUUID().slice(0, 8)}`, price, status,
      upgrades: upgrades.map((u, i) => ({ name: `Upgrade ${i + 1}`, price: u.price, status: u.status ?? 'ACTIVE' })),
    },
  });
  if (res.status !== 201) throw new Error(`creating a service failed: ${JSON.stringify(res.body)}`);
  return { id: res.body.data.id, providerId: provider.id, upgradeIds: res.body.data.upgrades.map((u: { id: number }) => u.id) };
}

export async function deposit(user: TestUser, amount: number, key: string = randomUUID()): Promise<ApiResponse> {
  return call('POST', `/api/v1/admin/wallets/${user.id}/deposit`, { token: admin(), body: { amount }, headers: { 'idempotency-key': key } });
}

export async function balance(user: TestUser): Promise<number> {
  const res = await call('GET', '/api/v1/wallet', { token: user.token });
  return res.body.data.balance;
}

export async function systemWallets(): Promise<Record<'general-system' | 'tax' | 'profit' | 'external', number>> {
  return (await call('GET', '/api/v1/admin/system-wallets', { token: admin() })).body.data;
}

export async function reconciliation(): Promise<{ ok: boolean; checks: { name: string; ok: boolean; detail: string }[] }> {
  return (await call('GET', '/api/v1/admin/reconciliation', { token: admin() })).body.data;
}

export function placeOrder(customer: TestUser, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return call('POST', '/api/v1/orders', { token: customer.token, body, headers });
}

/** A fresh provider with one service at `price`, and a customer holding `funds`. */
export async function customerAndService(price: number, funds: number): Promise<{ provider: TestUser; service: TestService; customer: TestUser }> {
  const provider = await newUser('provider');
  const service = await newService(provider, price);
  const customer = await newUser('customer');
  await deposit(customer, funds);
  return { provider, service, customer };
}
