import { DomainError } from '../domain/errors.js';

/**
 * Admission control (the model: Stripe's concurrent-requests limiter and load shedder): at most
 * `limit` orders in flight in this process; one more is refused at once with 503 UNAVAILABLE and
 * Retry-After, having moved nothing, rather than queueing for seconds behind the others.
 */
export function admission(limit: number) {
  let inFlight = 0;
  return {
    get inFlight() { return inFlight; },
    async run<T>(work: () => Promise<T>): Promise<T> {
      if (inFlight >= limit) {
        throw new DomainError('UNAVAILABLE', 'The system is at capacity; nothing was charged. Retry shortly.', undefined, 1);
      }
      inFlight += 1;
      try {
        return await work();
      } finally {
        inFlight -= 1;
      }
    },
  };
}

export type Admission = ReturnType<typeof admission>;
