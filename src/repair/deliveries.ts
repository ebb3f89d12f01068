/**
 * Operators' repairs that need both the database and Temporal, composed above both (SYSTEM.md §7):
 * finding open deliveries whose workflow was ended by hand (Terminate), and resuming them.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Sql } from '../db/client.js';
import { findDelivery, historyOf, openDeliveries, type Delivery } from '../db/deliveries.js';
import { findOrder } from '../db/orders.js';
import { reconcile, summarise, type Check, type Reconciliation } from '../db/reconciliation.js';
import { isFinal } from '../domain/delivery.js';
import { DomainError } from '../domain/errors.js';
import { DELIVERY_WORKFLOW_TYPE, deliveryWorkflowId, type DeliveryWorkflow } from '../contracts/delivery.js';
import { orderSearchAttributes } from '../contracts/search-attributes.js';

export interface RepairDeps { sql: Sql; temporal: Client; taskQueue: string; delivery: { acceptTimeoutMs: number; reviewTimeoutMs: number } }

/**
 * A delivery younger than this may be waiting for its workflow to start (the order is answered
 * before the DeliveryWorkflow starts, and visibility lags a little): no alarm for it yet.
 */
const WORKFLOW_START_GRACE_MS = 60_000;

/** The ledger's checks (SYSTEM.md §3) and one more that needs Temporal: every open delivery is tracked. */
export async function reconcileAll(deps: Pick<RepairDeps, 'sql' | 'temporal'>): Promise<Reconciliation> {
  const ledger = await reconcile(deps.sql);
  return summarise([...ledger.checks, await openDeliveriesHaveWorkflows(deps)]);
}

async function openDeliveriesHaveWorkflows({ sql, temporal }: Pick<RepairDeps, 'sql' | 'temporal'>): Promise<Check> {
  const open = await openDeliveries(sql, WORKFLOW_START_GRACE_MS);
  const untracked: string[] = [];
  // One describe per open delivery would cost a round trip each; visibility lists the running ones.
  const running = new Set<string>();
  for await (const wf of temporal.workflow.list({ query: `WorkflowType = '${DELIVERY_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'` })) {
    running.add(wf.workflowId);
  }
  for (const d of open) if (!running.has(deliveryWorkflowId(d.orderId))) untracked.push(d.id);
  return {
    name: 'open_deliveries_have_workflows',
    ok: untracked.length === 0,
    detail: untracked.length === 0
      ? `${open.length} open deliveries older than ${WORKFLOW_START_GRACE_MS / 1000} s, each with a running DeliveryWorkflow`
      : `${untracked.length} open deliveries without a running workflow (resume them: POST /api/v1/admin/deliveries/:id/resume): ${untracked.slice(0, 10).join(', ')}`,
  };
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
      args: [{
        orderId: order.id, deliveryId: delivery.id, customerId: order.customerId, providerId: order.providerId,
        serviceId: order.serviceId, total: order.total, currency: order.currency,
        rates: { taxRateBp: order.taxRateBp, platformFeeBp: order.platformFeeBp },
        deadlines: {
          acceptTimeoutMs: order.acceptTimeoutMs ?? deps.delivery.acceptTimeoutMs,
          reviewTimeoutMs: order.reviewTimeoutMs ?? deps.delivery.reviewTimeoutMs,
        },
        status: delivery.status, history: historyOf(delivery.history),
      }],
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
