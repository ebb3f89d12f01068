import type { DeliveryDeadlines } from './delivery.js';
import type { MethodType } from './payment.js';
import type { OrderPrice, Rates } from './pricing.js';

/** Everything the order workflow knows once it has validated and priced a request. */
export interface OrderDraft {
  orderId: string;
  customerId: number;
  providerId: number;
  serviceId: number;
  serviceName: string;
  servicePrice: number;
  methodType: MethodType;
  upgrades: { id: number; name: string; price: number }[];
  price: OrderPrice;
  currency: string;
  rates: Rates;
  deadlines: DeliveryDeadlines;
}
