import { ApplicationFailure } from '@temporalio/common';
import { DomainError } from '../domain/errors.js';

/**
 * Business refusals leave an activity as non-retryable ApplicationFailures typed by their error code;
 * anything else stays a plain error, so Temporal retries it as an infrastructure fault.
 */
export async function refusalsAsFailures<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DomainError) {
      throw ApplicationFailure.create({
        message: err.message,
        type: err.code,
        nonRetryable: true,
        details: err.errors ? [{ errors: err.errors }] : [],
      });
    }
    throw err;
  }
}
