import { router } from '../router.js';
import { createRoute } from '@hono/zod-openapi';
import type { Sql } from '../../db/client.js';
import { findDelivery } from '../../db/deliveries.js';
import { DomainError } from '../../domain/errors.js';
import { allow } from '../auth.js';
import { ok } from '../envelope.js';
import { deliveryJson } from '../presenters.js';
import { uuidParam } from '../validation.js';

export function deliveryRoutes(deps: { sql: Sql }) {
  const app = router();
  app.use('*', allow('customer', 'provider', 'admin'));

  app.openapi(
    createRoute({
      method: 'get', path: '/{id}', summary: 'One delivery with its status history',
      request: { params: uuidParam },
      responses: { 200: { description: 'The delivery' } },
    }),
    async (c) => {
      const user = c.get('user');
      // Another user's delivery is indistinguishable from a missing one (404), so ids leak nothing.
      const delivery = await findDelivery(deps.sql, c.req.valid('param').id, user.role === 'admin' ? undefined : { userId: user.id });
      if (!delivery) throw new DomainError('NOT_FOUND', 'Delivery not found.');
      return ok(c, 'Delivery', deliveryJson(delivery));
    },
  );
  return app;
}
