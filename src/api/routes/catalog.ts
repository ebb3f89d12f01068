import { router } from '../router.js';
import { createRoute, z } from '@hono/zod-openapi';
import { activeServices } from '../../db/catalog.js';
import type { Sql } from '../../db/client.js';
import { ok } from '../envelope.js';
import { serviceJson } from '../presenters.js';
import { ServiceSchema, success } from '../schemas.js';

export function catalogRoutes(deps: { sql: Sql }) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get', path: '/', summary: 'Active services with their active upgrades',
      responses: { 200: success('The catalog', z.array(ServiceSchema)) },
    }),
    async (c) => ok(c, 'Services', (await activeServices(deps.sql)).map(serviceJson)),
  );
  return app;
}
