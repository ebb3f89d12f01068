import { router } from '../router.js';
import { createRoute, z } from '@hono/zod-openapi';
import type { Sql } from '../../db/client.js';
import { findOrder, listOrders } from '../../db/orders.js';
import { ORDER_STATUSES } from '../../domain/vocabularies.js';
import { DomainError } from '../../domain/errors.js';
import type { Metrics } from '../../observability/metrics.js';
import { PAYMENT_METHODS } from '../../domain/payment.js';
import { allow } from '../auth.js';
import { positionAfter, timeCursor } from '../cursor.js';
import { listOf, ok } from '../envelope.js';
import { placeOrder, type PlaceOrderDeps } from '../../services/ordering.js';
import { orderJson } from '../presenters.js';
import { listSchema, OrderSchema, success } from '../schemas.js';
import { enumField, IdempotencyHeader, idField, listQuery, pageSize, uuidParam } from '../validation.js';

const MAX_UPGRADES = 20;

/** The seed's body, also under its other spellings (`payment_method`, `upgrade_ids`). */
const OrderBody = z.preprocess(
  (body) => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
    const b = body as Record<string, unknown>;
    return { ...b, method_type: b.method_type ?? b.payment_method, upgrades_ids: b.upgrades_ids ?? b.upgrade_ids };
  },
  z.object({
    service_id: idField('service_id'),
    method_type: enumField('method_type', PAYMENT_METHODS),
    upgrades_ids: z.array(idField('upgrades_ids'), { error: 'The upgrades ids field must be an array.' })
      .max(MAX_UPGRADES, { error: `The upgrades ids field must not have more than ${MAX_UPGRADES} items.` })
      .optional(),
  }),
).openapi('OrderRequest', { example: { service_id: 1, method_type: 'wallet', upgrades_ids: [1, 2] } });

export function orderRoutes(deps: PlaceOrderDeps & { sql: Sql; metrics: Metrics }) {
  const app = router();
  app.use('*', allow('customer'));

  app.openapi(
    createRoute({
      method: 'post', path: '/', summary: 'Place and pay for an order',
      request: { headers: IdempotencyHeader, body: { required: true, content: { 'application/json': { schema: OrderBody } } } },
      responses: { 201: success('Order created successfully: the order with its delivery', OrderSchema) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const key = c.req.valid('header')['idempotency-key'];
      const order = await placeOrder(deps, c.get('user').id, {
        serviceId: body.service_id, methodType: body.method_type, upgradeIds: body.upgrades_ids ?? [],
      }, key, (workflowId) => c.set('workflowId', workflowId)).catch((err: unknown) => {
        if (err instanceof DomainError) deps.metrics.ordersRefused.inc({ code: err.code });
        throw err;
      });
      deps.metrics.ordersPlaced.inc();
      return ok(c, 'Order created successfully', orderJson(order), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/', summary: 'List your orders',
      request: { query: listQuery.extend({ status: enumField('status', ORDER_STATUSES).optional() }) },
      responses: { 200: success('Orders, newest first, one page', listSchema(OrderSchema)) },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const page = await listOrders(deps.sql, c.get('user').id, {
        limit: pageSize(query), status: query.status, after: positionAfter(query.cursor, 'orders', query.status),
      });
      return ok(c, 'Orders', listOf(page.items.map(orderJson), timeCursor('orders', query.status, page.next)));
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/{id}', summary: 'One of your orders',
      request: { params: uuidParam },
      responses: { 200: success('The order with its delivery', OrderSchema) },
    }),
    async (c) => {
      const order = await findOrder(deps.sql, c.req.valid('param').id, c.get('user').id);
      if (!order) throw new DomainError('NOT_FOUND', 'Order not found.');
      return ok(c, 'Order', orderJson(order));
    },
  );
  return app;
}
