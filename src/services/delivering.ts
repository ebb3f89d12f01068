import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Sql } from '../db/client.js';
import { eventExists, findDelivery, type Delivery } from '../db/deliveries.js';
import { claimTransitionKey } from '../db/requests.js';
import type { User } from '../db/users.js';
import { isFinal, transition, type DeliveryAction } from '../domain/delivery.js';
import { DomainError } from '../domain/errors.js';
import { deliveryUpdates, deliveryWorkflowId } from '../contracts/delivery.js';
import { transitionUpdateId, updateEventKey } from '../domain/keys.js';
import { refusalOf } from './refusals.js';

export interface DriveDeps { sql: Sql; temporal: Client }

/**
 * A delivery as `user` may see it: an admin sees every one, a customer or provider their own; another
 * user's delivery is indistinguishable from a missing one (404), so ids leak nothing.
 */
export async function visibleDelivery(sql: Sql, deliveryId: string, user: User): Promise<Delivery> {
  const delivery = await findDelivery(sql, deliveryId, user.role === 'admin' ? undefined : { userId: user.id });
  if (!delivery) throw new DomainError('NOT_FOUND', 'Delivery not found.');
  return delivery;
}

/**
 * Sends one transition to the delivery's workflow as an Update and answers with the delivery after
 * it. An Idempotency-Key, scoped to the user, names one action on one delivery and becomes the
 * update ID: a retried call is applied once, and a retry that arrives after the move finds its own
 * event and answers as the first call did.
 */
export async function driveDelivery(deps: DriveDeps, deliveryId: string, action: DeliveryAction, user: User, reason?: string, idempotencyKey?: string): Promise<Delivery> {
  const delivery = await visibleDelivery(deps.sql, deliveryId, user);
  if (idempotencyKey && !(await claimTransitionKey(deps.sql, user.id, idempotencyKey, deliveryId, action))) {
    throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'The idempotency key was already used for another action or delivery.');
  }
  const updateId = idempotencyKey ? transitionUpdateId(user.id, idempotencyKey) : randomUUID();
  // The move's event carries the update ID: whatever the RPC said, the event says whether it was applied.
  const alreadyApplied = () => eventExists(deps.sql, updateEventKey(deliveryId, updateId));

  // The same rule as the workflow's validator, on the stored status: a refusal costs no round trip
  // to Temporal, and a delivery whose workflow has closed still gets a 403/409, not an error.
  const actor = { role: user.role, id: user.id };
  const verdict = transition(delivery.status, action, actor, delivery);
  if (!verdict.ok) {
    if (idempotencyKey && await alreadyApplied()) return delivery;
    throw new DomainError(verdict.code, verdict.message);
  }
  try {
    await updateWhenRunning(deps, delivery, () => deps.temporal.workflow.getHandle(deliveryWorkflowId(delivery.orderId))
      .executeUpdate(deliveryUpdates[action], { args: [{ actor, ...(reason ? { reason } : {}) }], updateId }));
  } catch (err) {
    // A retry of a move already made is refused by the validator; and a workflow task that fails
    // after the move was written (a cancel request or signal arriving meanwhile: UnhandledCommand)
    // fails the Update's RPC. Either way the move's own event tells the truth.
    if (await alreadyApplied()) return (await findDelivery(deps.sql, deliveryId))!;
    throw refusalOf(err) ?? err;
  }
  return (await findDelivery(deps.sql, deliveryId))!;
}

/**
 * The order is answered before its DeliveryWorkflow starts, so a transition sent at once may find
 * no workflow yet: it waits for it (reads with back-off) rather than being refused. A workflow that
 * is gone for good is told apart by the database: a final delivery is a 409, an open one whose
 * workflow was ended by hand is a 503 until an operator resumes it.
 */
async function updateWhenRunning<T>(deps: DriveDeps, delivery: Delivery, update: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + WORKFLOW_START_WAIT_MS;
  for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
    try {
      return await update();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const now = await findDelivery(deps.sql, delivery.id);
      if (now && isFinal(now.status)) throw new DomainError('INVALID_TRANSITION', `The delivery is already ${now.status}.`);
      if (await workflowClosed(deps, delivery.orderId)) {
        throw new DomainError('UNAVAILABLE', 'The delivery\'s workflow is not running; an operator can resume it.');
      }
      if (Date.now() > deadline) throw new DomainError('UNAVAILABLE', 'The delivery is still being set up; retry shortly.');
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

const WORKFLOW_START_WAIT_MS = 10_000;

/** True when the delivery's workflow exists and has closed; false when it runs or is not there yet. */
async function workflowClosed(deps: DriveDeps, orderId: string): Promise<boolean> {
  try {
    const { status } = await deps.temporal.workflow.getHandle(deliveryWorkflowId(orderId)).describe();
    return status.name !== 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
