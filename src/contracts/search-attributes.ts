import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { DeliveryStatus } from '../domain/delivery.js';
import type { OrderStatus } from '../domain/vocabularies.js';

/**
 * The custom search attributes of SYSTEM.md §7. The dev server registers them from SEARCH_ATTRIBUTES
 * at start; an existing cluster gets them from `npm run temporal:setup`.
 */
export const OrderIdKey = defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD);
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const ProviderIdKey = defineSearchAttributeKey('ProviderId', SearchAttributeType.KEYWORD);
export const ServiceIdKey = defineSearchAttributeKey('ServiceId', SearchAttributeType.KEYWORD);
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const DeliveryStatusKey = defineSearchAttributeKey('DeliveryStatus', SearchAttributeType.KEYWORD);
export const OrderTotalKey = defineSearchAttributeKey('OrderTotal', SearchAttributeType.INT);

/** Every key above, by name, with the type name the dev server's `--search-attribute` flag takes. */
export const SEARCH_ATTRIBUTES = Object.fromEntries(
  [OrderIdKey, CustomerIdKey, ProviderIdKey, ServiceIdKey, OrderStatusKey, DeliveryStatusKey, OrderTotalKey]
    .map((key) => [key.name, key.type === SearchAttributeType.INT ? 'Int' : 'Keyword'] as const),
) as Record<string, 'Keyword' | 'Int'>;

/**
 * An order's search attributes, as a workflow starts with them: what is known so far (a new order
 * knows no provider or total yet; a resumed delivery knows everything).
 */
export function orderSearchAttributes(order: {
  orderId: string; customerId: number; serviceId: number; orderStatus: OrderStatus;
  providerId?: number; total?: number; deliveryStatus?: DeliveryStatus;
}): SearchAttributePair[] {
  return [
    { key: OrderIdKey, value: order.orderId },
    { key: CustomerIdKey, value: String(order.customerId) },
    { key: ServiceIdKey, value: String(order.serviceId) },
    { key: OrderStatusKey, value: order.orderStatus },
    ...(order.providerId === undefined ? [] : [{ key: ProviderIdKey, value: String(order.providerId) }]),
    ...(order.total === undefined ? [] : [{ key: OrderTotalKey, value: order.total }]),
    ...(order.deliveryStatus === undefined ? [] : [{ key: DeliveryStatusKey, value: order.deliveryStatus }]),
  ];
}
