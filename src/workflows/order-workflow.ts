import {
  ActivityFailure, ApplicationFailure, CancellationScope, ChildWorkflowCancellationType, condition, isCancellation,
  ParentClosePolicy, proxyLocalActivities, setCurrentDetails, setHandler, startChild, upsertSearchAttributes, uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { summary } from './activity-summary.js';
import type { OrderDraft } from '../domain/order.js';
import { MESSAGES } from '../domain/errors.js';
import { priceOrder } from '../domain/pricing.js';
import { ORDER_STATUS, type OrderStatus } from '../domain/vocabularies.js';
import { deliveryWorkflowId, deliveryWorkflowInput } from '../contracts/delivery.js';
import { deliveryWorkflow } from './delivery-workflow.js';
import { placeOrderUpdate, type OrderWorkflowInput, type OrderWorkflowResult } from '../contracts/order.js';
import { refusalFailure, refusalIn } from '../contracts/refusals.js';
import { DeliveryStatusKey, OrderStatusKey, OrderTotalKey, ProviderIdKey } from '../contracts/search-attributes.js';

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
const recordOrderActivity = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '30 seconds', maximumAttempts: 8 },
});

type Outcome = { result: OrderWorkflowResult } | { failure: ApplicationFailure };

/**
 * Validate → price → debit the wallet into escrow → record the paid order with its delivery →
 * answer the caller → hand over to the DeliveryWorkflow. Refusals end the workflow with a
 * non-retryable failure typed by the error code, and the caller's Update gets the same failure.
 *
 * Cancellation (the Web UI's Cancel) is honoured until the money moves: before the debit the order
 * ends as ORDER_CANCELLED with nothing charged; from the debit on, paying, recording and starting
 * the delivery run to the end in a non-cancellable scope, so no money waits in escrow without an
 * order and a delivery that tracks it (an operator then cancels the delivery, which refunds).
 */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderWorkflowResult> {
  let outcome: Outcome | undefined;
  setHandler(placeOrderUpdate, async () => {
    await CancellationScope.nonCancellable(() => condition(() => outcome !== undefined));
    if ('failure' in outcome!) throw outcome!.failure;
    return outcome!.result;
  });
  try {
    const result = await payAndRecord(input);
    outcome = { result: result.answer };
    await CancellationScope.nonCancellable(() => startDelivery(input, result));
    return result.answer;
  } catch (err) {
    if (err instanceof ApplicationFailure) {
      outcome = { failure: err };
      setStatus(ORDER_STATUS.FAILED);
    }
    throw err;
  }
}

interface Placed { answer: OrderWorkflowResult; draft: OrderDraft }

async function payAndRecord(input: OrderWorkflowInput): Promise<Placed> {
  const validated = await cancellable(() => refused(() => catalogActivity.validateOrder.executeWithOptions(
    summary(`validate service #${input.serviceId} and ${input.upgradeIds.length} upgrade(s)`),
    [{ serviceId: input.serviceId, upgradeIds: input.upgradeIds, methodType: input.methodType }],
  )));
  const price = priceOrder({
    servicePrice: validated.servicePrice,
    upgradePrices: validated.upgrades.map((u) => u.price),
    rates: validated.rates,
  });
  const draft: OrderDraft = { ...input, ...validated, price };
  if (CancellationScope.current().consideredCancelled) throw orderCancelled();
  setCurrentDetails(`${validated.serviceName}: total ${price.total} ${validated.currency} (tax ${price.tax})`);

  const deliveryId = uuid4();
  await CancellationScope.nonCancellable(async () => {
    await refused(() => paymentActivity.debitToEscrow.executeWithOptions(
      summary(`debit ${price.total} ${draft.currency} from customer #${input.customerId} into escrow`),
      [{ orderId: input.orderId, customerId: input.customerId, amount: price.total }],
    ));
    await recordOrCompensate(draft, deliveryId);
  });
  setStatus(ORDER_STATUS.COMPLETED, [
    { key: ProviderIdKey, value: String(validated.providerId) },
    { key: OrderTotalKey, value: price.total },
  ]);
  return {
    answer: { orderId: input.orderId, status: ORDER_STATUS.COMPLETED, total: price.total, currency: draft.currency, deliveryId },
    draft,
  };
}

/**
 * The one place the order's status is set (reference-app-orders-go's updateStatus()): it is the
 * OrderStatus search attribute, upserted with whatever else became known at the same step.
 */
function setStatus(status: OrderStatus, known: SearchAttributePair[] = []): void {
  upsertSearchAttributes([...known, { key: OrderStatusKey, value: status }]);
}

/** The delivery outlives the order workflow: it runs for days while the order is already paid. */
async function startDelivery(input: OrderWorkflowInput, { answer, draft }: Placed): Promise<void> {
  const { deadlines } = draft;
  await startChild(deliveryWorkflow, {
    workflowId: deliveryWorkflowId(input.orderId),
    taskQueue: workflowInfo().taskQueue,
    parentClosePolicy: ParentClosePolicy.ABANDON,
    cancellationType: ChildWorkflowCancellationType.ABANDON,
    args: [deliveryWorkflowInput(draft, answer.deliveryId)],
    staticSummary: `Delivery of ${draft.serviceName} to customer #${input.customerId}, ${answer.total} ${answer.currency} in escrow`,
    staticDetails: [
      `**Order** ${input.orderId}`,
      `**Service** #${input.serviceId} ${draft.serviceName}, provider #${draft.providerId}`,
      `**Customer** #${input.customerId}`,
      `**Escrow** ${answer.total} ${answer.currency} (subtotal ${draft.price.subtotal}, tax ${draft.price.tax})`,
      `**Deadlines** start within ${deadlines.acceptTimeoutMs / 1000} s, review within ${deadlines.reviewTimeoutMs / 1000} s`,
    ].join('\n\n'),
    // The order's attributes, and the status the delivery starts in: no upsert needed to show it.
    typedSearchAttributes: workflowInfo().typedSearchAttributes.updateCopy([{ key: DeliveryStatusKey, value: 'NEW' }]),
  });
}

async function recordOrCompensate(draft: OrderDraft, deliveryId: string): Promise<void> {
  try {
    await recordOrderActivity.recordOrder.executeWithOptions(summary('record the paid order and its delivery (NEW)'), [{ draft, deliveryId }]);
  } catch (err) {
    // The money is in escrow but the order could not be recorded: give it back, then say so.
    await paymentActivity.refundPayment.executeWithOptions(
      summary(`refund ${draft.price.total} to customer #${draft.customerId} (compensation)`),
      [{ orderId: draft.orderId, customerId: draft.customerId, amount: draft.price.total }],
    );
    await paymentActivity.markOrderFailed.executeWithOptions(summary('mark the order FAILED'), [{ draft, failureCode: 'RECORD_FAILED' }]);
    throw refusalFailure({ code: 'ORDER_FAILED', message: MESSAGES.ORDER_FAILED }, err as Error);
  }
}

const orderCancelled = () => refusalFailure({
  code: 'ORDER_CANCELLED', message: 'The order was cancelled before it was paid; nothing was charged.',
});

/** A step that a cancellation request may interrupt: the order then ends as ORDER_CANCELLED. */
async function cancellable<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (isCancellation(err)) throw orderCancelled();
    throw err;
  }
}

/** Re-throws an activity's business refusal as the workflow's own failure, with the same code. */
async function refused<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const refusal = err instanceof ActivityFailure ? refusalIn(err.cause) : undefined;
    throw refusal ? refusalFailure(refusal) : err;
  }
}
