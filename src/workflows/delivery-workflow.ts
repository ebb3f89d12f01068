import {
  allHandlersFinished, ApplicationFailure, CancellationScope, condition, currentUpdateInfo, isCancellation, log,
  patched, proxyLocalActivities, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { DEADLINES, DELIVERY_ACTIONS, invalidTransitionMessage, isFinal, transition, type Actor, type DeliveryAction, type DeliveryStatus } from '../domain/delivery.js';
import { GUARD_REFUSED } from '../domain/errors.js';
import { runEventKey, updateEventKey } from '../domain/keys.js';
import { splitPayout } from '../domain/pricing.js';
import { ORDER_STATUS } from '../domain/vocabularies.js';
import { summary } from './activity-summary.js';
import {
  deliveryStateQuery, deliverySignals, deliveryUpdates,
  type DeliveryState, type DeliveryWorkflowInput, type TransitionRecord,
} from '../contracts/delivery.js';
import { refusalFailure } from '../contracts/refusals.js';
import { DeliveryStatusKey, OrderStatusKey } from '../contracts/search-attributes.js';

// Each write is one idempotent database transaction (event key, transfer keys): retried until the
// database answers, so a payout or refund, once decided, always lands exactly once. A write the
// database refuses (GUARD_REFUSED) is not retried: the workflow takes the database's word for it.
const settlementActivity = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

/**
 * After a Reset a run's own status may be stale (SYSTEM.md §7): an operator's signal the database
 * refuses is tried again from the database's status, and the run waits for the database to take its
 * final move before it ends. Runs recorded before this (no marker in their history) replay as they ran.
 */
const MOVES_CONFIRMED_BY_DATABASE = 'moves-confirmed-by-database';
/** How often a refused operator move is tried again from the database's status (each try reads it back). */
const OPERATOR_TRIES = 3;

const SYSTEM: Actor = { role: 'system', id: null };
const OPERATOR: Actor = { role: 'operator', id: null };

/**
 * One delivery of a paid order, from NEW to COMPLETED (payout) or CANCELLED (refund). Providers and
 * customers move it with Updates, operators with Signals or the Web UI's Cancel, and the deadlines
 * of DEADLINES stand in for whoever fails to act. The database has the last word on every move.
 */
export async function deliveryWorkflow(input: DeliveryWorkflowInput): Promise<DeliveryState> {
  const delivery = new DeliveryRun(input);
  delivery.listen();
  try {
    await delivery.untilFinal();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The Web UI's Cancel is an operator's cancel; a payout or refund already under way finishes.
    await CancellationScope.nonCancellable(() => delivery.cancelOnRequest());
  }
  // Let a racing Update finish (and answer its caller) before the workflow closes.
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  return delivery.state;
}

/** One run's state and moves: `setStatus()` is the one place its status changes. */
class DeliveryRun {
  readonly state: DeliveryState;
  private readonly parties: { customerId: number; providerId: number };
  private readonly runId = workflowInfo().runId;
  /** Bumped by every move (and every correction from the database): wakes the main loop. */
  private moves = 0;
  /** Moves are written in the order they were decided, one after the other. */
  private writes: Promise<unknown> = Promise.resolve();
  /** Moves decided and not yet settled: written, or refused and the database's state read back. */
  private inFlight = 0;

  constructor(private readonly input: DeliveryWorkflowInput) {
    this.parties = { customerId: input.customerId, providerId: input.providerId };
    this.state = {
      deliveryId: input.deliveryId, orderId: input.orderId, status: input.status ?? 'NEW', history: [...(input.history ?? [])],
      deadline: null, total: input.total, currency: input.currency, payout: splitPayout(input.total, input.rates),
      refusedSignals: [], refusedMoves: [],
    };
  }

  listen(): void {
    setHandler(deliveryStateQuery, () => this.state);
    for (const action of DELIVERY_ACTIONS) {
      setHandler(deliveryUpdates[action], async ({ actor, reason }) => {
        const done = await this.move(action, actor, reason, updateEventKey(this.input.deliveryId, currentUpdateInfo()!.id));
        if (!done) throw refusalFailure({ code: 'INVALID_TRANSITION', message: invalidTransitionMessage(action, this.state.status) });
        return this.state;
      }, {
        validator: ({ actor }) => {
          const verdict = transition(this.state.status, action, actor, this.parties);
          if (!verdict.ok) throw refusalFailure(verdict);
        },
      });
      setHandler(deliverySignals[action], async ({ reason } = {}) => {
        if (!transition(this.state.status, action, OPERATOR, this.parties).ok) {
          // An operator's mistake must never fail the workflow: note it where the query shows it.
          this.state.refusedSignals.push({ action, status: this.state.status, reason: reason ?? null, at: new Date().toISOString() });
          log.warn('refused operator signal', { action, status: this.state.status });
          return;
        }
        await this.operatorMove(action, reason, 'signal', this.moves);
      });
    }
  }

  /**
   * Waits for moves, acting on a deadline when nobody else does, until the delivery is final in the
   * database: a final move decided by a handler is only final once its write is taken (the database
   * may refuse it and hold the delivery open, after a Reset).
   */
  async untilFinal(): Promise<void> {
    this.showDetails();
    do {
      await this.untilDecidedFinal();
    } while (patched(MOVES_CONFIRMED_BY_DATABASE) && !(await this.finalInDatabase()));
    this.setDeadline(null);
  }

  /** Once no move is being written or read back, whether the status the database gave is final. */
  private async finalInDatabase(): Promise<boolean> {
    await condition(() => this.inFlight === 0);
    return isFinal(this.state.status);
  }

  private async untilDecidedFinal(): Promise<void> {
    while (!isFinal(this.state.status)) {
      const seen = this.moves;
      const rule = DEADLINES[this.state.status];
      const ms = rule && (rule.deadline === 'accept' ? this.input.deadlines.acceptTimeoutMs : this.input.deadlines.reviewTimeoutMs);
      this.setDeadline(rule && ms !== undefined ? { action: rule.action as 'cancel' | 'approve', at: new Date(Date.now() + ms).toISOString() } : null);
      if (!rule || ms === undefined) {
        await condition(() => this.moves !== seen);
        continue;
      }
      const acted = await condition(() => this.moves !== seen, ms, { summary: `${rule.action} if ${rule.because}` });
      if (!acted) await this.move(rule.action, SYSTEM, `${rule.because} within ${ms} ms`, runEventKey(this.input.deliveryId, this.runId, 'timer', seen));
    }
  }

  /** A cancellation request on an open delivery: the operator's cancel. On a final one: nothing. */
  async cancelOnRequest(): Promise<void> {
    await this.writes;
    // A cancel the database refuses (this run's status was stale, e.g. after a Reset) is tried again
    // from the database's status, so the run never ends with the delivery still open.
    for (let attempt = 0; attempt < OPERATOR_TRIES && !isFinal(this.state.status); attempt += 1) {
      await this.move('cancel', OPERATOR, 'cancellation requested for the workflow (Temporal Cancel)',
        runEventKey(this.input.deliveryId, this.runId, 'cancel-request', this.moves));
    }
    this.setDeadline(null);
  }

  /**
   * An operator's signal. When the database refuses it (this run's status was stale), it is tried
   * again from the database's status while the action is allowed there; where it is not, the
   * refusal stays in `refusedMoves` with the database's reason, for the operator to read.
   */
  private async operatorMove(action: DeliveryAction, reason: string | undefined, source: 'signal', seen: number): Promise<void> {
    if (await this.move(action, OPERATOR, reason, runEventKey(this.input.deliveryId, this.runId, source, seen))) return;
    if (!patched(MOVES_CONFIRMED_BY_DATABASE)) return;
    for (let attempt = 1; attempt < OPERATOR_TRIES && transition(this.state.status, action, OPERATOR, this.parties).ok; attempt += 1) {
      if (await this.move(action, OPERATOR, reason, runEventKey(this.input.deliveryId, this.runId, source, this.moves))) return;
    }
  }

  /**
   * Decides one move and writes it. The status changes before the first await, so of two moves
   * racing for the same state exactly one wins here. The write runs to its end even if the workflow
   * is cancelled meanwhile. Returns false when the database refused it (then the state is the
   * database's and the refusal is recorded).
   */
  private async move(action: DeliveryAction, actor: Actor, reason: string | undefined, eventKey: string): Promise<boolean> {
    const verdict = transition(this.state.status, action, actor, this.parties);
    if (!verdict.ok) throw refusalFailure(verdict);
    const record: TransitionRecord = { from: verdict.from, to: verdict.to, actorRole: actor.role, actorId: actor.id, reason: reason ?? null, at: new Date().toISOString() };
    this.setStatus(verdict.to);
    this.state.history.push(record);
    this.moves += 1;
    const what = verdict.to === 'COMPLETED' ? ', pay out' : verdict.to === 'CANCELLED' ? ', refund' : '';
    const write = this.writes.then(() => CancellationScope.nonCancellable(() => settlementActivity.recordTransition.executeWithOptions(
      summary(`${record.from} → ${record.to} by ${actor.role}${what}`),
      [{ deliveryId: this.input.deliveryId, orderId: this.input.orderId, eventKey, ...record }],
    )));
    this.writes = write.catch(() => undefined);
    this.inFlight += 1;
    try {
      await write;
      return true;
    } catch (err) {
      const refusal = guardRefusal(err);
      if (!refusal) throw err;
      await this.takeDatabaseState(action, record, refusal);
      return false;
    } finally {
      this.inFlight -= 1;
    }
  }

  /** The database refused a move: its status and history stand, and the refusal is on record. */
  private async takeDatabaseState(action: DeliveryAction, refused: TransitionRecord, why: string): Promise<void> {
    const stored = await CancellationScope.nonCancellable(() => settlementActivity.readDelivery.executeWithOptions(
      summary('read the delivery back after a refused write'), [{ deliveryId: this.input.deliveryId }],
    ));
    log.warn('the database refused a move', { action, from: refused.from, to: refused.to, why, status: stored.status });
    this.state.refusedMoves.push({ action, from: refused.from, to: refused.to, actorRole: refused.actorRole, why, at: refused.at });
    this.setStatus(stored.status);
    this.state.history = stored.history;
    this.moves += 1;
  }

  /**
   * The one place the status changes (reference-app-orders-go's updateStatus()): one search-attribute
   * upsert per change (none when it did not change; a cancelled delivery's order is REFUNDED), and the
   * UI's details.
   */
  private setStatus(status: DeliveryStatus): void {
    if (status !== this.state.status) {
      upsertSearchAttributes([
        { key: DeliveryStatusKey, value: status },
        ...(status === 'CANCELLED' ? [{ key: OrderStatusKey, value: ORDER_STATUS.REFUNDED }] : []),
      ]);
    }
    this.state.status = status;
    this.showDetails();
  }

  /** When the current timer acts (null: none), as the state query and the UI's details show it. */
  private setDeadline(deadline: DeliveryState['deadline']): void {
    this.state.deadline = deadline;
    this.showDetails();
  }

  /** The Web UI's current details: the status, the next automatic move, the escrow. */
  private showDetails(): void {
    const next = this.state.deadline ? `; ${this.state.deadline.action} automatically at ${this.state.deadline.at}` : '';
    setCurrentDetails(`Status: **${this.state.status}**${next}. Escrow ${this.state.total} ${this.state.currency}.`);
  }
}

/** The message of a write the database refused (the activity's failure, or its cause), else undefined. */
function guardRefusal(err: unknown): string | undefined {
  for (let e = err; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if (e instanceof ApplicationFailure && e.type === GUARD_REFUSED) return e.message;
  }
  return undefined;
}
