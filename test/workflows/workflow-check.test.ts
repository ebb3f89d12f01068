import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { deliveryWorkflowId, type DeliveryState } from '../../src/contracts/delivery.js';
import { admin, call, reconciliation } from '../support/api.js';
import { testSql } from '../support/db.js';
import { driveAll, paidDelivery } from '../support/deliveries.js';
import { paidOrder } from '../support/ledger.js';
import { workflowCheckBoundary } from '../../src/db/open-deliveries.js';
import { temporalClient } from '../support/temporal.js';

/**
 * Reconciliation's workflow check on the running system: a workflow that closed while its delivery
 * is open is reported at once; a delivery that never had a workflow only after the start-up grace.
 */
let sql: Sql;
let client: Client;
beforeAll(async () => {
  sql = testSql();
  client = await temporalClient();
});
afterAll(async () => {
  await client.connection.close();
  await sql.end();
});

const workflowCheckDetail = async () => (await reconciliation()).checks.find((c) => c.name === 'open_deliveries_have_workflows')!.detail;
const fullWorkflowCheckDetail = async () => {
  const { body } = await call<{ checks: { name: string; detail: string }[] }>('GET', '/api/v1/admin/reconciliation?full=true', { token: admin() });
  return body.data.checks.find((c) => c.name === 'open_deliveries_have_workflows')!.detail;
};
const resume = (deliveryId: string) => call('POST', `/api/v1/admin/deliveries/${deliveryId}/resume`, { token: admin() });

/** Polls the check until `named` says whether it names the delivery (visibility lags a little), for at most `ms`. */
async function until(named: boolean, deliveryId: string, ms: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    if ((await workflowCheckDetail()).includes(deliveryId) === named) return performance.now() - started;
    if (performance.now() - started > ms) throw new Error(`the workflow check still ${named ? 'does not name' : 'names'} ${deliveryId}: ${await workflowCheckDetail()}`);
    await sleep(100);
  }
}

describe('a DeliveryWorkflow that closed while its delivery is open', () => {
  it('is reported within 5 s of a Terminate, with no start-up grace, and not once resumed', async () => {
    const d = await paidDelivery(10_000);
    await driveAll(d, ['start']);
    await client.workflow.getHandle(deliveryWorkflowId(d.orderId)).terminate('test: an operator terminates');

    expect(await until(true, d.deliveryId, 5_000)).toBeLessThan(5_000);
    expect(await workflowCheckDetail()).toContain(`${d.deliveryId} (workflow terminated)`);

    expect((await resume(d.deliveryId)).status).toBe(200);
    await until(false, d.deliveryId, 5_000);
    await driveAll(d, ['submit', 'approve']);
    expect(await workflowCheckDetail()).not.toContain(d.deliveryId);
  });

  it('is not reported when the workflow ended with its delivery: completed, or cancelled by an operator', async () => {
    const completed = await paidDelivery(10_000);
    await driveAll(completed, ['start', 'submit', 'approve']);
    const cancelled = await paidDelivery(10_000);
    await client.workflow.getHandle(deliveryWorkflowId(cancelled.orderId)).cancel();
    expect((await client.workflow.getHandle(deliveryWorkflowId(cancelled.orderId)).result() as DeliveryState).status).toBe('CANCELLED');
    expect((await client.workflow.getHandle(deliveryWorkflowId(completed.orderId)).result() as DeliveryState).status).toBe('COMPLETED');

    await sleep(1_000); // visibility has seen both runs close
    const detail = await workflowCheckDetail();
    expect(detail).not.toContain(completed.deliveryId);
    expect(detail).not.toContain(cancelled.deliveryId);
  });
});

describe('an open delivery that never had a workflow', () => {
  it('gets the start-up grace, then is found among the deliveries created since the checkpoint', async () => {
    const order = await paidOrder(sql); // recorded as the order's activities record it, but no workflow was started
    expect(await workflowCheckDetail()).not.toContain(order.deliveryId);

    // A second before the grace ends, as 59 s later: the calls until then keep the checkpoint behind it.
    await sql`UPDATE service_deliveries SET created_at = now() - interval '59 seconds' WHERE id = ${order.deliveryId}`;
    expect(await until(true, order.deliveryId, 5_000)).toBeGreaterThan(500);
    expect(await workflowCheckDetail()).toContain(`${order.deliveryId} (no running workflow)`);
    // Reported again on every call until repaired: a failing check does not advance the checkpoint.
    expect(await workflowCheckDetail()).toContain(`${order.deliveryId} (no running workflow)`);

    // Repaired: a workflow now tracks it, and the admin's cancel refunds it, so the shared ledger stays whole.
    expect((await resume(order.deliveryId)).status).toBe(200);
    await until(false, order.deliveryId, 5_000);
    expect((await call('POST', `/api/v1/deliveries/${order.deliveryId}/cancel`, { token: admin() })).status).toBe(200);
  });

  it('behind the checkpoint (its workflow deleted after a check found it running) is found by the full check, by counting', async () => {
    const d = await paidDelivery(10_000);
    await sql`UPDATE service_deliveries SET created_at = now() - interval '5 minutes' WHERE id = ${d.deliveryId}`;
    expect(await workflowCheckDetail()).not.toContain(d.deliveryId); // tracked: the checkpoint moves past it
    await client.workflowService.deleteWorkflowExecution({
      namespace: client.options.namespace, workflowExecution: { workflowId: deliveryWorkflowId(d.orderId) },
    });
    await sleep(1_000); // the deletion reaches visibility

    // A deleted run leaves nothing in visibility for the default check to read (docs/reconciliation.md says so).
    expect(await workflowCheckDetail()).not.toContain(d.deliveryId);
    expect(await fullWorkflowCheckDetail()).toContain(`${d.deliveryId} (no running workflow)`);

    expect((await resume(d.deliveryId)).status).toBe(200);
    await until(false, d.deliveryId, 5_000);
    expect(await fullWorkflowCheckDetail()).not.toContain(d.deliveryId);
    expect((await call('POST', `/api/v1/deliveries/${d.deliveryId}/cancel`, { token: admin() })).status).toBe(200);
  });
});

describe("the workflow check's checkpoint", () => {
  it('stays behind a transaction still open, whose delivery would commit with an earlier created_at', async () => {
    const conn = await sql.reserve();
    try {
      await conn`BEGIN`;
      const [open] = await conn<{ started: Date }[]>`SELECT now() AS started`;
      await sleep(200);
      const { before, settled } = await workflowCheckBoundary(sql, 0); // no grace: the boundary is now
      expect(before.getTime()).toBeGreaterThan(open!.started.getTime());
      expect(settled.getTime()).toBeLessThanOrEqual(open!.started.getTime());
      await conn`ROLLBACK`;
    } finally {
      conn.release();
    }
  });
});
