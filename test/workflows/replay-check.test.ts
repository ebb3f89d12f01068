import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { replayCheck } from '../../src/cli/replay-check.js';
import { customerAndService, placeOrder } from '../support/api.js';
import { temporalClient } from '../support/temporal.js';

/**
 * The pre-rollout check of docs/operations.md §7 (src/cli/replay-check.ts), against the test's dev
 * server: one order's two workflows, selected by a visibility query, replay against today's bundle,
 * and fail against a change made without patched().
 */
let client: Client;
let orderId: string;
let query: string;

beforeAll(async () => {
  client = await temporalClient();
  const { service, customer } = await customerAndService(10_000, 20_000);
  const placed = await placeOrder(customer, { service_id: service.id, method_type: 'wallet', upgrades_ids: [] });
  expect(placed.status).toBe(201);
  orderId = (placed.body as { data: { id: string } }).data.id;
  query = `WorkflowId = "order-${orderId}" OR WorkflowId = "delivery-${orderId}"`;
  for (let i = 0; (await client.workflow.count(query)).count < 2; i++) {
    if (i > 50) throw new Error('visibility never listed the order\'s two workflows');
    await sleep(200); // visibility lags a little
  }
});
afterAll(async () => { await client.connection.close(); });

describe('the replay check', () => {
  it('replays the selected histories against today\'s bundle', async () => {
    expect(await replayCheck(client, { workflowBundle: { codePath: inject('workflowBundlePath') } }, query))
      .toEqual({ replayed: 2, failed: [] });
  });

  it('names every history a change without patched() cannot replay', async () => {
    const report = await replayCheck(client, { workflowsPath: fileURLToPath(new URL('./fixtures/unpatched-change.ts', import.meta.url)) }, query);
    expect(report.replayed).toBe(2);
    expect(report.failed.map((f) => f.workflowId).sort()).toEqual([`delivery-${orderId}`, `order-${orderId}`]);
    for (const { error } of report.failed) expect(error).toMatch(/Nondeterminism/i);
  });

  it('runs as a command: prints the count and exits 0 when every history replays', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'src/cli/replay-check.ts', inject('workflowBundlePath'), query], {
      env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: 'default' },
    });
    expect(stdout).toBe('2 histories replayed, 0 nondeterministic\n');
  });
});
