import {
  allHandlersFinished, ApplicationFailure, condition, currentUpdateInfo, getExternalWorkflowHandle, log, patched,
  proxyLocalActivities, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { DELIVERY_ACTIONS, isFinal, transition, type Actor, type DeliveryAction } from '../domain/delivery.js';
import { splitPayout } from '../domain/pricing.js';
import { summary } from './activity-summary.js';
import {
  deliveryStateQuery, deliverySignals, deliveryUpdates, updateEventKey,
  type DeliveryState, type DeliveryWorkflowInput,
} from './delivery-contract.js';
import { deliveryCreatedSignal } from './order-contract.js';
import { DeliveryStatusKey, OrderStatusKey } from './search-attributes.js';

// Each write is one idempotent database transaction (event key, transfer keys): retried until the
// database answers, so a payout or refund, once decided, always lands exactly once.
const recordActivity = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

const NO_DELIVERY_WAIT = 'order-answers-without-waiting-for-the-delivery';
const SYSTEM: Actor = { role: 'system', id: null };
const OPERATOR: Actor = { role: 'operator', id: null };

/**
 * One delivery of a paid order, from NEW to COMPLETED (payout) or CANCELLED (refund). Providers and
 * customers move it with Updates, operators with Signals, and two timers stand in for whoever
 * fails to act: an unstarted delivery is cancelled, an unreviewed one approved.
 */
export async function deliveryWorkflow(input: DeliveryWorkflowInput): Promise<DeliveryState> {
  const parties = { customerId: input.customerId, providerId: input.providerId };
  const state: DeliveryState = {
    deliveryId: input.deliveryId, orderId: input.orderId, status: 'NEW', history: [], deadline: null,
    total: input.total, currency: input.currency, payout: splitPayout(input.total, input.rates), refusedSignals: [],
  };
  let created = false;
  let moves = 0;

  /** Decides and applies one move. The status changes before the first await, so of two moves
   * racing for the same state exactly one wins; the other is refused as an invalid transition. */
  async function move(action: DeliveryAction, actor: Actor, reason: string | undefined, eventKey: string): Promise<DeliveryState> {
    const verdict = transition(state.status, action, actor, parties);
    if (!verdict.ok) throw ApplicationFailure.create({ type: verdict.code, message: verdict.message, nonRetryable: true });
    const record = { from: verdict.from, to: verdict.to, actorRole: actor.role, actorId: actor.id, reason: reason ?? null, at: new Date().toISOString() };
    state.status = verdict.to;
    state.history.push(record);
    moves += 1;
    showStatus();
    await condition(() => created);
    const what = verdict.to === 'COMPLETED' ? ', pay out' : verdict.to === 'CANCELLED' ? ', refund' : '';
    await recordActivity.recordTransition.executeWithOptions(
      summary(`${record.from} → ${record.to} by ${actor.role}${what}`),
      [{ deliveryId: input.deliveryId, orderId: input.orderId, eventKey, ...record }],
    );
    return state;
  }

  function showStatus(): void {
    upsertSearchAttributes([
      { key: DeliveryStatusKey, value: state.status },
      ...(state.status === 'CANCELLED' ? [{ key: OrderStatusKey, value: 'REFUNDED' }] : []),
    ]);
    const next = state.deadline ? `; ${state.deadline.action} automatically at ${state.deadline.at}` : '';
    setCurrentDetails(`Status: **${state.status}**${next}. Escrow ${state.total} ${state.currency}.`);
  }

  setHandler(deliveryStateQuery, () => state);
  for (const action of DELIVERY_ACTIONS) {
    setHandler(deliveryUpdates[action], ({ actor, reason }) => move(action, actor, reason, updateEventKey(input.deliveryId, currentUpdateInfo()!.id)), {
      validator: ({ actor }) => {
        const verdict = transition(state.status, action, actor, parties);
        if (!verdict.ok) throw ApplicationFailure.create({ type: verdict.code, message: verdict.message, nonRetryable: true });
      },
    });
    setHandler(deliverySignals[action], async ({ reason } = {}) => {
      if (!transition(state.status, action, OPERATOR, parties).ok) {
        // An operator's mistake must never fail the workflow: note it where the query shows it.
        state.refusedSignals.push({ action, status: state.status, reason: reason ?? null, at: new Date().toISOString() });
        log.warn('refused operator signal', { action, status: state.status });
        return;
      }
      await move(action, OPERATOR, reason, `delivery:${input.deliveryId}:signal:${moves}`);
    });
  }

  await recordActivity.createDelivery.executeWithOptions(
    summary('create the service delivery (NEW)'), [{ deliveryId: input.deliveryId, orderId: input.orderId }],
  );
  created = true;
  showStatus();
  // Deliveries started before the order stopped waiting still tell it (and replay so).
  if (!patched(NO_DELIVERY_WAIT)) await tellParent(input.deliveryId);

  while (!isFinal(state.status)) {
    const seen = moves;
    const timed = state.status === 'NEW' ? { action: 'cancel' as const, ms: input.deadlines.acceptTimeoutMs }
      : state.status === 'REVIEWING' ? { action: 'approve' as const, ms: input.deadlines.reviewTimeoutMs } : undefined;
    state.deadline = timed ? { action: timed.action, at: new Date(Date.now() + timed.ms).toISOString() } : null;
    showStatus();
    if (!timed) {
      await condition(() => moves !== seen);
      continue;
    }
    const label = timed.action === 'cancel' ? 'provider has not started' : 'customer has not reviewed';
    const acted = await condition(() => moves !== seen, timed.ms, { summary: `${timed.action} if the ${label}` });
    if (!acted) {
      await move(timed.action, SYSTEM, `${label} within ${timed.ms} ms`, `delivery:${input.deliveryId}:timer:${seen}`);
    }
  }
  state.deadline = null;
  showStatus();
  // Let a racing Update finish (and answer its caller) before the workflow closes.
  await condition(allHandlersFinished);
  return state;
}

async function tellParent(deliveryId: string): Promise<void> {
  const parent = workflowInfo().parent;
  if (!parent) return;
  try {
    await getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(deliveryCreatedSignal, { deliveryId });
  } catch {
    // The order workflow stopped waiting and closed; the delivery is there all the same.
  }
}
