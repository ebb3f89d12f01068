/**
 * `npm run reconcile`: checks every ledger invariant of SYSTEM.md §3 against the database and
 * exits non-zero when one fails. Uses DATABASE_URL, else the embedded database of a running
 * `npm start` (EMBEDDED_PG_PORT).
 */
import { loadConfig } from '../config.js';
import { createSql } from '../db/client.js';
import { reconcile } from '../db/reconciliation.js';
import { embeddedDatabaseUrl } from '../runtime/embedded-postgres.js';

const config = loadConfig();
const sql = createSql(config.database.url ?? embeddedDatabaseUrl(config.database.embeddedPort), { max: 1 });
try {
  const report = await reconcile(sql);
  for (const check of report.checks) {
    process.stdout.write(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.name.padEnd(28)} ${check.detail}\n`);
  }
  process.stdout.write(report.ok ? 'reconciliation: ok\n' : 'reconciliation: FAILED\n');
  process.exitCode = report.ok ? 0 : 1;
} catch (err) {
  process.stderr.write(`reconciliation could not run: ${(err as Error).message}\n`);
  process.exitCode = 2;
} finally {
  await sql.end({ timeout: 5 });
}
