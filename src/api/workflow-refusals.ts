import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DomainError, isErrorCode, type FieldErrors } from '../domain/errors.js';

/**
 * The one translation of a Temporal failure into a business refusal, by type: a workflow or an
 * Update that failed with an ApplicationFailure typed by one of our error codes (with its field
 * errors, if any) becomes that DomainError; anything else is not a refusal (undefined).
 */
export function refusalOf(err: unknown): DomainError | undefined {
  if (err instanceof DomainError) return err;
  if (!(err instanceof WorkflowUpdateFailedError || err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure)) return undefined;
  const { type, message, details } = err.cause;
  if (!isErrorCode(type)) return undefined;
  const errors = (details?.[0] as { errors?: FieldErrors } | undefined)?.errors;
  return new DomainError(type, message, errors);
}
