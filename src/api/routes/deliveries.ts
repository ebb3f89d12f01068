import { createRoute, z } from '@hono/zod-openapi';
import type { Sql } from '../../db/client.js';
import { listDeliveries } from '../../db/deliveries.js';
import { DELIVERY_ACTIONS, DELIVERY_STATUSES, MOVES } from '../../domain/delivery.js';
import { allow } from '../auth.js';
import { driveDelivery, visibleDelivery, type DriveDeps } from '../../services/delivering.js';
import { positionAfter, timeCursor } from '../cursor.js';
import { listOf, ok } from '../envelope.js';
import { deliveryJson } from '../presenters.js';
import { DeliverySchema, listSchema, success } from '../schemas.js';
import { router } from '../router.js';
import { deliveryWorkflowId } from '../../contracts/delivery.js';
import { enumField, IdempotencyHeader, listQuery, pageSize, uuidParam } from '../validation.js';

const TransitionBody = z.object({
  reason: z.string({ error: 'The reason field must be a string.' }).trim().max(1000, { error: 'The reason field must not be greater than 1000 characters.' }).optional(),
}).openapi('TransitionRequest', { example: { reason: 'The logo needs a darker blue' } });

export function deliveryRoutes(deps: DriveDeps & { sql: Sql }) {
  const app = router();
  app.use('*', allow('customer', 'provider', 'admin'));

  app.openapi(
    createRoute({
      method: 'get', path: '/', summary: 'Your deliveries (customer: of your orders; provider: of your services)',
      request: { query: listQuery.extend({ status: enumField('status', DELIVERY_STATUSES).optional() }) },
      responses: { 200: success('Deliveries, newest first, one page', listSchema(DeliverySchema)) },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const user = c.get('user');
      const page = await listDeliveries(deps.sql, { userId: user.id, role: user.role }, {
        limit: pageSize(query), status: query.status, after: positionAfter(query.cursor, 'deliveries', query.status),
      });
      return ok(c, 'Deliveries', listOf(page.items.map(deliveryJson), timeCursor('deliveries', query.status, page.next)));
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/{id}', summary: 'One delivery with its status history',
      request: { params: uuidParam }, responses: { 200: success('The delivery with its status history', DeliverySchema) },
    }),
    async (c) => {
      return ok(c, 'Delivery', deliveryJson(await visibleDelivery(deps.sql, c.req.valid('param').id, c.get('user'))));
    },
  );

  for (const action of DELIVERY_ACTIONS) {
    const moves = MOVES.filter((m) => m.action === action).map((m) => `${m.from} → ${m.to} (${m.by.join(', ')})`).join('; ');
    app.openapi(
      createRoute({
        method: 'post', path: `/{id}/${action}`, summary: `${action}: ${moves}`,
        request: {
          params: uuidParam, headers: IdempotencyHeader,
          body: { required: false, content: { 'application/json': { schema: TransitionBody } } },
        },
        responses: { 200: success('The delivery after the transition', DeliverySchema) },
      }),
      async (c) => {
        const delivery = await driveDelivery(deps, c.req.valid('param').id, action, c.get('user'),
          c.req.valid('json').reason, c.req.valid('header')['idempotency-key']);
        c.set('workflowId', deliveryWorkflowId(delivery.orderId));
        return ok(c, `Delivery ${action === 'request-revision' ? 'sent back for revision' : `${action} done`}`, deliveryJson(delivery));
      },
    );
  }
  return app;
}
