import { ApplicationFailure } from '@temporalio/common';
import { isErrorCode, type ErrorCode, type FieldErrors } from '../domain/errors.js';

/**
 * The one codec of a business refusal on the wire: activities pack it, the order workflow unpacks
 * and packs it again as its own failure, the services unpack what the client gets. Deterministic
 * and free of Node APIs, so workflow code imports it too.
 *
 * The layout running workflows and recorded histories carry: a non-retryable ApplicationFailure
 * whose `type` is the error code, whose message is the refusal's, and whose details are
 * `[{ errors }]` when there are field errors (none otherwise).
 */
export interface Refusal { code: ErrorCode; message: string; errors?: FieldErrors | undefined }

/** Packs a refusal (a DomainError is one) as a non-retryable ApplicationFailure. */
export function refusalFailure({ code, message, errors }: Refusal, cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({ message, type: code, nonRetryable: true, details: errors ? [{ errors }] : [], cause });
}

/** Unpacks the refusal an ApplicationFailure carries; anything else (another type, another error) is none. */
export function refusalIn(failure: unknown): Refusal | undefined {
  if (!(failure instanceof ApplicationFailure) || !isErrorCode(failure.type)) return undefined;
  const errors = (failure.details?.[0] as { errors?: FieldErrors } | undefined)?.errors;
  return { code: failure.type, message: failure.message, ...(errors ? { errors } : {}) };
}
