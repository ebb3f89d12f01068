import { OpenAPIHono } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { requestId } from 'hono/request-id';
import { routePath } from 'hono/route';
import type { Sql } from '../db/client.js';
import type { Logger } from '../logger.js';
import { metricsText, type Metrics } from '../observability/metrics.js';
import { DomainError } from '../domain/errors.js';
import { AdaptiveLimit, admission, type AdmissionSettings } from './admission.js';
import { authenticate, type AuthEnv } from './auth.js';
import { limitBody } from './body-limit.js';
import { ErrorEnvelope, withErrorResponses } from './openapi.js';
import { errorBody, errorResponse, toDomainError } from './errors.js';
import { adminRoutes } from './routes/admin.js';
import { catalogRoutes } from './routes/catalog.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { orderRoutes } from './routes/orders.js';
import { walletRoutes } from './routes/wallet.js';

export interface AppDeps {
  sql: Sql;
  temporal: Client;
  taskQueue: string;
  currency: string;
  log: Logger;
  metrics: Metrics;
  /** Deadlines for a resumed delivery whose order predates deadlines on orders. */
  delivery: { acceptTimeoutMs: number; reviewTimeoutMs: number };
  /** Admission control: how many orders this process works on at once before it sheds (503). */
  admission: AdmissionSettings;
  /** The worker's Temporal SDK metrics, appended to /metrics in the all-in-one process. */
  sdkMetricsUrl?: string;
}

export const MAX_BODY_BYTES = 64 * 1024;
/** A body over MAX_BODY_BYTES is read to its end (and thrown away) up to this, so its 413 arrives. */
const DISCARD_BODY_BYTES = 16 * 1024 * 1024;
const DISCARD_BODY_MS = 10_000;
const MAX_HEADER_BYTES = 8 * 1024;

/** The HTTP API; the caller owns the connections and the server (through src/roles.ts: api.ts, src/system.ts). */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AuthEnv>();
  app.use('*', requestId());
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    // One line and one sample per request: the route pattern (not the URL) keeps label sets small.
    const route = c.res.status === 404 && routePath(c, -1).endsWith('*') ? 'unmatched' : routePath(c, -1);
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    const seconds = (performance.now() - started) / 1000;
    deps.metrics.httpRequests.inc(labels);
    deps.metrics.httpDuration.observe(labels, seconds);
    deps.log.info(`${c.req.method} ${c.req.path} ${c.res.status} ${Math.round(seconds * 1000)} ms`, {
      requestId: c.get('requestId'), ...labels, ms: Math.round(seconds * 1000),
      userId: c.get('user')?.id, workflowId: c.get('workflowId'),
    });
  });
  app.use('*', async (c, next) => {
    let size = 0;
    c.req.raw.headers.forEach((value, name) => { size += name.length + value.length + 4; });
    if (size > MAX_HEADER_BYTES) throw new DomainError('HEADERS_TOO_LARGE', `The request headers must not exceed ${MAX_HEADER_BYTES} bytes.`);
    await next();
  });
  app.use('*', limitBody({ maxBytes: MAX_BODY_BYTES, discardBytes: DISCARD_BODY_BYTES, discardMs: DISCARD_BODY_MS }));

  app.route('/', healthRoutes(deps));
  app.route('/', docsRoutes());
  app.get('/metrics', async (c) => c.body(await metricsText(deps.metrics, deps.sdkMetricsUrl), 200, {
    'content-type': 'text/plain; version=0.0.4; charset=utf-8',
  }));

  const v1 = new OpenAPIHono<AuthEnv>();
  v1.on('POST', '/orders', admission(new AdaptiveLimit(deps.admission)));
  v1.use('*', authenticate(deps.sql));
  v1.route('/orders', orderRoutes(deps));
  v1.route('/deliveries', deliveryRoutes(deps));
  v1.route('/services', catalogRoutes(deps));
  v1.route('/wallet', walletRoutes(deps));
  v1.route('/admin', adminRoutes(deps));
  app.route('/api/v1', v1);

  app.openAPIRegistry.register('Error', ErrorEnvelope);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'An API token from POST /api/v1/admin/users' });
  app.get('/openapi.json', (c) => c.json(withErrorResponses(app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Marketplace orders', version: '1.0.0',
      description: 'Orders paid from a wallet into escrow, delivered and paid out on Temporal. Amounts are integers in minor units '
        + '(halalas for SAR). Every answer is the envelope {success, message, data}; errors add a stable `code`.',
    },
    security: [{ bearer: [] }],
  }))));

  app.notFound((c) => c.json(errorBody('NOT_FOUND', 'Not Found.'), 404));
  app.onError((err, c) => {
    const known = toDomainError(err);
    if (known?.code === 'UNAVAILABLE') deps.log.warn('a dependency is unavailable', { requestId: c.get('requestId'), err: String(err) });
    if (known) return errorResponse(c, known);
    deps.log.error('unhandled error', { requestId: c.get('requestId'), path: c.req.path, err: String((err as Error).stack ?? err), cause: String((err as Error).cause ?? '') });
    // The client sees only the request id, which finds this line in the logs.
    return c.json(errorBody('INTERNAL', 'Server Error'), 500);
  });
  return app;
}
