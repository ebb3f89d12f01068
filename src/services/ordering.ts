import { createHash, randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { findOrder, type Order } from '../db/orders.js';
import { claimOrderKey, recordOrderRefusal } from '../db/requests.js';
import { DomainError, MESSAGES } from '../domain/errors.js';
import type { OrderRequest } from '../domain/order.js';
import { ORDER_STATUS } from '../domain/vocabularies.js';
import {
  ORDER_WORKFLOW_TYPE, orderWorkflowId, PLACE_ORDER_UPDATE_ID, placeOrderUpdate, type OrderWorkflow, type OrderWorkflowInput,
} from '../contracts/order.js';
import { refusalOf } from './refusals.js';
import { orderSearchAttributes } from '../contracts/search-attributes.js';

export interface PlaceOrderDeps { sql: Sql; temporal: Client; taskQueue: string }

/**
 * Places an order in one round trip to Temporal: Update-with-Start on the OrderWorkflow, whose
 * update answers once the order is paid and recorded with its delivery (before the
 * DeliveryWorkflow starts). Answers with the recorded order, or throws its refusal as a DomainError.
 *
 * With an Idempotency-Key the key pins the order id (and so the workflow id), and the key's first
 * outcome is kept in the database: a replay answers from there, or joins the same update.
 */
export async function placeOrder(
  deps: PlaceOrderDeps, customerId: number, request: OrderRequest, idempotencyKey?: string, onWorkflow?: (workflowId: string) => void,
): Promise<Order> {
  let orderId: string = randomUUID();
  if (idempotencyKey) {
    const hash = requestHash(request);
    const claimed = await claimOrderKey(deps.sql, customerId, idempotencyKey, hash);
    if (claimed.requestHash !== hash) {
      throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'The idempotency key was already used for a different request.');
    }
    if (claimed.refusal) throw new DomainError(claimed.refusal.code, claimed.refusal.message, claimed.refusal.errors ?? undefined);
    orderId = claimed.orderId;
    const recorded = await findOrder(deps.sql, orderId);
    if (recorded) return answerOf(recorded);
  }
  onWorkflow?.(orderWorkflowId(orderId));
  try {
    await withinLimit(runOrder(deps, { orderId, customerId, ...request }), ORDER_ANSWER_LIMIT_MS);
  } catch (err) {
    // Our own limit (UNAVAILABLE: still running) is not the order's outcome: nothing to keep.
    if (err instanceof DomainError) throw err;
    const refusal = refusalOf(err);
    if (!refusal) throw err;
    if (idempotencyKey) await recordOrderRefusal(deps.sql, orderId, refusal);
    throw refusal;
  }
  const order = await findOrder(deps.sql, orderId);
  if (!order) throw new Error(`order ${orderId} was answered as recorded but is not in the database`);
  return answerOf(order);
}

/** A FAILED order row is the compensation's record: its answer is ORDER_FAILED, also on replay. */
function answerOf(order: Order): Order {
  if (order.status === ORDER_STATUS.FAILED) throw new DomainError('ORDER_FAILED', MESSAGES.ORDER_FAILED);
  return order;
}

async function runOrder(deps: PlaceOrderDeps, input: OrderWorkflowInput): Promise<void> {
  const workflowId = orderWorkflowId(input.orderId);
  const startWorkflowOperation = new WithStartWorkflowOperation<OrderWorkflow>(ORDER_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: deps.taskQueue,
    args: [input],
    // A concurrent duplicate joins the running workflow (and, by the update ID, the same update);
    // a closed one is never started again.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    staticSummary: `Order of service #${input.serviceId} by customer #${input.customerId} (${input.methodType}, ${input.upgradeIds.length} upgrade(s))`,
    staticDetails: [
      `**Order** ${input.orderId}`,
      `**Customer** #${input.customerId}`,
      `**Service** #${input.serviceId}, upgrades ${input.upgradeIds.length > 0 ? input.upgradeIds.map((id) => `#${id}`).join(', ') : 'none'}`,
      `**Payment** ${input.methodType}; the total is in the current details once priced`,
    ].join('\n\n'),
    typedSearchAttributes: orderSearchAttributes({ ...input, orderStatus: ORDER_STATUS.PENDING }),
  });
  try {
    await deps.temporal.workflow.executeUpdateWithStart(placeOrderUpdate, {
      args: [{}], updateId: PLACE_ORDER_UPDATE_ID, startWorkflowOperation,
    });
  } catch (err) {
    // The workflow ran to its end before (a replay whose outcome the database does not hold yet):
    // its result is the outcome.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    await deps.temporal.workflow.getHandle<OrderWorkflow>(workflowId).result();
  }
}

/**
 * How long a request waits for its order's outcome. Past it (no worker running, a long outage) the
 * client gets 503 with Retry-After; the workflow goes on, and a retry with the same Idempotency-Key
 * joins it and answers with its outcome.
 */
const ORDER_ANSWER_LIMIT_MS = 30_000;

async function withinLimit<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DomainError('UNAVAILABLE', 'The order is still being processed; retry with the same Idempotency-Key.')), ms);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** The key is scoped to the customer and bound to the request it first came with. */
function requestHash(request: OrderRequest): string {
  return createHash('sha256').update(JSON.stringify([request.serviceId, request.methodType, [...request.upgradeIds].sort((a, b) => a - b)])).digest('hex');
}
