import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';

/** The configuration of a test's own worker or API: the product's reader, on a task queue of the test's own. */
export function testConfig(taskQueue: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    TEMPORAL_TASK_QUEUE: taskQueue, WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'), LOG_LEVEL: 'error',
    DELIVERY_ACCEPT_TIMEOUT: '1h', DELIVERY_REVIEW_TIMEOUT: '1h', ...env,
  });
}
