/**
 * `npm run replay:check -- [bundle] [query]` (`npx tsx src/cli/replay-check.ts …`): replays the histories a visibility query
 * selects (default: every running workflow) against a workflow bundle (default
 * `dist/workflow-bundle.js`, as `npm run build` writes it), before that bundle is rolled out
 * (docs/operations.md §7). Prints each history that does not replay; exits 0 when all replay, 1
 * when one does not (nondeterminism: the change needs `patched()`), 2 when it could not run. Uses
 * TEMPORAL_ADDRESS (else a running `npm start`'s dev server), TEMPORAL_NAMESPACE and the TLS or API
 * key settings.
 */
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { loadConfigOrExit } from '../config.js';
import { devServerAddress } from '../runtime/dev-server.js';
import { connectClient } from '../temporal/connection.js';

export interface ReplayReport { replayed: number; failed: { workflowId: string; error: string }[] }

/** Replays every history `query` selects against the workflow code of `code` (a bundle or a path). */
export async function replayCheck(
  client: Client, code: Parameters<typeof Worker.runReplayHistories>[0], query: string,
): Promise<ReplayReport> {
  const report: ReplayReport = { replayed: 0, failed: [] };
  const histories = client.workflow.list({ query }).intoHistories({ concurrency: 5 });
  for await (const result of Worker.runReplayHistories(code, histories)) {
    report.replayed += 1;
    if (result.error) report.failed.push({ workflowId: result.workflowId, error: result.error.message });
  }
  return report;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [bundle = 'dist/workflow-bundle.js', query = 'ExecutionStatus = "Running"', ...rest] = process.argv.slice(2);
  if (rest.length > 0) {
    process.stderr.write('usage: npx tsx src/cli/replay-check.ts [bundle] [visibility query]\n');
    process.exit(2);
  }
  const config = loadConfigOrExit();
  try {
    const client = await connectClient(config.temporal, config.temporal.address ?? devServerAddress(config.temporal.devServerPort));
    try {
      const report = await replayCheck(client, { workflowBundle: { codePath: bundle } }, query);
      for (const { workflowId, error } of report.failed) process.stderr.write(`${workflowId}: ${error}\n`);
      process.stdout.write(`${report.replayed} histories replayed, ${report.failed.length} nondeterministic\n`);
      process.exitCode = report.failed.length > 0 ? 1 : 0;
    } finally {
      await client.connection.close();
    }
  } catch (err) {
    process.stderr.write(`the replay check could not run: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
