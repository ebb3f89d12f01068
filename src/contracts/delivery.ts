import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Actor, DeliveryAction, DeliveryDeadlines, DeliveryStatus, TransitionRecord } from '../domain/delivery.js';
import type { OrderDraft } from '../domain/order.js';
import type { PayoutSplit, Rates } from '../domain/pricing.js';

/** The delivery workflow's contract: the API, the worker and the tests import names from here only. */
export const DELIVERY_WORKFLOW_TYPE = 'deliveryWorkflow';
export const deliveryWorkflowId = (orderId: string): string => `delivery-${orderId}`;

export type { DeliveryDeadlines };

export interface DeliveryWorkflowInput {
  orderId: string;
  deliveryId: string;
  customerId: number;
  providerId: number;
  serviceId: number;
  total: number;
  currency: string;
  rates: Rates;
  deadlines: DeliveryDeadlines;
  /**
   * Where the delivery stands when this run starts: absent for a new delivery (NEW, no history);
   * set by an operator's resume, rebuilt from the database, so the new run continues from there.
   */
  status?: DeliveryStatus;
  history?: TransitionRecord[];
}

/** What a delivery's workflow needs of its order: the paid draft has it all; a resume reads it back. */
export type DeliveredOrder = Pick<OrderDraft, 'orderId' | 'customerId' | 'providerId' | 'serviceId' | 'currency' | 'rates' | 'deadlines'>
  & { price: Pick<OrderDraft['price'], 'total'> };

/**
 * The one place a DeliveryWorkflowInput is built: for a new delivery (the order workflow's child),
 * or, with where it stands in the database, for an operator's resume. The fields in the order the
 * running workflows were started with.
 */
export function deliveryWorkflowInput(
  order: DeliveredOrder, deliveryId: string, resumeFrom?: Pick<DeliveryWorkflowInput, 'status' | 'history'>,
): DeliveryWorkflowInput {
  return {
    orderId: order.orderId, deliveryId, customerId: order.customerId, providerId: order.providerId, serviceId: order.serviceId,
    total: order.price.total, currency: order.currency, rates: order.rates, deadlines: order.deadlines, ...resumeFrom,
  };
}

/** What a provider, customer or admin sends with a transition (an Update, from the API). */
export interface DeliveryCommand { actor: Actor; reason?: string }
/** What an operator sends with a signal from the Web UI or the CLI: the operator is the actor. */
export interface OperatorCommand { reason?: string }

export type { TransitionRecord };

export interface DeliveryState {
  deliveryId: string;
  orderId: string;
  status: DeliveryStatus;
  history: TransitionRecord[];
  /** When the current timer acts: an unstarted delivery is cancelled, an unreviewed one approved. */
  deadline: { action: 'cancel' | 'approve'; at: string } | null;
  total: number;
  currency: string;
  payout: PayoutSplit;
  refusedSignals: { action: DeliveryAction; status: DeliveryStatus; reason: string | null; at: string }[];
  /** Moves the workflow decided but the database refused (a Reset, a second run): never applied. */
  refusedMoves: { action: DeliveryAction; from: DeliveryStatus; to: DeliveryStatus; actorRole: Actor['role']; why: string; at: string }[];
}

/** The workflow's signature, so callers start it typed by name without importing workflow code. */
export type DeliveryWorkflow = (input: DeliveryWorkflowInput) => Promise<DeliveryState>;

// Updates (not signals) for the API: the caller learns at once whether the move was accepted, and
// a validator refuses an illegal move before it ever enters the workflow's history.
export const deliveryUpdates = {
  start: defineUpdate<DeliveryState, [DeliveryCommand]>('start'),
  submit: defineUpdate<DeliveryState, [DeliveryCommand]>('submit'),
  approve: defineUpdate<DeliveryState, [DeliveryCommand]>('approve'),
  'request-revision': defineUpdate<DeliveryState, [DeliveryCommand]>('request-revision'),
  cancel: defineUpdate<DeliveryState, [DeliveryCommand]>('cancel'),
} satisfies Record<DeliveryAction, unknown>;

// Signals of the same names for operators: fire-and-forget from the UI; a refused one is recorded.
export const deliverySignals = {
  start: defineSignal<[OperatorCommand]>('start'),
  submit: defineSignal<[OperatorCommand]>('submit'),
  approve: defineSignal<[OperatorCommand]>('approve'),
  'request-revision': defineSignal<[OperatorCommand]>('request-revision'),
  cancel: defineSignal<[OperatorCommand]>('cancel'),
} satisfies Record<DeliveryAction, unknown>;

export const deliveryStateQuery = defineQuery<DeliveryState>('state');

