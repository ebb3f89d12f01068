/**
 * `npx tsx src/runtime/ensure-temporal-cli.ts` (also `npm run temporal:cli`):
 * find or build the pinned temporal CLI ahead of time, so the first `npm start`
 * or test run is not the one that pays for a multi-minute Go build.
 *
 * Prints the binary path on stdout (everything else goes to stderr) so scripts
 * can do `TEMPORAL_CLI_PATH=$(npx tsx src/runtime/ensure-temporal-cli.ts)`.
 */
import { ensureTemporalCli } from './temporal-cli.js';

const log = (msg: string): void => console.error(msg);

try {
  const cli = await ensureTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH || undefined, log });
  if (cli.kind === 'sdk-download') {
    log('No temporal CLI available and Go is not installed: install one (https://docs.temporal.io/cli) or Go.');
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
