/**
 * `npm run api`: the HTTP role alone, against DATABASE_URL and TEMPORAL_ADDRESS. Stateless: run as
 * many behind a load balancer as the traffic needs.
 */
import { loadConfigOrExit } from './src/config.js';
import { createSql } from './src/db/client.js';
import { createLogger } from './src/logger.js';
import { createMetrics } from './src/observability/metrics.js';
import { createApiRole, prepareDatabase } from './src/roles.js';
import { connectClient } from './src/temporal/connection.js';
import { closeServer, listen } from './src/api/listen.js';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'api', config.logFormat);
if (!config.database.url || !config.temporal.address) {
  log.error('npm run api needs DATABASE_URL and TEMPORAL_ADDRESS; `npm start` runs everything locally instead');
  process.exit(2);
}

const sql = createSql(config.database.url, { max: config.database.poolSize });
await prepareDatabase(sql, config, config.adminToken);
if (!config.adminToken) log.warn('ADMIN_TOKEN is unset: this API bootstraps no admin (existing admins\' tokens still work)');
const temporal = await connectClient(config.temporal, config.temporal.address);
const app = createApiRole(config, { sql, temporal, log, metrics: createMetrics() });
const server = await listen(app.fetch, config.port);
log.info(`API listening on :${config.port}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void closeServer(server)
      .then(() => Promise.all([temporal.connection.close(), sql.end({ timeout: 5 })]))
      .finally(() => process.exit(0));
  });
}
