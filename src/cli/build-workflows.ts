/**
 * `npm run build`: bundles the workflow code once, so a worker started with
 * WORKFLOW_BUNDLE_PATH=dist/workflow-bundle.js loads it instead of bundling at every start (seconds
 * of CPU per replica) and every replica runs byte-for-byte the same workflow code.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { bundleWorkflows } from '../temporal/worker.js';

const bundle = await bundleWorkflows();
await mkdir('dist', { recursive: true });
await writeFile('dist/workflow-bundle.js', bundle.code);
await writeFile('dist/workflow-bundle.js.map', bundle.sourceMap);
process.stdout.write(`wrote dist/workflow-bundle.js (${Math.round(bundle.code.length / 1024)} KiB); start workers with WORKFLOW_BUNDLE_PATH=dist/workflow-bundle.js\n`);
