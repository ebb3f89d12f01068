import {
  ActivityFailure, ApplicationFailure, ParentClosePolicy, condition, patched, proxyLocalActivities, setCurrentDetails,
  setHandler, startChild, upsertSearchAttributes, uuid4, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { summary } from './activity-summary.js';
import type { OrderDraft } from '../db/orders.js';
import { isErrorCode } from '../domain/errors.js';
import { priceOrder } from '../domain/pricing.js';
import { deliveryWorkflowId } from './delivery-contract.js';
import { deliveryWorkflow } from './delivery-workflow.js';
import { deliveryCreatedSignal, type OrderWorkflowInput, type OrderWorkflowResult } from './order-contract.js';
import { OrderStatusKey, OrderTotalKey, ProviderIdKey } from './search-attributes.js';

// Reads of the catalog: quick, harmless to repeat, retried until the database answers.
const catalogActivity = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});
// Money moves are idempotent by business key, so unlimited retries can never pay twice, and a
// payment is never abandoned half-way because the database was briefly away.
const paymentActivity = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});
// Recording the paid order gets a bounded number of tries: if it cannot be written within about
// two minutes, the customer's money goes back (compensation) rather than waiting in escrow forever.
const recordActivity = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '30 seconds', maximumAttempts: 8 },
});

/**
 * Since this change the API waits for the delivery row in the database instead: a signal from the
 * child and another workflow task for every order cost the Temporal server more than a few reads.
 */
const NO_DELIVERY_WAIT = 'order-answers-without-waiting-for-the-delivery';

/**
 * Validate → price → debit the wallet into escrow → record the paid order → hand over to the
 * DeliveryWorkflow. Refusals end the workflow with a non-retryable failure typed by the error code.
 */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderWorkflowResult> {
  let createdDeliveryId: string | undefined;
  setHandler(deliveryCreatedSignal, ({ deliveryId }) => {
    createdDeliveryId = deliveryId;
  });

  const validated = await refused(() => catalogActivity.validateOrder.executeWithOptions(
    summary(`validate service #${input.serviceId} and ${input.upgradeIds.length} upgrade(s)`),
    [{ serviceId: input.serviceId, upgradeIds: input.upgradeIds, methodType: input.methodType }],
  ));
  const price = priceOrder({
    servicePrice: validated.servicePrice,
    upgradePrices: validated.upgrades.map((u) => u.price),
    rates: validated.rates,
  });
  const draft: OrderDraft = { ...input, ...validated, price };
  upsertSearchAttributes([
    { key: ProviderIdKey, value: String(validated.providerId) },
    { key: OrderTotalKey, value: price.total },
  ]);
  setCurrentDetails(`${validated.serviceName}: total ${price.total} ${validated.currency} (tax ${price.tax})`);

  await refused(() => paymentActivity.debitToEscrow.executeWithOptions(
    summary(`debit ${price.total} ${draft.currency} from customer #${input.customerId} into escrow`),
    [{ orderId: input.orderId, customerId: input.customerId, amount: price.total }],
  ));
  await recordOrCompensate(draft);
  setStatus('COMPLETED');

  const deliveryId = uuid4();
  await startChild(deliveryWorkflow, {
    workflowId: deliveryWorkflowId(input.orderId),
    taskQueue: workflowInfo().taskQueue,
    // The delivery outlives the order workflow: it runs for days while the order is already paid.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    args: [{
      orderId: input.orderId, deliveryId, customerId: input.customerId, providerId: validated.providerId,
      serviceId: input.serviceId, total: price.total, currency: draft.currency, rates: validated.rates,
      deadlines: validated.deadlines,
    }],
    staticSummary: `Delivery of ${validated.serviceName} to customer #${input.customerId}, ${price.total} ${draft.currency} in escrow`,
    staticDetails: [
      `**Order** ${input.orderId}`,
      `**Service** #${input.serviceId} ${validated.serviceName}, provider #${validated.providerId}`,
      `**Customer** #${input.customerId}`,
      `**Escrow** ${price.total} ${draft.currency} (subtotal ${price.subtotal}, tax ${price.tax})`,
      `**Deadlines** start within ${validated.deadlines.acceptTimeoutMs / 1000} s, review within ${validated.deadlines.reviewTimeoutMs / 1000} s`,
    ].join('\n\n'),
    typedSearchAttributes: workflowInfo().typedSearchAttributes,
  });
  if (!patched(NO_DELIVERY_WAIT)) {
    // Orders started before the change waited here for the child's signal (and replay so).
    await condition(() => createdDeliveryId !== undefined, '30 seconds', { summary: 'wait for the delivery to be created' });
  }
  return { orderId: input.orderId, status: 'COMPLETED', total: price.total, currency: draft.currency, deliveryId };
}

async function recordOrCompensate(draft: OrderDraft): Promise<void> {
  try {
    await recordActivity.recordOrder.executeWithOptions(summary('record the paid order'), [{ draft }]);
  } catch (err) {
    // The money is in escrow but the order could not be recorded: give it back, then say so.
    await paymentActivity.refundPayment.executeWithOptions(
      summary(`refund ${draft.price.total} to customer #${draft.customerId} (compensation)`),
      [{ orderId: draft.orderId, customerId: draft.customerId, amount: draft.price.total }],
    );
    await paymentActivity.markOrderFailed.executeWithOptions(summary('mark the order FAILED'), [{ draft, failureCode: 'RECORD_FAILED' }]);
    setStatus('FAILED');
    throw ApplicationFailure.create({ message: 'The order could not be recorded; the payment was refunded', type: 'ORDER_FAILED', nonRetryable: true, cause: err as Error });
  }
}

function setStatus(status: 'COMPLETED' | 'FAILED'): void {
  upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
}

/** Re-throws an activity's business refusal as the workflow's own failure, with the same code. */
async function refused<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && isErrorCode(err.cause.type)) {
      upsertSearchAttributes([{ key: OrderStatusKey, value: 'FAILED' }]);
      throw ApplicationFailure.create({
        message: err.cause.message, type: err.cause.type, nonRetryable: true, details: err.cause.details ?? undefined,
      });
    }
    throw err;
  }
}
