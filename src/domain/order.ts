import type { DeliveryDeadlines } from './delivery.js';
import type { MethodType } from './payment.js';
import type { OrderPrice, Rates } from './pricing.js';

/**
 * One order, one shape, from the route to the database: each step adds to it and renames nothing.
 *
 *   OrderRequest (the route reads the body) → PlacedOrder (+ order id and customer: the order
 *   workflow's input) → + CatalogTerms (the validating activity's answer) → OrderDraft (+ price,
 *   in the workflow) → OrderRecord (what src/db/orders.ts writes: one INSERT).
 */

/** An upgrade as an order carries it: its name and price when it was ordered. */
export interface OrderedUpgrade { id: number; name: string; price: number }

/** What the customer asks for. */
export interface OrderRequest {
  serviceId: number;
  methodType: MethodType;
  upgradeIds: number[];
}

/** The request placed: its order id (and so its workflow id) and who placed it. */
export interface PlacedOrder extends OrderRequest {
  orderId: string;
  customerId: number;
}

/** What the catalog and the rules in force add once the request is checked (snapshotted then). */
export interface CatalogTerms {
  providerId: number;
  serviceName: string;
  servicePrice: number;
  upgrades: OrderedUpgrade[];
  rates: Rates;
  currency: string;
  deadlines: DeliveryDeadlines;
}

/** Everything the order workflow knows once it has validated and priced a request. */
export interface OrderDraft extends PlacedOrder, CatalogTerms {
  price: OrderPrice;
}

/** What the database records of a draft: the chosen upgrades stand for their ids. */
export type OrderRecord = Omit<OrderDraft, 'upgradeIds'>;
