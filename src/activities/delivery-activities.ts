import type { Sql } from '../db/client.js';
import { createDeliveryForOrder } from '../db/deliveries.js';
import { applyTransition, type TransitionRow } from '../db/settlement.js';
import type { Metrics } from '../observability/metrics.js';

export interface DeliveryActivityDeps {
  sql: Sql;
  /** Counts payouts and refunds where this worker exposes metrics. */
  metrics?: Metrics;
}

export function createDeliveryActivities({ sql, metrics }: DeliveryActivityDeps) {
  return {
    /** The seed's OrderObserver: the paid order gets its ServiceDelivery in status NEW. */
    async createDelivery(input: { deliveryId: string; orderId: string }): Promise<void> {
      await createDeliveryForOrder(sql, input);
    },

    /** Persists a transition, and pays out or refunds when it is final, atomically and once. */
    async recordTransition(input: TransitionRow): Promise<{ applied: boolean }> {
      const result = await sql.begin((tx) => applyTransition(tx, input));
      if (result.applied && input.to === 'COMPLETED') metrics?.payouts.inc();
      if (result.applied && input.to === 'CANCELLED') metrics?.refunds.inc();
      return result;
    },
  };
}
