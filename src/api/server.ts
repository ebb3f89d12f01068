/**
 * `npm run api`: the HTTP role alone, against DATABASE_URL and TEMPORAL_ADDRESS. Stateless: run as
 * many behind a load balancer as the traffic needs.
 */
import { loadConfig } from '../config.js';
import { createSql } from '../db/client.js';
import { ensureSystemWallets } from '../db/ledger.js';
import { migrate } from '../db/migrate.js';
import { ensureBootstrapAdmin } from '../db/users.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../observability/metrics.js';
import { connectClient } from '../temporal/connection.js';
import { createApp } from './app.js';
import { closeServer, listen } from './listen.js';

const config = loadConfig();
const log = createLogger(config.logLevel, 'api', config.logFormat);
if (!config.database.url || !config.temporal.address) {
  log.error('npm run api needs DATABASE_URL and TEMPORAL_ADDRESS; `npm start` runs everything locally instead');
  process.exit(2);
}

const sql = createSql(config.database.url, { max: config.database.poolSize });
await migrate(sql);
await ensureSystemWallets(sql, config.money.currency);
if (config.adminToken) await ensureBootstrapAdmin(sql, config.adminToken, config.money.currency);
else log.warn('ADMIN_TOKEN is unset: this API bootstraps no admin (existing admins\' tokens still work)');
const temporal = await connectClient(config.temporal, config.temporal.address);
const app = createApp({ sql, temporal, taskQueue: config.temporal.taskQueue, currency: config.money.currency, ordersMaxInFlight: config.ordersMaxInFlight, delivery: config.delivery, log, metrics: createMetrics() });
const server = await listen(app.fetch, config.port);
log.info(`API listening on :${config.port}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void closeServer(server)
      .then(() => Promise.all([temporal.connection.close(), sql.end({ timeout: 5 })]))
      .finally(() => process.exit(0));
  });
}
