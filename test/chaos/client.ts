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
  /** The body as sent (at most 1000 characters), to print with a server error. */
  body?: string;
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
      // A body that is not JSON (a proxy's or a crashed server's page) is still an answer with a status.
      let parsed: { code?: string; data: T; message?: string } | undefined;
      try { parsed = text ? JSON.parse(text) as typeof parsed : undefined; } catch { parsed = undefined; }
      return {
        status: res.status, ...(parsed?.code ? { code: parsed.code } : {}), data: parsed?.data as T,
        ...(parsed?.message ? { message: parsed.message } : {}), ...(text ? { body: text.slice(0, 1000) } : {}),
      };
    } catch (err) {
      return { status: 0, code: `TRANSPORT: ${String(err)}`, data: undefined as T };
    }
  }

  admin<T = any>(method: string, path: string, body?: unknown, key?: string): Promise<Reply<T>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return this.call<T>(method, `/api/v1${path}`, { token: this.adminToken, ...(body === undefined ? {} : { body }), ...(key ? { key } : {}) });
  }
}

/**
 * The answers that leave an outcome unknown when a fault is near: no answer (status 0, the
 * connection cut or refused), a gateway's 502 or 504, and 503, which the API answers (UNAVAILABLE,
 * with Retry-After) while PostgreSQL or Temporal is away (src/api/errors.ts isUnavailable). Any other
 * 5xx, a 500 INTERNAL above all, is a server error whatever happened around it.
 */
export const UNKNOWN_OUTCOME_STATUSES: ReadonlySet<number> = new Set([0, 502, 503, 504]);

/** Why an answer left its outcome unknown, as the run's report counts retries: "no answer", "503 UNAVAILABLE". */
export const unknownReason = (r: Reply): string => (r.status === 0 ? 'no answer' : `${r.status} ${r.code ?? ''}`.trim());

/** The answer as the run prints a failure: status, code, message, and for a 5xx the body. */
export const describeReply = (r: Reply): string =>
  `${r.status} ${r.code ?? ''} ${r.message ?? ''}`.replace(/\s+/g, ' ').trim() + (r.status >= 500 && r.body ? `; body: ${r.body}` : '');
