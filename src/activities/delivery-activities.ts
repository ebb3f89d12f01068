import type { Sql } from '../db/client.js';
import { createDeliveryForOrder } from '../db/deliveries.js';
import { applyTransition, type TransitionRow } from '../db/settlement.js';

export interface DeliveryActivityDeps {
  sql: Sql;
}

export function createDeliveryActivities({ sql }: DeliveryActivityDeps) {
  return {
    /** The seed's OrderObserver: the paid order gets its ServiceDelivery in status NEW. */
    async createDelivery(input: { deliveryId: string; orderId: string }): Promise<void> {
      await createDeliveryForOrder(sql, input);
    },

    /** Persists a transition, and pays out or refunds when it is final, atomically and once. */
    async recordTransition(input: TransitionRow): Promise<{ applied: boolean }> {
      return sql.begin((tx) => applyTransition(tx, input));
    },
  };
}
