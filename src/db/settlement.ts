import type { DeliveryStatus, TransitionRecord } from '../domain/delivery.js';
import { payoutKey, refundKey, type PayoutPart } from '../domain/keys.js';
import { splitPayout } from '../domain/pricing.js';
import type { TransferKind } from '../domain/vocabularies.js';
import type { Tx } from './client.js';
import { asGuardRefusal, GuardRefusal, lockWallets, transferIn, type WalletRef } from './ledger.js';

/** A move to write: the record the workflow keeps, with the keys it is written under. */
export interface TransitionRow extends TransitionRecord {
  deliveryId: string;
  orderId: string;
  eventKey: string;
}

/**
 * One delivery transition in one database transaction: the event row, the delivery's status and
 * timestamps, and — when the delivery becomes final — the money: the payout's three transfers out
 * of escrow, or the refund with the order marked REFUNDED. The event key makes a retry a no-op;
 * anything else the database refuses (a stale status, a reused key, escrow already released) is a
 * GuardRefusal, and the transaction moves nothing.
 */
export async function applyTransition(tx: Tx, row: TransitionRow): Promise<{ applied: boolean }> {
  // A key already recorded is a retry of the same move (a no-op), or another move reusing it: refused.
  const [recorded] = await tx<{ from: DeliveryStatus | null; to: DeliveryStatus }[]>`
    SELECT from_status AS "from", to_status AS "to" FROM delivery_events WHERE event_key = ${row.eventKey}`;
  if (recorded) {
    if (recorded.from === row.from && recorded.to === row.to) return { applied: false };
    throw new GuardRefusal('event_key', `event key ${row.eventKey} already recorded ${recorded.from} → ${recorded.to}, not ${row.from} → ${row.to}`);
  }
  // Compare and set: the move happens only from the status it was decided in (the trigger of
  // migrations/002 also refuses any move off a final status or outside SYSTEM.md §4's table).
  const moved = await tx`UPDATE service_deliveries SET status = ${row.to}, updated_at = ${row.at},
      started_at = CASE WHEN ${row.to} = 'IN_PROGRESS' THEN coalesce(started_at, ${row.at}) ELSE started_at END,
      submitted_at = CASE WHEN ${row.to} = 'REVIEWING' THEN ${row.at}::timestamptz ELSE submitted_at END,
      completed_at = CASE WHEN ${row.to} = 'COMPLETED' THEN ${row.at}::timestamptz ELSE completed_at END,
      cancelled_at = CASE WHEN ${row.to} = 'CANCELLED' THEN ${row.at}::timestamptz ELSE cancelled_at END
    WHERE id = ${row.deliveryId} AND status = ${row.from} RETURNING id`.catch((err: unknown) => { throw asGuardRefusal(err) ?? err; });
  if (moved.length === 0) throw new GuardRefusal('status', `delivery ${row.deliveryId} is no longer ${row.from}; ${row.from} → ${row.to} refused`);
  await tx`
    INSERT INTO delivery_events (delivery_id, event_key, from_status, to_status, actor_role, actor_id, reason, created_at)
    VALUES (${row.deliveryId}, ${row.eventKey}, ${row.from}, ${row.to}, ${row.actorRole}, ${row.actorId}, ${row.reason}, ${row.at})`;
  if (row.to === 'COMPLETED') await payOut(tx, row.orderId);
  if (row.to === 'CANCELLED') await refund(tx, row.orderId);
  return { applied: true };
}

interface PaidOrder { customerId: number; providerId: number; total: number; taxRateBp: number; platformFeeBp: number }

async function paidOrder(tx: Tx, orderId: string): Promise<PaidOrder> {
  const [order] = await tx<PaidOrder[]>`
    SELECT customer_id AS "customerId", provider_id AS "providerId", total, tax_rate_bp AS "taxRateBp",
      platform_fee_bp AS "platformFeeBp" FROM orders WHERE id = ${orderId}`;
  if (!order) throw new Error(`order ${orderId} not found`);
  return order;
}

/** Escrow → profit, tax and provider, with the rates copied onto the order when it was placed. */
async function payOut(tx: Tx, orderId: string): Promise<void> {
  const order = await paidOrder(tx, orderId);
  const split = splitPayout(order.total, { taxRateBp: order.taxRateBp, platformFeeBp: order.platformFeeBp });
  const escrow: WalletRef = { system: 'general-system' };
  const parts: [WalletRef, number, TransferKind, PayoutPart][] = [
    [{ system: 'profit' }, split.profit, 'payout_profit', 'profit'],
    [{ system: 'tax' }, split.profitTax, 'payout_tax', 'tax'],
    [{ userId: order.providerId }, split.providerShare, 'payout_provider', 'provider'],
  ];
  await lockWallets(tx, [escrow, ...parts.map(([to]) => to)]);
  for (const [to, amount, kind, part] of parts) {
    // A part can round to zero on a tiny order; a transfer always moves something.
    if (amount > 0) await transferIn(tx, { key: payoutKey(orderId, part), from: escrow, to, amount, kind, orderId });
  }
}

async function refund(tx: Tx, orderId: string): Promise<void> {
  const order = await paidOrder(tx, orderId);
  await transferIn(tx, {
    key: refundKey(orderId), from: { system: 'general-system' }, to: { userId: order.customerId },
    amount: order.total, kind: 'refund', orderId,
  });
  await tx`UPDATE orders SET status = 'REFUNDED', updated_at = now() WHERE id = ${orderId}`;
}
