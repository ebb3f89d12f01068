import { readdir, readFile } from 'node:fs/promises';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

/**
 * Histories recorded from earlier versions of the workflows (with `temporal workflow show
 * --output json`): today's code must replay every one of them, or a change needs patched().
 * Recorded by `npm run record:histories`: a completed order, a refused order, a delivery completed
 * after a revision, one cancelled by its customer, one refused an operator's signal and then
 * cancelled by an operator's Cancel; kept from an earlier recording, `delivery-cancel-with-signal`:
 * the same signal and Cancel handled in one workflow task.
 */
const DIR = new URL('./histories/', import.meta.url);

describe('replay of recorded histories', () => {
  it('replays every recorded history with the current workflow code', async () => {
    const files = (await readdir(DIR)).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    const histories = await Promise.all(files.map(async (file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(await readFile(new URL(file, DIR), 'utf8'))),
    })));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') } }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });
});
