/**
 * The operators' use cases, which need both the database and Temporal (SYSTEM.md §7): reconciliation
 * (the ledger's checks and the check that every open delivery has a running workflow,
 * workflow-check.ts), and resuming an open delivery whose workflow was ended by hand (Terminate).
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { findDelivery, historyOf, type Delivery } from '../db/deliveries.js';
import { findOrder } from '../db/orders.js';
import { reconcile, summarise, type ReconcileOptions, type Reconciliation } from '../db/reconciliation.js';
import { isFinal } from '../domain/delivery.js';
import { DomainError } from '../domain/errors.js';
import { DELIVERY_WORKFLOW_TYPE, deliveryWorkflowId, deliveryWorkflowInput, type DeliveryWorkflow } from '../contracts/delivery.js';
import { orderSearchAttributes } from '../contracts/search-attributes.js';
import { workflowCheck } from './workflow-check.js';

export interface RepairDeps { sql: Sql; temporal: Client; taskQueue: string; delivery: { acceptTimeoutMs: number; reviewTimeoutMs: number } }

export { workflowCheck };

/**
 * The ledger's checks (SYSTEM.md §3), by default from the checkpoint or in full (docs/reconciliation.md),
 * and one more that needs Temporal: every open delivery is tracked by a running workflow.
 */
export async function reconcileAll(deps: Pick<RepairDeps, 'sql' | 'temporal'>, options: ReconcileOptions = {}): Promise<Reconciliation> {
  const ledger = await reconcile(deps.sql, options);
  return summarise([...ledger.checks, await workflowCheck(deps, options.mode)], ledger.mode);
}

/**
 * A new DeliveryWorkflow run for an open delivery whose workflow is gone: it continues from the
 * status and history in the database, with its search attributes rebuilt, and counts deadlines
 * from now. 404 if unknown; 409 if the delivery is final or its workflow still runs.
 */
export async function resumeDelivery(deps: RepairDeps, deliveryId: string): Promise<Delivery> {
  const delivery = await findDelivery(deps.sql, deliveryId);
  if (!delivery) throw new DomainError('NOT_FOUND', 'Delivery not found.');
  if (isFinal(delivery.status)) throw new DomainError('INVALID_TRANSITION', `The delivery is already ${delivery.status}; there is nothing to resume.`);
  const order = (await findOrder(deps.sql, delivery.orderId))!;
  try {
    await deps.temporal.workflow.start<DeliveryWorkflow>(DELIVERY_WORKFLOW_TYPE, {
      workflowId: deliveryWorkflowId(delivery.orderId),
      taskQueue: deps.taskQueue,
      // A running workflow is never replaced; a closed one (terminated, failed) may be followed.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      args: [deliveryWorkflowInput({
        orderId: order.id, customerId: order.customerId, providerId: order.providerId, serviceId: order.serviceId,
        price: { total: order.total }, currency: order.currency,
        rates: { taxRateBp: order.taxRateBp, platformFeeBp: order.platformFeeBp },
        deadlines: {
          acceptTimeoutMs: order.acceptTimeoutMs ?? deps.delivery.acceptTimeoutMs,
          reviewTimeoutMs: order.reviewTimeoutMs ?? deps.delivery.reviewTimeoutMs,
        },
      }, delivery.id, { status: delivery.status, history: historyOf(delivery.history) })],
      staticSummary: `Delivery of ${order.serviceName} to customer #${order.customerId}, ${order.total} ${order.currency} in escrow (resumed)`,
      staticDetails: `Resumed by an operator from the database at status **${delivery.status}**; deadlines count from the resume.`,
      typedSearchAttributes: orderSearchAttributes({
        orderId: order.id, customerId: order.customerId, serviceId: order.serviceId, orderStatus: order.status,
        providerId: order.providerId, total: order.total, deliveryStatus: delivery.status,
      }),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new DomainError('INVALID_TRANSITION', 'The delivery\'s workflow is running; there is nothing to resume.');
    }
    throw err;
  }
  return delivery;
}
