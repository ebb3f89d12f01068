import type { Service } from '../db/catalog.js';
import type { Delivery } from '../db/deliveries.js';
import type { Order } from '../db/orders.js';
import type { ActorRole } from '../domain/delivery.js';

/** A time as the API shows it: ISO 8601 (JSON would turn a Date into the same string). */
const iso = (at: Date | string): string => new Date(at).toISOString();

/** Database records → the JSON shapes of SYSTEM.md §6 (snake_case, amounts in minor units). */
export function orderJson(order: Order) {
  return {
    id: order.id,
    status: order.status,
    customer_id: order.customerId,
    provider_id: order.providerId,
    service_id: order.serviceId,
    service_name: order.serviceName,
    method_type: order.methodType,
    upgrades: order.upgrades,
    subtotal: order.subtotal,
    tax: order.tax,
    total: order.total,
    currency: order.currency,
    tax_rate_bp: order.taxRateBp,
    platform_fee_bp: order.platformFeeBp,
    paid_at: order.paidAt === null ? null : iso(order.paidAt),
    created_at: iso(order.createdAt),
    delivery: order.delivery,
  };
}

export function deliveryJson(delivery: Delivery) {
  return {
    id: delivery.id,
    order_id: delivery.orderId,
    status: delivery.status,
    customer_id: delivery.customerId,
    provider_id: delivery.providerId,
    service_id: delivery.serviceId,
    service_name: delivery.serviceName,
    service_price: delivery.servicePrice,
    total: delivery.total,
    currency: delivery.currency,
    created_at: iso(delivery.createdAt),
    history: delivery.history.map((e) => ({
      from: e.from, to: e.to, actor_role: e.actorRole as ActorRole, actor_id: e.actorId, reason: e.reason, at: iso(e.at),
    })),
  };
}

export function serviceJson(service: Service) {
  return {
    id: service.id,
    provider_id: service.providerId,
    name: service.name,
    price: service.price,
    status: service.status,
    upgrades: service.upgrades.map(({ id, name, price, status }) => ({ id, name, price, status })),
  };
}
