import { type ActorRole, type DeliveryStatus, type TransitionRecord } from '../domain/delivery.js';
import { deliveryCreatedKey } from '../domain/keys.js';
import type { Fragment, Sql, Tx } from './client.js';
import { afterPosition, EXACT_TIME, ownerParam, pageOf, seekPlan, type Page, type Position } from './keyset.js';

export interface DeliveryEvent {
  from: DeliveryStatus | null;
  to: DeliveryStatus;
  actorRole: string;
  actorId: number | null;
  reason: string | null;
  at: Date;
}

export interface Delivery {
  id: string;
  orderId: string;
  status: DeliveryStatus;
  customerId: number;
  providerId: number;
  serviceId: number;
  serviceName: string;
  servicePrice: number;
  total: number;
  currency: string;
  createdAt: Date;
  history: DeliveryEvent[];
}

/**
 * The seed's OrderObserver: a paid order gets a delivery in status NEW, copying the service's name
 * and price from the order and linking customer and provider. Idempotent by order id.
 */
export async function createDeliveryForOrder(sql: Tx, input: { deliveryId: string; orderId: string }): Promise<void> {
  await sql`
    WITH created AS (
      INSERT INTO service_deliveries (id, order_id, status, customer_id, provider_id, service_id, service_name,
        service_price, total, currency)
      SELECT ${input.deliveryId}, o.id, 'NEW', o.customer_id, o.provider_id, o.service_id, o.service_name,
        o.service_price, o.total, o.currency
      FROM orders o WHERE o.id = ${input.orderId} AND o.status = 'COMPLETED'
      ON CONFLICT (order_id) DO NOTHING RETURNING id, customer_id)
    INSERT INTO delivery_events (delivery_id, event_key, from_status, to_status, actor_role, actor_id)
    SELECT id, ${deliveryCreatedKey(input.deliveryId)}, NULL, 'NEW', 'system', NULL FROM created`;
}

export async function findDelivery(sql: Tx, id: string, viewer?: { userId: number }): Promise<Delivery | undefined> {
  const viewerFilter = viewer ? sql`AND (d.customer_id = ${viewer.userId} OR d.provider_id = ${viewer.userId})` : sql``;
  const [delivery] = await selectDeliveries(sql, sql`d.id = ${id} ${viewerFilter}`, 1);
  return delivery;
}

export interface DeliveryListQuery { limit: number; status?: DeliveryStatus | undefined; after?: Position | undefined }

/**
 * A customer sees the deliveries of its orders, a provider those of its services, an admin all;
 * newest first, optionally of one status, one keyset page (src/db/keyset.ts): an index seek on
 * service_deliveries_{customer,provider,}[_status]_newest at any depth (seekPlan).
 */
export async function listDeliveries(sql: Sql, viewer: { userId: number; role: string }, query: DeliveryListQuery): Promise<Page<Delivery, Position>> {
  const rows = await seekPlan(sql, (tx) => {
    const whose: Fragment = viewer.role === 'admin' ? tx`TRUE`
      : viewer.role === 'provider' ? tx`d.provider_id = ${ownerParam(tx, viewer.userId)}` : tx`d.customer_id = ${ownerParam(tx, viewer.userId)}`;
    const status = query.status ? tx`AND d.status = ${query.status}` : tx``;
    return selectDeliveries(tx, tx`${whose} ${status} ${afterPosition(tx, 'd', query.after)}`, query.limit + 1);
  });
  return pageOf(rows, query.limit, (d) => ({ at: d.exactCreatedAt, id: d.id }));
}

/** Deliveries newest first; `exactCreatedAt` is created_at to the microsecond, for a list's cursor. */
function selectDeliveries(sql: Tx, where: Fragment, limit: number): Promise<(Delivery & { exactCreatedAt: string })[]> {
  return sql<(Delivery & { exactCreatedAt: string })[]>`
    SELECT d.id, d.order_id AS "orderId", d.status, d.customer_id AS "customerId", d.provider_id AS "providerId",
      d.service_id AS "serviceId", d.service_name AS "serviceName", d.service_price AS "servicePrice", d.total,
      d.currency, d.created_at AS "createdAt", to_char(d.created_at AT TIME ZONE 'UTC', ${EXACT_TIME}) AS "exactCreatedAt",
      coalesce((SELECT json_agg(json_build_object('from', e.from_status, 'to', e.to_status, 'actorRole', e.actor_role,
          'actorId', e.actor_id, 'reason', e.reason, 'at', e.created_at) ORDER BY e.id)
        FROM delivery_events e WHERE e.delivery_id = d.id), '[]'::json) AS history
    FROM service_deliveries d WHERE ${where}
    ORDER BY d.created_at DESC, d.id DESC LIMIT ${limit}`;
}

export async function eventExists(sql: Tx, eventKey: string): Promise<boolean> {
  return (await sql`SELECT 1 FROM delivery_events WHERE event_key = ${eventKey}`).length > 0;
}

/** A delivery's events as its moves: every event after its creation, times as ISO strings. */
export function historyOf(events: DeliveryEvent[]): TransitionRecord[] {
  return events.flatMap((e) => e.from === null ? [] : [{
    from: e.from, to: e.to, actorRole: e.actorRole as ActorRole, actorId: e.actorId, reason: e.reason, at: new Date(e.at).toISOString(),
  }]);
}
