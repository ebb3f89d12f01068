/**
 * `npm run reconcile [-- --full]`: checks every ledger invariant of SYSTEM.md §3 against the database
 * (from the last verified checkpoint, or with --full the whole ledger: docs/reconciliation.md), and
 * that every open delivery has a running DeliveryWorkflow; exits non-zero when one fails. Uses
 * DATABASE_URL and TEMPORAL_ADDRESS, else those of a running `npm start` (EMBEDDED_PG_PORT,
 * TEMPORAL_PORT).
 */
import { loadConfigOrExit } from '../config.js';
import { createSql } from '../db/client.js';
import { reconcileAll } from '../services/repairing.js';
import { devServerAddress } from '../runtime/dev-server.js';
import { embeddedDatabaseUrl } from '../runtime/embedded-postgres.js';
import { connectClient } from '../temporal/connection.js';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--full');
if (unknown.length > 0) {
  process.stderr.write(`usage: npm run reconcile [-- --full]; unknown: ${unknown.join(' ')}\n`);
  process.exit(2);
}
const config = loadConfigOrExit();
const sql = createSql(config.database.url ?? embeddedDatabaseUrl(config.database.embeddedPort), { max: 1 });
const temporal = await connectClient(config.temporal, config.temporal.address ?? devServerAddress(config.temporal.devServerPort))
  .catch((err: unknown) => {
    process.stderr.write(`reconciliation could not reach Temporal: ${(err as Error).message}\n`);
    process.exit(2);
  });
try {
  const report = await reconcileAll({ sql, temporal }, { mode: args.includes('--full') ? 'full' : 'incremental' });
  for (const check of report.checks) {
    process.stdout.write(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.name.padEnd(31)} ${check.detail}\n`);
  }
  process.stdout.write(`reconciliation (${report.mode}): ${report.ok ? 'ok' : 'FAILED'}\n`);
  process.exitCode = report.ok ? 0 : 1;
} catch (err) {
  process.stderr.write(`reconciliation could not run: ${(err as Error).message}\n`);
  process.exitCode = 2;
} finally {
  await temporal.connection.close();
  await sql.end({ timeout: 5 });
}
