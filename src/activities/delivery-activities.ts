import type { Sql } from '../db/client.js';
import { findDelivery, historyOf } from '../db/deliveries.js';
import { applyTransition, type TransitionRow } from '../db/settlement.js';
import type { DeliveryStatus, TransitionRecord } from '../domain/delivery.js';
import type { Metrics } from '../observability/metrics.js';
import { refusalsAsFailures } from './failures.js';

export interface DeliveryActivityDeps {
  sql: Sql;
  /** Counts payouts, refunds and refused writes where this worker exposes metrics. */
  metrics?: Metrics;
}

export function createDeliveryActivities({ sql, metrics }: DeliveryActivityDeps) {
  return {
    /**
     * Persists a transition, and pays out or refunds when it is final, atomically and once. A write
     * the database refuses (the status moved on, the key names another move, escrow already
     * released) is a non-retryable GUARD_REFUSED failure that the workflow handles.
     */
    async recordTransition(input: TransitionRow): Promise<{ applied: boolean }> {
      const result = await refusalsAsFailures(() => sql.begin((tx) => applyTransition(tx, input)), metrics);
      if (result.applied && input.to === 'COMPLETED') metrics?.payouts.inc();
      if (result.applied && input.to === 'CANCELLED') metrics?.refunds.inc();
      return result;
    },

    /** The delivery as the database has it: what a workflow falls back on when a write was refused. */
    async readDelivery(input: { deliveryId: string }): Promise<{ status: DeliveryStatus; history: TransitionRecord[] }> {
      const delivery = await findDelivery(sql, input.deliveryId);
      if (!delivery) throw new Error(`delivery ${input.deliveryId} not found`);
      return { status: delivery.status, history: historyOf(delivery.history) };
    },
  };
}
