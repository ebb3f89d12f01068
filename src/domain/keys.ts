/**
 * Every business key of SYSTEM.md §5 in one place: the ledger's transfer keys and the delivery
 * events' keys. Never the run ID of a workflow that a retry or a replay would change underneath a
 * key (a run ID appears only where a key must differ between runs: moves no caller names).
 */
export type PayoutPart = 'profit' | 'tax' | 'provider';

export const paymentKey = (orderId: string): string => `order:${orderId}:payment`;
export const payoutKey = (orderId: string, part: PayoutPart): string => `order:${orderId}:payout:${part}`;
export const refundKey = (orderId: string): string => `order:${orderId}:refund`;
/** A deposit's key is the admin's Idempotency-Key, scoped to the receiving user. */
export const depositKey = (userId: number, idempotencyKey: string): string => `deposit:${userId}:${idempotencyKey}`;

/** The event of a delivery's creation (status NEW), written with the order. */
export const deliveryCreatedKey = (deliveryId: string): string => `delivery:${deliveryId}:created`;
/** The event of a transition made by an Update: lets a retried HTTP call find its own move. */
export const updateEventKey = (deliveryId: string, updateId: string): string => `delivery:${deliveryId}:update:${updateId}`;
/** Moves no caller names (operators' signals, timers, a cancellation request): unique across runs. */
export const runEventKey = (deliveryId: string, runId: string, source: 'signal' | 'timer' | 'cancel-request', n: number): string =>
  `delivery:${deliveryId}:${source}:${runId}:${n}`;
/** The Update ID of a transition sent with an Idempotency-Key: the key is the user's, so the user is in it. */
export const transitionUpdateId = (userId: number, idempotencyKey: string): string => `user:${userId}:${idempotencyKey}`;
