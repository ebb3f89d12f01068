import { defineSignal } from '@temporalio/workflow';
import type { MethodType } from '../domain/payment.js';

/** The order workflow's contract: the API, the worker and the tests import names from here only. */
export const DEFAULT_TASK_QUEUE = 'orders';

export const ORDER_WORKFLOW_TYPE = 'orderWorkflow';
export const orderWorkflowId = (orderId: string): string => `order-${orderId}`;

export interface OrderWorkflowInput {
  orderId: string;
  customerId: number;
  serviceId: number;
  methodType: MethodType;
  upgradeIds: number[];
}

export interface OrderWorkflowResult {
  orderId: string;
  status: 'COMPLETED';
  total: number;
  currency: string;
  deliveryId: string;
}

/** Sent by the child DeliveryWorkflow once the delivery row exists, so the order answers with it. */
export const deliveryCreatedSignal = defineSignal<[{ deliveryId: string }]>('deliveryCreated');
