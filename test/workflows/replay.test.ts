import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

/**
 * Histories recorded from earlier versions of the workflows by `npm run record:histories`, one
 * folder per recording (named by its UTC time): today's code must replay every one of them, or a
 * change needs patched(). Each recording holds a completed order, a refused order, a delivery
 * completed after a revision, one cancelled by its customer, and one that refused an operator's
 * signal and was then cancelled by an operator's Cancel (in 20261129-0207 the signal and the Cancel
 * share one workflow task; in later recordings they need not). From 20261201-2037 on, a recording also
 * holds a delivery reset to its first workflow task and then sent an operator's `cancel`, which the
 * database refuses from the run's stale status and which is tried again from the database's.
 */
const DIR = fileURLToPath(new URL('./histories/', import.meta.url));

describe('replay of recorded histories', () => {
  it('replays every recorded history with the current workflow code', async () => {
    const files = (await readdir(DIR, { recursive: true })).filter((f) => f.endsWith('.json')).sort();
    expect(new Set(files.map((f) => dirname(f))).size).toBeGreaterThanOrEqual(2); // more than one version
    expect(files.length).toBeGreaterThanOrEqual(10);
    const histories = await Promise.all(files.map(async (file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(await readFile(join(DIR, file), 'utf8'))),
    })));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') } }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });
});
