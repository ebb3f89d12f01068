import { router } from '../router.js';
import { createRoute } from '@hono/zod-openapi';
import type { Sql } from '../../db/client.js';
import { balanceOf, userTransfers } from '../../db/ledger.js';
import { allow } from '../auth.js';
import { idAfter, transactionsCursor } from '../cursor.js';
import { listOf, ok } from '../envelope.js';
import { listQuery, pageSize } from '../validation.js';
import { listSchema, success, TransactionSchema, WalletSchema } from '../schemas.js';

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
      request: { query: listQuery }, responses: { 200: success('Transfers, signed from your side, one page', listSchema(TransactionSchema)) },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const page = await userTransfers(deps.sql, c.get('user').id, { limit: pageSize(query), afterId: idAfter(query.cursor) });
      return ok(c, 'Transactions', listOf(page.items.map((t) => ({ ...t, currency: deps.currency })), transactionsCursor(page.next)));
    },
  );
  return app;
}
