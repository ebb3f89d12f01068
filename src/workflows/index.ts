/**
 * The workflows the worker registers (src/temporal/worker.ts bundles this file): each by its export
 * name, which is its workflow type. Callers start them by the name and signature of their contract
 * (src/contracts), so the two are bound below at compile time: `npm run typecheck` fails when a
 * workflow is renamed or exported without a contract, or when its input or result and its
 * contract's signature differ. Types only: nothing below reaches the workflow bundle.
 */
import type { DELIVERY_WORKFLOW_TYPE, DeliveryWorkflow } from '../contracts/delivery.js';
import type { ORDER_WORKFLOW_TYPE, OrderWorkflow } from '../contracts/order.js';
import type * as registered from './index.js';

export { orderWorkflow } from './order-workflow.js';
export { deliveryWorkflow } from './delivery-workflow.js';

/** Every workflow type by its contract: the name callers start it by, and its signature. */
interface Contracts {
  order: { type: typeof ORDER_WORKFLOW_TYPE; signature: OrderWorkflow };
  delivery: { type: typeof DELIVERY_WORKFLOW_TYPE; signature: DeliveryWorkflow };
}

type Registered = typeof registered;
/** Exactly the same type (not merely assignable both ways, which an added optional field would be). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** Compiles only when given `true`. */
type Holds<T extends true> = T;
/** The workflow this file exports under a contract's name. */
type Exported<C extends Contracts[keyof Contracts]> = C['type'] extends keyof Registered ? Registered[C['type']] : `no workflow exported as ${C['type']}`;

export type WorkflowsKeepTheirContracts = [
  // This file exports a workflow under each contract's name, and nothing else.
  Holds<Same<keyof Registered, Contracts[keyof Contracts]['type']>>,
  // Each with its contract's signature.
  Holds<Same<Exported<Contracts['order']>, Contracts['order']['signature']>>,
  Holds<Same<Exported<Contracts['delivery']>, Contracts['delivery']['signature']>>,
];
