import { randomUUID } from 'node:crypto';
import type { ErrorCode, FieldErrors } from '../domain/errors.js';
import type { Tx } from './client.js';

/** What an order's Idempotency-Key is bound to: its order id, and its refusal once there is one. */
export interface OrderRequestRow {
  orderId: string;
  requestHash: string;
  refusal: { code: ErrorCode; message: string; errors: FieldErrors | null } | null;
}

/** The key's row, created on first use with a new order id; the first request's hash stays. */
export async function claimOrderKey(sql: Tx, customerId: number, key: string, requestHash: string): Promise<OrderRequestRow> {
  await sql`INSERT INTO order_requests (customer_id, idempotency_key, request_hash, order_id)
    VALUES (${customerId}, ${key}, ${requestHash}, ${randomUUID()}) ON CONFLICT DO NOTHING`;
  const [row] = await sql<{ orderId: string; requestHash: string; code: ErrorCode | null; message: string | null; errors: FieldErrors | null }[]>`
    SELECT order_id AS "orderId", request_hash AS "requestHash", refusal_code AS code, refusal_message AS message,
      refusal_errors AS errors
    FROM order_requests WHERE customer_id = ${customerId} AND idempotency_key = ${key}`;
  const { orderId, code, message, errors } = row!;
  return { orderId, requestHash: row!.requestHash, refusal: code ? { code, message: message ?? '', errors } : null };
}

/** Keeps the first refusal with the key; a later one never overwrites it. */
export async function recordOrderRefusal(sql: Tx, orderId: string, refusal: { code: ErrorCode; message: string; errors?: FieldErrors }): Promise<void> {
  await sql`UPDATE order_requests SET refusal_code = ${refusal.code}, refusal_message = ${refusal.message},
      refusal_errors = ${refusal.errors ? sql.json(refusal.errors) : null}
    WHERE order_id = ${orderId} AND refusal_code IS NULL`;
}

/**
 * Binds a transition's Idempotency-Key (scoped to the user) to one action on one delivery; answers
 * whether this request is the one the key names.
 */
export async function claimTransitionKey(sql: Tx, userId: number, key: string, deliveryId: string, action: string): Promise<boolean> {
  await sql`INSERT INTO transition_requests (user_id, idempotency_key, delivery_id, action)
    VALUES (${userId}, ${key}, ${deliveryId}, ${action}) ON CONFLICT DO NOTHING`;
  const [row] = await sql<{ deliveryId: string; action: string }[]>`
    SELECT delivery_id AS "deliveryId", action FROM transition_requests WHERE user_id = ${userId} AND idempotency_key = ${key}`;
  return row!.deliveryId === deliveryId && row!.action === action;
}
