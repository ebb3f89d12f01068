/**
 * The engine floor's workflows (bench only): the least a workflow, a child start and an Update can
 * cost on this Temporal server with the product's worker options. Run by bench/floor-worker.ts on a
 * task queue of their own, driven by bench/floor-load.ts. No activities, no IO.
 */
import { condition, defineSignal, defineUpdate, ParentClosePolicy, setHandler, startChild } from '@temporalio/workflow';

/** Does nothing: one workflow task from start to completion. */
export async function floorNoop(): Promise<void> {}

/** Starts a no-op child it does not wait for (ABANDON), as an order starts its delivery, and completes. */
export async function floorParent(childId: string): Promise<void> {
  await startChild(floorNoop, { workflowId: childId, parentClosePolicy: ParentClosePolicy.ABANDON });
}

export const floorPing = defineUpdate<number, [number]>('floorPing');
export const floorFinish = defineSignal('floorFinish');

/** Answers Updates (as a delivery answers its transitions) until told to finish. */
export async function floorWaiter(): Promise<number> {
  let pings = 0;
  let finished = false;
  setHandler(floorPing, (n) => {
    pings += 1;
    return n;
  });
  setHandler(floorFinish, () => { finished = true; });
  await condition(() => finished);
  return pings;
}
