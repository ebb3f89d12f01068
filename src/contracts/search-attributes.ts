import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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

export const SEARCH_ATTRIBUTES = {
  OrderId: 'Keyword',
  CustomerId: 'Keyword',
  ProviderId: 'Keyword',
  ServiceId: 'Keyword',
  OrderStatus: 'Keyword',
  DeliveryStatus: 'Keyword',
  OrderTotal: 'Int',
} as const;
