import type { Sql } from '../db/client.js';
import { createDeliveryForOrder } from '../db/deliveries.js';

export interface DeliveryActivityDeps {
  sql: Sql;
}

export function createDeliveryActivities({ sql }: DeliveryActivityDeps) {
  return {
    /** The seed's OrderObserver: the paid order gets its ServiceDelivery in status NEW. */
    async createDelivery(input: { deliveryId: string; orderId: string }): Promise<void> {
      await createDeliveryForOrder(sql, input);
    },
  };
}
