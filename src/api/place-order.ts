import { createHash, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../db/client.js';
import { findOrder, type Order } from '../db/orders.js';
import { DomainError, isErrorCode, type FieldErrors } from '../domain/errors.js';
import type { MethodType } from '../domain/payment.js';
import { ORDER_WORKFLOW_TYPE, orderWorkflowId, type OrderWorkflowInput, type OrderWorkflowResult } from '../workflows/order-contract.js';
import type { orderWorkflow } from '../workflows/order-workflow.js';
import { CustomerIdKey, OrderIdKey, OrderStatusKey, ServiceIdKey } from '../workflows/search-attributes.js';

export interface PlaceOrderDeps { sql: Sql; temporal: Client; taskQueue: string }
export interface OrderRequest { serviceId: number; methodType: MethodType; upgradeIds: number[] }

/**
 * Starts the OrderWorkflow and answers with the recorded order, or throws its refusal as a
 * DomainError. With an Idempotency-Key the key pins the order id, and the workflow id pins the run:
 * the same key always reaches the same workflow and so the same outcome.
 */
export async function placeOrder(
  deps: PlaceOrderDeps, customerId: number, request: OrderRequest, idempotencyKey?: string, onWorkflow?: (workflowId: string) => void,
): Promise<Order> {
  const orderId = idempotencyKey
    ? await orderIdForKey(deps.sql, customerId, idempotencyKey, request)
    : randomUUID();
  onWorkflow?.(orderWorkflowId(orderId));
  const input: OrderWorkflowInput = { orderId, customerId, ...request };
  const handle = await startOnce(deps, input);
  let result: OrderWorkflowResult;
  try {
    result = await withinLimit(handle.result(), ORDER_ANSWER_LIMIT_MS);
  } catch (err) {
    throw refusalOf(err) ?? err;
  }
  const order = await recordedOrder(deps.sql, orderId);
  // The delivery workflow is started (it is in the result) but slow to write its row, e.g. while
  // a worker is being replaced: answer with what is certain, its id, and the status it starts in.
  return order.delivery ? order : { ...order, delivery: { id: result.deliveryId, status: 'NEW' } };
}

/**
 * The paid order as recorded, with its delivery: the child workflow creates the delivery row in its
 * first step, right after the order workflow ends, so a short wait here (database reads, no
 * Temporal round trip) lets the answer include a delivery that GET /deliveries/:id will find.
 */
async function recordedOrder(sql: Sql, orderId: string): Promise<Order> {
  const deadline = Date.now() + DELIVERY_WAIT_MS;
  // Backing off keeps the reads cheap under load, when the child takes longer to get going.
  for (let pause = 10; ; pause = Math.min(pause * 1.5, 250)) {
    const order = await findOrder(sql, orderId);
    if (!order) throw new Error(`order ${orderId} completed but is not recorded`);
    if (order.delivery || order.status !== 'COMPLETED' || Date.now() > deadline) return order;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

const DELIVERY_WAIT_MS = 10_000;

async function startOnce(deps: PlaceOrderDeps, input: OrderWorkflowInput) {
  const workflowId = orderWorkflowId(input.orderId);
  try {
    return await deps.temporal.workflow.start<typeof orderWorkflow>(ORDER_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [input],
      // A concurrent duplicate joins the running workflow; a closed one is never started again.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `Order of service #${input.serviceId} by customer #${input.customerId} (${input.methodType}, ${input.upgradeIds.length} upgrade(s))`,
      staticDetails: [
        `**Order** ${input.orderId}`,
        `**Customer** #${input.customerId}`,
        `**Service** #${input.serviceId}, upgrades ${input.upgradeIds.length > 0 ? input.upgradeIds.map((id) => `#${id}`).join(', ') : 'none'}`,
        `**Payment** ${input.methodType}; the total is in the current details once priced`,
      ].join('\n\n'),
      typedSearchAttributes: [
        { key: OrderIdKey, value: input.orderId },
        { key: CustomerIdKey, value: String(input.customerId) },
        { key: ServiceIdKey, value: String(input.serviceId) },
        { key: OrderStatusKey, value: 'PENDING' },
      ],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return deps.temporal.workflow.getHandle(workflowId);
    throw err;
  }
}

/**
 * How long a request waits for its order's outcome. Past it (no worker running, a long outage) the
 * client gets 503 with Retry-After; the workflow goes on, and a retry with the same Idempotency-Key
 * joins it and answers with its outcome.
 */
export const ORDER_ANSWER_LIMIT_MS = 30_000;

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

function refusalOf(err: unknown): DomainError | undefined {
  if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure)) return undefined;
  const { type, message, details } = err.cause;
  if (!isErrorCode(type)) return undefined;
  const errors = (details?.[0] as { errors?: FieldErrors } | undefined)?.errors;
  return new DomainError(type, message, errors);
}

/** The key is scoped to the customer and bound to the request it first came with. */
async function orderIdForKey(sql: Sql, customerId: number, key: string, request: OrderRequest): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify([request.serviceId, request.methodType, [...request.upgradeIds].sort((a, b) => a - b)])).digest('hex');
  await sql`INSERT INTO order_requests (customer_id, idempotency_key, request_hash, order_id)
    VALUES (${customerId}, ${key}, ${hash}, ${randomUUID()}) ON CONFLICT DO NOTHING`;
  const [row] = await sql<{ orderId: string; requestHash: string }[]>`
    SELECT order_id AS "orderId", request_hash AS "requestHash" FROM order_requests
    WHERE customer_id = ${customerId} AND idempotency_key = ${key}`;
  if (row!.requestHash !== hash) {
    throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'The idempotency key was already used for a different request.');
  }
  return row!.orderId;
}
