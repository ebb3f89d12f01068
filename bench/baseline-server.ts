/**
 * The baseline API as its own process (like `npm run api`), started by bench/system.ts against
 * DATABASE_URL with the same pool size as the product's API.
 */
import { serve } from '@hono/node-server';
import { loadConfigOrExit } from '../src/config.js';
import { createSql } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { createBaselineApp } from './baseline-app.js';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'baseline');
if (!config.database.url) {
  log.error('the baseline needs DATABASE_URL');
  process.exit(2);
}
const sql = createSql(config.database.url, { max: config.database.poolSize });
const app = createBaselineApp({
  sql, currency: config.money.currency, log,
  rates: { taxRateBp: config.money.taxRateBp, platformFeeBp: config.money.platformFeeBp },
});
const server = serve({ fetch: app.fetch, port: config.port, hostname: '127.0.0.1' }, () => log.info(`baseline listening on :${config.port}`));

process.once('SIGTERM', () => {
  server.close(() => void sql.end({ timeout: 5 }).finally(() => process.exit(0)));
});
