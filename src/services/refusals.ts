import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { refusalIn } from '../contracts/refusals.js';
import { DomainError } from '../domain/errors.js';

/**
 * A Temporal failure as the caller meets it, as a business refusal: a workflow or an Update that
 * failed with a refusal (src/contracts/refusals.ts unpacks it) becomes that DomainError; anything
 * else is not a refusal (undefined).
 */
export function refusalOf(err: unknown): DomainError | undefined {
  if (err instanceof DomainError) return err;
  if (!(err instanceof WorkflowUpdateFailedError || err instanceof WorkflowFailedError)) return undefined;
  const refusal = refusalIn(err.cause);
  return refusal && new DomainError(refusal.code, refusal.message, refusal.errors);
}
