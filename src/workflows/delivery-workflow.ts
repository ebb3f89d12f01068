import {
  condition, getExternalWorkflowHandle, proxyActivities, setCurrentDetails, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { summary } from './activity-summary.js';
import type { DeliveryWorkflowInput } from './delivery-contract.js';
import { deliveryCreatedSignal } from './order-contract.js';
import { DeliveryStatusKey } from './search-attributes.js';

// Writes one row, idempotent by order id: retried until the database answers.
const recordActivity = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

/** Tracks one delivery of a paid order. Here it creates the delivery and stays open. */
export async function deliveryWorkflow(input: DeliveryWorkflowInput): Promise<void> {
  await recordActivity.createDelivery.executeWithOptions(
    summary('create the service delivery (NEW)'),
    [{ deliveryId: input.deliveryId, orderId: input.orderId }],
  );
  upsertSearchAttributes([{ key: DeliveryStatusKey, value: 'NEW' }]);
  setCurrentDetails('Status: NEW, waiting for the provider to start');
  await tellParent(input.deliveryId);
  await condition(() => false);
}

async function tellParent(deliveryId: string): Promise<void> {
  const parent = workflowInfo().parent;
  if (!parent) return;
  try {
    await getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(deliveryCreatedSignal, { deliveryId });
  } catch {
    // The order workflow stopped waiting and closed; the delivery is there all the same.
  }
}
