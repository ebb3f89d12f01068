import { router } from '../router.js';
import { createRoute } from '@hono/zod-openapi';
import type { Sql } from '../../db/client.js';
import { balanceOf, userTransfers } from '../../db/ledger.js';
import { allow } from '../auth.js';
import { ok, pageOf } from '../envelope.js';
import { pageQuery } from '../validation.js';
import { pageSchema, success, TransactionSchema, WalletSchema } from '../schemas.js';

export function walletRoutes(deps: { sql: Sql; currency: string }) {
  const app = router();
  app.use('*', allow('customer', 'provider'));

  app.openapi(
    createRoute({ method: 'get', path: '/', summary: 'Your balance', responses: { 200: success('The wallet', WalletSchema) } }),
    async (c) => ok(c, 'Wallet', { balance: await balanceOf(deps.sql, { userId: c.get('user').id }), currency: deps.currency }),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/transactions', summary: 'Your transfers, newest first',
      request: { query: pageQuery }, responses: { 200: success('Transfers, signed from your side', pageSchema(TransactionSchema)) },
    }),
    async (c) => {
      const page = c.req.valid('query');
      const { items, total } = await userTransfers(deps.sql, c.get('user').id, page.page, page.per_page);
      return ok(c, 'Transactions', pageOf(items.map((t) => ({ ...t, currency: deps.currency })), page, total));
    },
  );
  return app;
}
