/**
 * `npm run temporal:setup`: registers the custom search attributes of SYSTEM.md §7 on an existing
 * cluster and namespace (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS or API key settings). Safe to run
 * again: attributes already there are left alone. The dev server of `npm start` needs none of this.
 */
import proto from '@temporalio/proto';
import { loadConfigOrExit } from '../config.js';
import { devServerAddress } from '../runtime/dev-server.js';
import { connectClient } from '../temporal/connection.js';
import { SEARCH_ATTRIBUTES } from '../contracts/search-attributes.js';

const { IndexedValueType } = proto.temporal.api.enums.v1;
const TYPES = { Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, Int: IndexedValueType.INDEXED_VALUE_TYPE_INT };

const config = loadConfigOrExit();
const address = config.temporal.address ?? devServerAddress(config.temporal.devServerPort);
const client = await connectClient(config.temporal, address);
try {
  const namespace = config.temporal.namespace;
  const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !known.has(name));
  for (const [name] of Object.entries(SEARCH_ATTRIBUTES).filter(([n]) => known.has(n))) {
    process.stdout.write(`already registered  ${name}\n`);
  }
  if (missing.length > 0) {
    await client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, TYPES[type]])),
    });
    for (const [name, type] of missing) process.stdout.write(`registered          ${name} (${type})\n`);
  }
  process.stdout.write(`search attributes ready on ${address}, namespace ${namespace}\n`);
} catch (err) {
  process.stderr.write(`temporal:setup failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await client.connection.close();
}
