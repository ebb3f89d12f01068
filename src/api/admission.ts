import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../domain/errors.js';

/**
 * Admission control (the model: Stripe's concurrent-requests limiter and load shedder): at most
 * `limit` orders in flight in this process; one more is refused at once with 503 UNAVAILABLE and
 * Retry-After, having moved nothing, rather than queueing for seconds behind the others. It runs
 * before authentication, so a shed request costs no database read.
 */
export function admission(limit: number): MiddlewareHandler {
  let inFlight = 0;
  return async (_c, next) => {
    if (inFlight >= limit) {
      throw new DomainError('UNAVAILABLE', 'The system is at capacity; nothing was charged. Retry shortly.', undefined, 1);
    }
    inFlight += 1;
    try {
      await next();
    } finally {
      inFlight -= 1;
    }
  };
}
