import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { Sql } from '../db/client.js';
import { eventExists, findDelivery, type Delivery } from '../db/deliveries.js';
import type { User } from '../db/users.js';
import { transition, type DeliveryAction } from '../domain/delivery.js';
import { DomainError, isErrorCode } from '../domain/errors.js';
import { deliveryUpdates, deliveryWorkflowId, updateEventKey } from '../workflows/delivery-contract.js';

export interface DriveDeps { sql: Sql; temporal: Client }

/**
 * Sends one transition to the delivery's workflow as an Update and answers with the delivery after
 * it. The Idempotency-Key, when given, is the update ID: a retried call is applied once, and a retry
 * that arrives after the move finds its own event and answers as the first call did.
 */
export async function driveDelivery(deps: DriveDeps, deliveryId: string, action: DeliveryAction, user: User, reason?: string, idempotencyKey?: string): Promise<Delivery> {
  const viewer = user.role === 'admin' ? undefined : { userId: user.id };
  const delivery = await findDelivery(deps.sql, deliveryId, viewer);
  if (!delivery) throw new DomainError('NOT_FOUND', 'Delivery not found.');
  const updateId = idempotencyKey ?? randomUUID();
  const alreadyApplied = () => idempotencyKey !== undefined && eventExists(deps.sql, updateEventKey(deliveryId, updateId));

  // The same rule as the workflow's validator, on the stored status: a refusal costs no round trip
  // to Temporal, and a delivery whose workflow has closed still gets a 403/409, not an error.
  const actor = { role: user.role, id: user.id };
  const verdict = transition(delivery.status, action, actor, delivery);
  if (!verdict.ok) {
    if (await alreadyApplied()) return delivery;
    throw new DomainError(verdict.code, verdict.message);
  }
  try {
    await deps.temporal.workflow.getHandle(deliveryWorkflowId(delivery.orderId))
      .executeUpdate(deliveryUpdates[action], { args: [{ actor, ...(reason ? { reason } : {}) }], updateId });
  } catch (err) {
    const refusal = refusalOf(err);
    if (!refusal) throw err;
    if (await alreadyApplied()) return (await findDelivery(deps.sql, deliveryId))!;
    throw refusal;
  }
  return (await findDelivery(deps.sql, deliveryId))!;
}

function refusalOf(err: unknown): DomainError | undefined {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && isErrorCode(err.cause.type)) {
    return new DomainError(err.cause.type, err.cause.message);
  }
  // The workflow closed between our read and the update: the delivery became final meanwhile.
  if (err instanceof WorkflowNotFoundError || (err as Error)?.message?.includes('workflow execution already completed')) {
    return new DomainError('INVALID_TRANSITION', 'The delivery is already final.');
  }
  return undefined;
}
