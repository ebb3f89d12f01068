import type { Rates } from '../domain/pricing.js';

export const deliveryWorkflowId = (orderId: string): string => `delivery-${orderId}`;

export interface DeliveryWorkflowInput {
  orderId: string;
  deliveryId: string;
  customerId: number;
  providerId: number;
  serviceId: number;
  total: number;
  currency: string;
  rates: Rates;
}
