import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { installRuntime, type SdkLogLevel } from './runtime.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Bundles the workflow code once; tests and the all-in-one process reuse the bundle. */
export function bundleWorkflows(sdkLogLevel?: SdkLogLevel): Promise<WorkflowBundleWithSourceMap> {
  installRuntime(sdkLogLevel);
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  bundle?: WorkflowBundleWithSourceMap;
  /** The SDK logs each refused order as a failed workflow at WARN; ERROR keeps test output readable. */
  sdkLogLevel?: SdkLogLevel;
}

export async function createWorker(options: WorkerOptions): Promise<Worker> {
  installRuntime(options.sdkLogLevel);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    ...(options.bundle ? { workflowBundle: options.bundle } : { workflowsPath: WORKFLOWS_PATH }),
  });
}

const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
