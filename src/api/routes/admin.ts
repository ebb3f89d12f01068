import { router } from '../router.js';
import { createRoute, z } from '@hono/zod-openapi';
import { createService, findService, updateService } from '../../db/catalog.js';
import type { Sql } from '../../db/client.js';
import { IdempotencyConflictError, systemBalances, transfer } from '../../db/ledger.js';
import { RECONCILIATION_MODES } from '../../db/reconciliation.js';
import { createUser, findUser, issueToken, revokeToken } from '../../db/users.js';
import { CATALOG_STATUSES, ROLES } from '../../domain/vocabularies.js';
import { DomainError } from '../../domain/errors.js';
import { depositKey } from '../../domain/keys.js';
import { reconcileAll, resumeDelivery, type RepairDeps } from '../../services/repairing.js';
import { allow } from '../auth.js';
import { ok } from '../envelope.js';
import { deliveryJson, serviceJson } from '../presenters.js';
import {
  CreatedUserSchema, DeliverySchema, DepositSchema, IssuedTokenSchema, ReconciliationSchema, ServiceSchema, success, SystemWalletsSchema,
} from '../schemas.js';
import { amountField, enumField, idField, idParam, textField, uuidParam } from '../validation.js';

const MAX_SERVICE_UPGRADES = 50;

const NewUser = z.object({ name: textField('name'), role: enumField('role', ROLES) }).openapi('NewUser', { example: { name: 'Nora Designs', role: 'provider' } });
const NewService = z.object({
  provider_id: idField('provider_id'),
  name: textField('name'),
  price: amountField('price', 1),
  status: enumField('status', CATALOG_STATUSES).default('ACTIVE'),
  upgrades: z.array(z.object({
    name: textField('name'), price: amountField('price'), status: enumField('status', CATALOG_STATUSES).default('ACTIVE'),
  })).max(MAX_SERVICE_UPGRADES).default([]),
}).openapi('NewService', {
  example: { provider_id: 2, name: 'Logo design', price: 10000, status: 'ACTIVE', upgrades: [{ name: 'Express', price: 2500, status: 'ACTIVE' }] },
});
const ServiceChange = z.object({ status: enumField('status', CATALOG_STATUSES).optional(), price: amountField('price', 1).optional() })
  .refine((b) => b.status !== undefined || b.price !== undefined, { error: 'Give a status or a price to change.' })
  .openapi('ServiceChange', { example: { status: 'INACTIVE' } });
// Not 'Deposit': that component is the answer (DepositSchema); one name for both typed the client's body as the answer.
const DepositRequest = z.object({ amount: amountField('amount', 1) }).openapi('DepositRequest', { example: { amount: 20000 } });
const DepositHeaders = z.object({
  'idempotency-key': z.string({ error: 'The Idempotency-Key header is required.' }).min(1).max(255),
});

const ReconciliationQuery = z.object({
  full: enumField('full', ['true', 'false']).optional().openapi({
    description: 'true: re-read the whole ledger instead of building on the checkpoint (slower; run it daily)', example: 'true',
  }),
});
const ReconciliationReport = ReconciliationSchema.extend({
  mode: z.enum(RECONCILIATION_MODES).openapi({ description: 'How the ledger was checked: incremental from the checkpoint, or full (also the first run, with no checkpoint yet)' }),
}).openapi('ReconciliationReport');

const json = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });

export function adminRoutes(deps: RepairDeps & { sql: Sql; currency: string }) {
  const { sql, currency } = deps;
  const app = router();
  app.use('*', allow('admin'));

  app.openapi(
    createRoute({ method: 'post', path: '/users', summary: 'Create a user and its first token', request: { body: json(NewUser) }, responses: { 201: success('The user and a token, shown once', CreatedUserSchema) } }),
    async (c) => {
      const body = c.req.valid('json');
      const user = await createUser(sql, { ...body, currency });
      const { token } = await issueToken(sql, user.id);
      return ok(c, 'User created successfully', { user, token }, 201);
    },
  );

  app.openapi(
    createRoute({ method: 'post', path: '/users/{id}/tokens', summary: 'Issue another token', request: { params: idParam }, responses: { 201: success('The token, shown once', IssuedTokenSchema) } }),
    async (c) => {
      const user = await findUser(sql, c.req.valid('param').id);
      if (!user) throw new DomainError('NOT_FOUND', 'User not found.');
      return ok(c, 'Token issued', await issueToken(sql, user.id), 201);
    },
  );

  app.openapi(
    createRoute({ method: 'delete', path: '/tokens/{id}', summary: 'Revoke a token', request: { params: idParam }, responses: { 200: success('Revoked', z.null()) } }),
    async (c) => {
      if (!(await revokeToken(sql, c.req.valid('param').id))) throw new DomainError('NOT_FOUND', 'Token not found.');
      return ok(c, 'Token revoked', null);
    },
  );

  app.openapi(
    createRoute({ method: 'post', path: '/services', summary: 'Create a service with its upgrades', request: { body: json(NewService) }, responses: { 201: success('The service', ServiceSchema) } }),
    async (c) => {
      const body = c.req.valid('json');
      const provider = await findUser(sql, body.provider_id);
      if (provider?.role !== 'provider') {
        throw new DomainError('VALIDATION_FAILED', 'The selected provider id is invalid.', { provider_id: ['The selected provider id is invalid.'] });
      }
      const service = await createService(sql, { providerId: body.provider_id, name: body.name, price: body.price, status: body.status, upgrades: body.upgrades });
      return ok(c, 'Service created successfully', serviceJson(service), 201);
    },
  );

  app.openapi(
    createRoute({ method: 'patch', path: '/services/{id}', summary: 'Change a service\'s status or price', request: { params: idParam, body: json(ServiceChange) }, responses: { 200: success('The service', ServiceSchema) } }),
    async (c) => {
      const id = c.req.valid('param').id;
      if (!(await updateService(sql, id, c.req.valid('json')))) throw new DomainError('NOT_FOUND', 'Service not found.');
      return ok(c, 'Service updated successfully', serviceJson((await findService(sql, id))!));
    },
  );

  app.openapi(
    createRoute({ method: 'post', path: '/wallets/{id}/deposit', summary: 'Top up a user\'s wallet from outside', request: { params: idParam, headers: DepositHeaders, body: json(DepositRequest) }, responses: { 201: success('The deposit', DepositSchema) } }),
    async (c) => {
      const userId = c.req.valid('param').id;
      if (!(await findUser(sql, userId))) throw new DomainError('NOT_FOUND', 'User not found.');
      const key = depositKey(userId, c.req.valid('header')['idempotency-key']);
      const result = await transfer(sql, { key, from: { system: 'external' }, to: { userId }, amount: c.req.valid('json').amount, kind: 'deposit' })
        .catch((err: unknown) => {
          if (err instanceof IdempotencyConflictError) throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'The idempotency key was already used for a different deposit.');
          throw err;
        });
      return ok(c, 'Deposit successful', { id: result.transfer.id, user_id: userId, amount: result.transfer.amount, currency, replayed: result.replayed }, 201);
    },
  );

  app.openapi(
    createRoute({ method: 'get', path: '/system-wallets', summary: 'Balances of the system wallets', responses: { 200: success('Balances', SystemWalletsSchema) } }),
    async (c) => ok(c, 'System wallets', { ...(await systemBalances(sql)), currency }),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/reconciliation', summary: 'Check every ledger invariant',
      description: 'By default from the last verified checkpoint: the cost follows the wallets, the open deliveries and what changed since, not the ledger\'s history. '
        + '`full=true` re-reads the whole ledger and also catches history rewritten below the checkpoint (docs/reconciliation.md).',
      request: { query: ReconciliationQuery }, responses: { 200: success('The checks', ReconciliationReport) },
    }),
    async (c) => ok(c, 'Reconciliation', await reconcileAll(deps, { mode: c.req.valid('query').full === 'true' ? 'full' : 'incremental' })),
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/deliveries/{id}/resume',
      summary: 'Resume an open delivery whose workflow was ended by hand (Terminate): a new run continues from the database',
      request: { params: uuidParam }, responses: { 200: success('The delivery, now tracked by a new DeliveryWorkflow run', DeliverySchema) },
    }),
    async (c) => ok(c, 'Delivery resumed', deliveryJson(await resumeDelivery(deps, c.req.valid('param').id))),
  );
  return app;
}
