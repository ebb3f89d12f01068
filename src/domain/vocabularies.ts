/**
 * The business's closed vocabularies, each once: the database's CHECK constraints, the API's enums
 * and the workflows' statuses all read them from here. A list the code names word by word has its
 * typed constants beside it (`ORDER_STATUS.COMPLETED`).
 */

/** `{ A: 'A', B: 'B' }` for a list of names: the typed constants of a vocabulary. */
function constantsOf<const T extends readonly string[]>(names: T): { readonly [N in T[number]]: N } {
  return Object.fromEntries(names.map((name) => [name, name])) as { readonly [N in T[number]]: N };
}

/** An order's status: PENDING until paid, COMPLETED once paid, FAILED (compensated), REFUNDED (its delivery was cancelled). */
export const ORDER_STATUSES = ['PENDING', 'COMPLETED', 'FAILED', 'REFUNDED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const ORDER_STATUS = constantsOf(ORDER_STATUSES);

/** Whether a service or an upgrade may be ordered. */
export const CATALOG_STATUSES = ['ACTIVE', 'INACTIVE'] as const;
export type CatalogStatus = (typeof CATALOG_STATUSES)[number];

/** A user's role (the delivery's actors add `system` and `operator`: `ACTOR_ROLES` in delivery.ts). */
export const ROLES = ['customer', 'provider', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a ledger transfer is for. */
export const TRANSFER_KINDS = ['deposit', 'order_payment', 'payout_profit', 'payout_tax', 'payout_provider', 'refund'] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];
