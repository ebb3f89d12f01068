import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { Sql } from '../../db/client.js';

/** Liveness answers while the process runs; readiness checks each dependency and names the missing ones. */
export function healthRoutes(deps: { sql: Sql; temporal: Client }) {
  const app = new OpenAPIHono();
  app.openapi(
    createRoute({ method: 'get', path: '/health', summary: 'Liveness', security: [], responses: { 200: { description: 'Alive' } } }),
    (c) => c.json({ success: true, message: 'OK', data: { status: 'ok' } }, 200),
  );
  app.openapi(
    createRoute({ method: 'get', path: '/ready', summary: 'Readiness: database and Temporal reachable', security: [], responses: { 200: { description: 'Ready' }, 503: { description: 'A dependency is missing' } } }),
    async (c) => {
      const [database, temporal] = await Promise.all([
        probe(() => deps.sql`SELECT 1`),
        probe(() => deps.temporal.workflowService.getSystemInfo({})),
      ]);
      const checks = { database, temporal };
      const missing = Object.entries(checks).filter(([, up]) => !up).map(([name]) => name);
      if (missing.length > 0) {
        c.header('Retry-After', '5');
        return c.json({ success: false, message: `Not ready: ${missing.join(', ')} unreachable`, code: 'UNAVAILABLE', data: checks }, 503);
      }
      return c.json({ success: true, message: 'Ready', data: checks }, 200);
    },
  );
  return app;
}

async function probe(check: () => Promise<unknown>): Promise<boolean> {
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), 2000).unref());
  return Promise.race([check().then(() => true, () => false), timeout]);
}
