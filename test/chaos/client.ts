/**
 * HTTP to the chaos system's API. test/support/api.ts reads vitest's injected URL; the chaos run
 * also runs outside vitest (npm run chaos), so it carries its own base URL. A call cut off by a fault
 * answers status 0 instead of throwing: the run decides what an unknown outcome means.
 */
export interface Reply<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  status: number;
  code?: string;
  data: T;
  message?: string;
}

export class ApiClient {
  constructor(readonly baseUrl: string, readonly adminToken: string) {}

  async call<T = any>(method: string, path: string, options: { token?: string; body?: unknown; key?: string; timeoutMs?: number } = {}): Promise<Reply<T>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.key) headers['idempotency-key'] = options.key;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await fetch(`${this.baseUrl}${path}`, {
        method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      });
      const text = await res.text();
      const parsed = text ? JSON.parse(text) as { code?: string; data: T; message?: string } : undefined;
      return { status: res.status, ...(parsed?.code ? { code: parsed.code } : {}), data: parsed?.data as T, ...(parsed?.message ? { message: parsed.message } : {}) };
    } catch (err) {
      return { status: 0, code: `TRANSPORT: ${String(err)}`, data: undefined as T };
    }
  }

  admin<T = any>(method: string, path: string, body?: unknown, key?: string): Promise<Reply<T>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return this.call<T>(method, `/api/v1${path}`, { token: this.adminToken, ...(body === undefined ? {} : { body }), ...(key ? { key } : {}) });
  }
}

/** A 5xx or a cut connection: the request may or may not have taken effect. */
export const isUnknown = (r: Reply): boolean => r.status === 0 || r.status >= 500;
