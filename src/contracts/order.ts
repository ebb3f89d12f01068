import { defineUpdate } from '@temporalio/workflow';
import type { PlacedOrder } from '../domain/order.js';
import type { ORDER_STATUS } from '../domain/vocabularies.js';

/** The order workflow's contract: the API, the worker and the tests import names from here only. */
export const ORDER_WORKFLOW_TYPE = 'orderWorkflow';
export const orderWorkflowId = (orderId: string): string => `order-${orderId}`;
/** The reverse: the order id of an `order-<orderId>` workflow id. */
export const orderIdOfOrderWorkflow = (workflowId: string): string => workflowId.replace(/^order-/, '');

/** The order as placed (src/domain/order.ts), unchanged on the wire. */
export type OrderWorkflowInput = PlacedOrder;

/** The workflow's signature, so callers start it typed by name without importing workflow code. */
export type OrderWorkflow = (input: OrderWorkflowInput) => Promise<OrderWorkflowResult>;

export interface OrderWorkflowResult {
  orderId: string;
  status: typeof ORDER_STATUS.COMPLETED;
  total: number;
  currency: string;
  deliveryId: string;
}

/**
 * The API starts the order with this Update (Update-with-Start): it answers as soon as the order is
 * paid and recorded with its delivery, before the DeliveryWorkflow starts. One ID per order, so a
 * retried request joins the same update and gets the same outcome.
 */
export const placeOrderUpdate = defineUpdate<OrderWorkflowResult, [Record<string, never>]>('placeOrder');
export const PLACE_ORDER_UPDATE_ID = 'place-order';
