import { fileURLToPath } from 'node:url';
import type { Duration } from '@temporalio/common';
import { bundleWorkflowCode, Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type Activities, type ActivityDeps } from '../activities/index.js';
import { installSdkRuntime } from './sdk-runtime.js';

const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * The stateless modules the workflows import (rules, words, contracts), evaluated once per worker
 * thread rather than once per workflow run: the SDK's reusable V8 context shares them (and freezes
 * their exports). Measured with `npm run bench` (BENCH_ORDERS=400, two runs each, alternating with
 * runs without it): the worker's CPU per order 19.7 / 20.0 ms against 21.3 / 22.0 ms, one order at a
 * time 3.5 / 3.6 × the floor against 4.5 / 3.9 ×. A module holding per-workflow state must never be
 * listed here.
 */
const PRELOADED_MODULES = [
  ...['delivery', 'errors', 'keys', 'money', 'pricing', 'vocabularies'].map((name) => `../domain/${name}.ts`),
  ...['delivery', 'order', 'refusals', 'search-attributes'].map((name) => `../contracts/${name}.ts`),
].map((path) => fileURLToPath(new URL(path, import.meta.url)));

/** Bundles the workflow code once: the test setup shares the bundle, `npm run build` writes it to a file. */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  installSdkRuntime(); // a no-op where the process's entry point installed it with its own options
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, preloadModules: PRELOADED_MODULES, logger: quietBundlerLogger });
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  bundle?: WorkflowBundleWithSourceMap;
  /** A bundle written by `npm run build`. */
  bundlePath?: string;
  /** Other workflow code to bundle instead of the product's (the bench's engine-floor workflows). */
  workflowsPath?: string;
  /** Wraps or replaces the real activities; the product passes none, the tests inject faults with it. */
  activities?: (real: Activities) => Activities;
  /**
   * Whether workflow stacks are recorded for the stack-trace query (WORKFLOW_STACK_TRACES). The SDK
   * has no option for it: patches/@temporalio+worker+1.24.0.patch reads the environment variable
   * in the workflow threads, which copy the environment when Worker.create starts them.
   */
  stackTraces: boolean;
  /** How long a workflow task waits for the worker that ran its workflow last (SDK default 10 s). */
  stickyQueueScheduleToStartTimeout?: Duration;
}

export async function createWorker(options: WorkerOptions): Promise<Worker> {
  installSdkRuntime();
  process.env.WORKFLOW_STACK_TRACES = options.stackTraces ? 'on' : 'off';
  const activities = createActivities(options.deps);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities?.(activities) ?? activities,
    ...(options.stickyQueueScheduleToStartTimeout ? { stickyQueueScheduleToStartTimeout: options.stickyQueueScheduleToStartTimeout } : {}),
    ...(options.workflowsPath ? { workflowsPath: options.workflowsPath }
      : options.bundle ? { workflowBundle: options.bundle }
      : options.bundlePath ? { workflowBundle: { codePath: options.bundlePath } }
        : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: PRELOADED_MODULES } }),
  });
}

const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
