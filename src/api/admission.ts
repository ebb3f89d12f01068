import type { MiddlewareHandler } from 'hono';
import { RetryLater } from './errors.js';

export interface AdmissionSettings {
  /** The most orders in flight in this process, whatever the measurements say (ORDERS_MAX_IN_FLIGHT). */
  ceiling: number;
  /** How long an admitted order may take, queueing included (ORDERS_LATENCY_BUDGET). */
  budgetMs: number;
  /** The limit before anything has been measured, and the least it ever falls to (ADMISSION_MIN_LIMIT). */
  minLimit: number;
}

/** Completions are counted in buckets of this length, over the last WINDOW of them. */
const BUCKET_MS = 100;
const WINDOW = 20;

/**
 * An adaptive concurrency limit by Little's law (the queue-time budget of Netflix's
 * concurrency-limits, without its gradient): orders in flight = throughput × latency, so to keep an
 * admitted order within `budgetMs` a process admits at most what it has finished over the last
 * two seconds, per second, times the budget. Under overload the limit settles where the system
 * finishes its orders within the budget; below capacity it is above what the load needs, so
 * nothing is shed. If the system grows faster, the orders in flight finish sooner and the measured
 * throughput, and with it the limit, grows until the system is saturated again.
 */
export class AdaptiveLimit {
  private inFlight = 0;
  private readonly buckets = new Array<number>(WINDOW).fill(0);
  private bucketAt = 0;

  constructor(private readonly settings: AdmissionSettings, private readonly now: () => number = () => performance.now()) {}

  /** The current limit: orders finished per second over the window × the budget, within [minLimit, ceiling]. */
  get limit(): number {
    this.roll();
    const perS = this.buckets.reduce((a, b) => a + b, 0) / ((WINDOW * BUCKET_MS) / 1000);
    const { ceiling, budgetMs, minLimit } = this.settings;
    return Math.min(ceiling, Math.max(minLimit, Math.ceil((perS * budgetMs) / 1000)));
  }

  /** Takes a slot, or answers false when the limit is reached. */
  tryAcquire(): boolean {
    if (this.inFlight >= this.limit) return false;
    this.inFlight += 1;
    return true;
  }

  /** Gives the slot back and counts one order finished (answered, whatever the answer). */
  release(): void {
    this.inFlight -= 1;
    this.roll();
    this.buckets[this.buckets.length - 1]! += 1;
  }

  /** Moves the window to now: buckets older than the window fall out. */
  private roll(): void {
    const bucket = Math.floor(this.now() / BUCKET_MS);
    if (this.bucketAt === 0) this.bucketAt = bucket;
    const passed = Math.min(WINDOW, bucket - this.bucketAt);
    if (passed <= 0) return;
    this.buckets.splice(0, passed);
    this.buckets.push(...new Array<number>(passed).fill(0));
    this.bucketAt = bucket;
  }
}

/**
 * Admission control (the model: Stripe's concurrent-requests limiter and load shedder, with the
 * limit adapted as above): past the limit one more order is refused at once with 503 UNAVAILABLE
 * and Retry-After, having moved nothing, rather than queueing for seconds behind the others. It
 * runs before authentication, so a shed request costs no database read.
 */
export function admission(limiter: AdaptiveLimit): MiddlewareHandler {
  return async (_c, next) => {
    if (!limiter.tryAcquire()) {
      throw new RetryLater('The system is at capacity; nothing was charged. Retry shortly.', 1);
    }
    try {
      await next();
    } finally {
      limiter.release();
    }
  };
}
