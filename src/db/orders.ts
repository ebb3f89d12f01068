import type { DeliveryStatus } from '../domain/delivery.js';
import type { OrderStatus } from '../domain/vocabularies.js';
import type { Fragment, Sql, Tx } from './client.js';
import { createDeliveryForOrder } from './deliveries.js';
import { afterPosition, EXACT_TIME, ownerParam, pageOf, seekPlan, type Page, type Position } from './keyset.js';

import type { OrderedUpgrade, OrderRecord } from '../domain/order.js';
import type { MethodType } from '../domain/payment.js';

export interface Order {
  id: string;
  status: OrderStatus;
  customerId: number;
  providerId: number;
  serviceId: number;
  serviceName: string;
  methodType: MethodType;
  upgrades: OrderedUpgrade[];
  subtotal: number;
  tax: number;
  total: number;
  currency: string;
  taxRateBp: number;
  platformFeeBp: number;
  /** The delivery deadlines copied onto the order (null on orders placed before they were). */
  acceptTimeoutMs: number | null;
  reviewTimeoutMs: number | null;
  failureCode: string | null;
  paidAt: Date | null;
  createdAt: Date;
  delivery: { id: string; status: DeliveryStatus } | null;
}

/**
 * Records a paid order and, in the same transaction, its delivery in status NEW (the seed's
 * OrderObserver runs in the order's own transaction), so the answer's delivery exists the moment
 * the order does. Idempotent by order id: a retried activity finds the rows already there.
 */
export async function insertPaidOrder(sql: Sql, draft: OrderRecord, deliveryId: string): Promise<void> {
  await sql.begin(async (tx) => {
    const inserted = await insertOrder(tx, draft, { status: 'COMPLETED', deadlines: draft.deadlines, paidAt: tx`now()`, failureCode: null }, tx`DO NOTHING`);
    if (inserted === 0) return;
    if (draft.upgrades.length > 0) {
      await tx`INSERT INTO order_upgrades ${tx(draft.upgrades.map((u) => ({ order_id: draft.orderId, upgrade_id: u.id, name: u.name, price: u.price })))}`;
    }
    await createDeliveryForOrder(tx, { deliveryId, orderId: draft.orderId });
  });
}

/**
 * The compensation's record: the payment was refunded, so the order is FAILED whether or not
 * the COMPLETED row had been written before the failure.
 */
export async function markOrderFailed(sql: Tx, draft: OrderRecord, failureCode: string): Promise<void> {
  await insertOrder(sql, draft, { status: 'FAILED', deadlines: null, paidAt: null, failureCode },
    sql`DO UPDATE SET status = 'FAILED', failure_code = excluded.failure_code, updated_at = now()`);
}

/**
 * The one INSERT of an order row: the draft's columns and its outcome (a paid order keeps its
 * deadlines and when it was paid; a failed one its failure code). Returns how many rows it wrote.
 */
async function insertOrder(sql: Tx, draft: OrderRecord, outcome: {
  status: Extract<OrderStatus, 'COMPLETED' | 'FAILED'>;
  deadlines: OrderRecord['deadlines'] | null;
  paidAt: Fragment | null;
  failureCode: string | null;
}, onConflict: Fragment): Promise<number> {
  const written = await sql`
    INSERT INTO orders (id, customer_id, provider_id, service_id, service_name, service_price, method_type,
      status, subtotal, tax, total, currency, tax_rate_bp, platform_fee_bp, accept_timeout_ms, review_timeout_ms, paid_at, failure_code)
    VALUES (${draft.orderId}, ${draft.customerId}, ${draft.providerId}, ${draft.serviceId}, ${draft.serviceName},
      ${draft.servicePrice}, ${draft.methodType}, ${outcome.status}, ${draft.price.subtotal}, ${draft.price.tax},
      ${draft.price.total}, ${draft.currency}, ${draft.rates.taxRateBp}, ${draft.rates.platformFeeBp},
      ${outcome.deadlines?.acceptTimeoutMs ?? null}, ${outcome.deadlines?.reviewTimeoutMs ?? null}, ${outcome.paidAt}, ${outcome.failureCode})
    ON CONFLICT (id) ${onConflict} RETURNING id`;
  return written.length;
}

export async function findOrder(sql: Tx, id: string, customerId?: number): Promise<Order | undefined> {
  const [order] = await selectOrders(sql, sql`o.id = ${id} ${customerId === undefined ? sql`` : sql`AND o.customer_id = ${customerId}`}`, 1);
  return order;
}

export interface OrderListQuery { limit: number; status?: OrderStatus | undefined; after?: Position | undefined }

/**
 * A customer's orders, newest first, one keyset page (src/db/keyset.ts): an index seek on
 * orders_customer_newest, or orders_customer_status_newest with a status, at any depth (seekPlan).
 */
export async function listOrders(sql: Sql, customerId: number, query: OrderListQuery): Promise<Page<Order, Position>> {
  const rows = await seekPlan(sql, (tx) => {
    const status = query.status ? tx`AND o.status = ${query.status}` : tx``;
    return selectOrders(tx, tx`o.customer_id = ${ownerParam(tx, customerId)} ${status} ${afterPosition(tx, 'o', query.after)}`, query.limit + 1);
  });
  return pageOf(rows, query.limit, (o) => ({ at: o.exactCreatedAt, id: o.id }));
}

/** Orders newest first; `exactCreatedAt` is created_at to the microsecond, for a list's cursor. */
async function selectOrders(sql: Tx, where: Fragment, limit: number): Promise<(Order & { exactCreatedAt: string })[]> {
  return sql<(Order & { exactCreatedAt: string })[]>`
    SELECT o.id, o.status, o.customer_id AS "customerId", o.provider_id AS "providerId", o.service_id AS "serviceId",
      o.service_name AS "serviceName", o.method_type AS "methodType", o.subtotal, o.tax, o.total, o.currency,
      o.tax_rate_bp AS "taxRateBp", o.platform_fee_bp AS "platformFeeBp", o.failure_code AS "failureCode",
      o.accept_timeout_ms AS "acceptTimeoutMs", o.review_timeout_ms AS "reviewTimeoutMs",
      o.paid_at AS "paidAt", o.created_at AS "createdAt",
      to_char(o.created_at AT TIME ZONE 'UTC', ${EXACT_TIME}) AS "exactCreatedAt",
      coalesce((SELECT json_agg(json_build_object('id', u.upgrade_id, 'name', u.name, 'price', u.price) ORDER BY u.upgrade_id)
        FROM order_upgrades u WHERE u.order_id = o.id), '[]'::json) AS upgrades,
      (SELECT json_build_object('id', d.id, 'status', d.status) FROM service_deliveries d WHERE d.order_id = o.id) AS delivery
    FROM orders o WHERE ${where}
    ORDER BY o.created_at DESC, o.id DESC LIMIT ${limit}`;
}
