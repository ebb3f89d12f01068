import { createDeliveryActivities, type DeliveryActivityDeps } from './delivery-activities.js';
import { createOrderActivities, type OrderActivityDeps } from './order-activities.js';

export type ActivityDeps = OrderActivityDeps & DeliveryActivityDeps;

/** Every activity the worker registers, built from the connections the worker owns. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createOrderActivities(deps),
    ...createDeliveryActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
