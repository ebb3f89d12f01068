import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { refusalFailure } from '../contracts/refusals.js';
import { GuardRefusal, IdempotencyConflictError } from '../db/ledger.js';
import { DomainError, GUARD_REFUSED, TRANSFER_KEY_CONFLICT } from '../domain/errors.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * Business refusals leave an activity as non-retryable ApplicationFailures typed by their error code;
 * so do conflicts no retry can fix (a guard of the database, a reused transfer key), logged and
 * counted where they happen. Anything else stays a plain error: Temporal retries it as an
 * infrastructure fault.
 */
export async function refusalsAsFailures<T>(work: () => Promise<T>, metrics?: Metrics): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DomainError) throw refusalFailure(err);
    if (err instanceof GuardRefusal || err instanceof IdempotencyConflictError) {
      const type = err instanceof GuardRefusal ? GUARD_REFUSED : TRANSFER_KEY_CONFLICT;
      const guard = err instanceof GuardRefusal ? err.guard : 'transfer_key';
      warn('the database refused a write; not retried', { type, guard, message: err.message });
      metrics?.writesRefused.inc({ guard });
      throw ApplicationFailure.create({ message: err.message, type, nonRetryable: true, details: [{ guard }] });
    }
    throw err;
  }
}

/** The activity's logger, where there is an activity context (tests may call an activity directly). */
function warn(message: string, meta: Record<string, unknown>): void {
  try {
    log.warn(message, meta);
  } catch {
    // no activity context: the failure itself still carries the message
  }
}
