import { randomUUID } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { allow, authenticate, type AuthEnv } from '../src/api/auth.js';
import { ok } from '../src/api/envelope.js';
import { errorBody, errorResponse, toDomainError } from '../src/api/errors.js';
import { orderJson } from '../src/api/presenters.js';
import { router } from '../src/api/router.js';
import { enumField, idField } from '../src/api/validation.js';
import { findService, upgradesByIds } from '../src/db/catalog.js';
import type { Sql, Tx } from '../src/db/client.js';
import { createDeliveryForOrder } from '../src/db/deliveries.js';
import { transferIn } from '../src/db/ledger.js';
import { findOrder } from '../src/db/orders.js';
import { DomainError } from '../src/domain/errors.js';
import { checkOrderRequest } from '../src/domain/order-validation.js';
import { PAYMENT_METHODS, type MethodType } from '../src/domain/payment.js';
import { priceOrder, type Rates } from '../src/domain/pricing.js';
import type { Logger } from '../src/logger.js';

/**
 * The seed's design, for comparison only: POST /api/v1/orders as ONE PostgreSQL transaction —
 * validate the service and upgrades, price, debit the wallet into escrow, insert the order, its
 * upgrades and its delivery — with no Temporal. It uses the product's own pieces (auth middleware,
 * validation fields, envelope, error mapping, ledger, repositories, pricing), so the difference
 * measured is the workflow, not the web stack. Not a product feature: it lives only in bench/.
 * (The body schema is copied rather than imported from src/api/routes/orders.ts, which would load
 * the Temporal client into this process and inflate its memory.)
 */
const MAX_UPGRADES = 20;
const OrderBody = z.object({
  service_id: idField('service_id'),
  method_type: enumField('method_type', PAYMENT_METHODS),
  upgrades_ids: z.array(idField('upgrades_ids')).max(MAX_UPGRADES).optional(),
});

export interface BaselineDeps { sql: Sql; currency: string; rates: Rates; log: Logger }

export function createBaselineApp(deps: BaselineDeps) {
  const app = new OpenAPIHono();
  app.use('*', requestId());
  app.use('*', bodyLimit({ maxSize: 64 * 1024, onError: () => { throw new DomainError('PAYLOAD_TOO_LARGE', 'The request body is too large.'); } }));
  app.get('/health', (c) => c.json({ success: true, message: 'OK', data: { status: 'ok' } }));

  const orders = router();
  orders.use('*', allow('customer'));
  orders.openapi(
    createRoute({
      method: 'post', path: '/', summary: 'Place and pay for an order (baseline)',
      request: { body: { required: true, content: { 'application/json': { schema: OrderBody } } } },
      responses: { 201: { description: 'Order created successfully' } },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const orderId = randomUUID();
      await deps.sql.begin((tx) => placeInOneTransaction(tx, deps, orderId, c.get('user').id, {
        serviceId: body.service_id, methodType: body.method_type, upgradeIds: body.upgrades_ids ?? [],
      }));
      // The product answers with the order read back after the workflow; so does the baseline.
      const order = await findOrder(deps.sql, orderId);
      return ok(c, 'Order created successfully', orderJson(order!), 201);
    },
  );

  const v1 = new OpenAPIHono<AuthEnv>();
  v1.use('*', authenticate(deps.sql));
  v1.route('/orders', orders);
  app.route('/api/v1', v1);

  app.notFound((c) => c.json(errorBody('NOT_FOUND', 'Not Found.'), 404));
  app.onError((err, c) => {
    const known = toDomainError(err);
    if (known) return errorResponse(c, known);
    deps.log.error('unhandled error', { err: String((err as Error).stack ?? err) });
    return c.json(errorBody('INTERNAL', 'Server Error'), 500);
  });
  return app;
}

async function placeInOneTransaction(
  tx: Tx, deps: BaselineDeps, orderId: string, customerId: number,
  request: { serviceId: number; methodType: MethodType; upgradeIds: number[] },
): Promise<void> {
  const service = await findService(tx, request.serviceId);
  const upgrades = await upgradesByIds(tx, request.upgradeIds);
  const checked = checkOrderRequest({ service, upgrades, upgradeIds: request.upgradeIds, methodType: request.methodType });
  const price = priceOrder({ servicePrice: checked.service.price, upgradePrices: checked.upgrades.map((u) => u.price), rates: deps.rates });

  // The same business key as the product's payment, so the ledger looks the same to reconciliation.
  await transferIn(tx, {
    key: `order:${orderId}:payment`, from: { userId: customerId }, to: { system: 'general-system' },
    amount: price.total, kind: 'order_payment', orderId,
  });
  await tx`
    INSERT INTO orders (id, customer_id, provider_id, service_id, service_name, service_price, method_type,
      status, subtotal, tax, total, currency, tax_rate_bp, platform_fee_bp, paid_at)
    VALUES (${orderId}, ${customerId}, ${checked.service.providerId}, ${checked.service.id}, ${checked.service.name},
      ${checked.service.price}, ${request.methodType}, 'COMPLETED', ${price.subtotal}, ${price.tax}, ${price.total},
      ${deps.currency}, ${deps.rates.taxRateBp}, ${deps.rates.platformFeeBp}, now())`;
  for (const upgrade of checked.upgrades) {
    await tx`INSERT INTO order_upgrades (order_id, upgrade_id, name, price)
      VALUES (${orderId}, ${upgrade.id}, ${upgrade.name}, ${upgrade.price})`;
  }
  await createDeliveryForOrder(tx, { deliveryId: randomUUID(), orderId });
}
