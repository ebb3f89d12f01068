import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/config.js';
import { reconcile } from '../../src/db/reconciliation.js';
import { createLogger } from '../../src/logger.js';
import { freePort } from '../../src/runtime/free-port.js';
import { startSystem } from '../../src/system.js';
import { installSdkRuntime } from '../../src/temporal/sdk-runtime.js';
import { bundleWorkflows } from '../../src/temporal/worker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    adminToken: string;
    databaseUrl: string;
    temporalAddress: string;
    taskQueue: string;
    workflowBundlePath: string;
    temporalUiUrl: string;
  }
}

/**
 * Starts the real system once for the whole run: embedded PostgreSQL and the Temporal dev server
 * (unless DATABASE_URL / TEMPORAL_ADDRESS point elsewhere), the worker and the API, on free ports
 * and in a fresh data directory, so a run never touches `npm start`'s data.
 */
export default async function setup(project: TestProject) {
  const dataDir = await mkdtemp(join(tmpdir(), 'marketplace-test-'));
  await chmod(dataDir, 0o755); // PostgreSQL runs as its own user and must traverse this path
  const config = loadConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
    TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH,
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    EMBEDDED_PG_PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    TEMPORAL_TASK_QUEUE: `orders-test-${process.pid}`,
    LOG_LEVEL: 'error',
    // The money tests send 100 orders at once to prove the ledger, not the shedding: room for all,
    // from the first order on (the adaptive limit never falls below ADMISSION_MIN_LIMIT).
    // test/api/admission.test.ts proves the shedding on an app of its own.
    ORDERS_MAX_IN_FLIGHT: '500',
    ADMISSION_MIN_LIMIT: '500',
  });
  const log = createLogger('error', 'test-system', 'json');
  installSdkRuntime({ level: 'ERROR', logger: log, metricsBindAddress: `127.0.0.1:${await freePort()}` });
  const bundle = await bundleWorkflows();
  const bundlePath = join(dataDir, 'workflow-bundle.js');
  await writeFile(bundlePath, bundle.code);
  const system = await startSystem(config, log, { bundle });

  project.provide('apiUrl', system.apiUrl);
  project.provide('adminToken', system.adminToken);
  project.provide('databaseUrl', system.databaseUrl);
  project.provide('temporalAddress', system.temporalAddress);
  project.provide('taskQueue', config.temporal.taskQueue);
  project.provide('workflowBundlePath', bundlePath);
  project.provide('temporalUiUrl', system.temporalUiUrl ?? '');

  return async () => {
    // Every test leaves the shared ledger reconcilable: checked once more after the whole suite,
    // re-reading the whole ledger (the full mode also checks the history below the checkpoints
    // that the suite's default runs left).
    const report = await reconcile(system.sql, { mode: 'full' });
    process.stdout.write(`reconciliation after the whole suite: ${report.ok ? 'ok' : 'FAILED'}\n`);
    await system.stop();
    if (!report.ok) throw new Error(`reconciliation failed after the suite: ${JSON.stringify(report.checks.filter((c) => !c.ok))}`);
    await rm(dataDir, { recursive: true, force: true });
  };
}
