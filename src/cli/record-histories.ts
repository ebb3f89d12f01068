/**
 * `npm run record:histories`: records the replay test's histories from today's workflow code,
 * against a fresh system of its own (temporary directory, free ports), into a new folder
 * test/workflows/histories/<UTC yyyymmdd-hhmm>/. Run it after a change to the workflows, and keep the
 * earlier folders: the replay test makes today's code replay every one of them, so a change that
 * running executions could not survive fails it (guard such a change with patched()). Delete an
 * old folder only for a deliberate break no running execution can meet, and say so in the commit.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { freePort } from '../runtime/free-port.js';
import { ensureTemporalCli } from '../runtime/temporal-cli.js';
import { startSystem } from '../system.js';
import { deliveryWorkflowId } from '../contracts/delivery.js';
import { orderWorkflowId } from '../contracts/order.js';

const stamp = new Date().toISOString().replace(/^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d).*$/, '$1$2$3-$4$5');
const OUT = new URL(`../../test/workflows/histories/${stamp}/`, import.meta.url);
await mkdir(OUT, { recursive: true });
const dataDir = await mkdtemp(join(tmpdir(), 'marketplace-record-'));
await chmod(dataDir, 0o755);
const config = loadConfig({
  DATA_DIR: dataDir, PORT: String(await freePort()), EMBEDDED_PG_PORT: String(await freePort()),
  TEMPORAL_PORT: String(await freePort()), TEMPORAL_UI_PORT: String(await freePort()), LOG_LEVEL: 'error',
  TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH,
});
const system = await startSystem(config, createLogger('error', 'record', 'json'));
const client = new Client({ connection: await Connection.connect({ address: system.temporalAddress }) });

async function api(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${system.apiUrl}/api/v1${path}`, {
    method, body: body ? JSON.stringify(body) : undefined,
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID(), ...(body ? { 'content-type': 'application/json' } : {}) },
  });
  const answer = { status: res.status, body: await res.json() as { data: any } }; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (res.status >= 300 && !path.startsWith('/orders')) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer.body)}`);
  return answer;
}
const user = async (role: string) => (await api('POST', '/admin/users', system.adminToken, { name: role, role })).body.data;
async function save(name: string, workflowId: string): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  await handle.result().catch(() => undefined);
  const history = await handle.fetchHistory();
  const { historyToJSON } = await import('@temporalio/common/lib/proto-utils.js');
  await writeFile(new URL(`${name}.json`, OUT), `${historyToJSON(history)}\n`);
  process.stdout.write(`recorded ${stamp}/${name} (${history.events?.length} events)\n`);
}

try {
  const provider = await user('provider');
  const customer = await user('customer');
  const service = (await api('POST', '/admin/services', system.adminToken, {
    provider_id: provider.user.id, name: 'Logo design', price: 10_000, upgrades: [{ name: 'Express', price: 2_500 }],
  })).body.data;
  await api('POST', `/admin/wallets/${customer.user.id}/deposit`, system.adminToken, { amount: 100_000 });
  const order = async () => (await api('POST', '/orders', customer.token, {
    service_id: service.id, method_type: 'wallet', upgrades_ids: [service.upgrades[0].id],
  })).body.data;
  const drive = (token: string, deliveryId: string, action: string, reason?: string) =>
    api('POST', `/deliveries/${deliveryId}/${action}`, token, reason ? { reason } : undefined);

  const completed = await order();
  await save('order-completed', orderWorkflowId(completed.id));
  for (const [token, action] of [[provider.token, 'start'], [provider.token, 'submit'], [customer.token, 'request-revision'],
    [provider.token, 'submit'], [customer.token, 'approve']] as const) {
    await drive(token, completed.delivery.id, action);
  }
  await save('delivery-completed', deliveryWorkflowId(completed.id));

  const cancelled = await order();
  await drive(customer.token, cancelled.delivery.id, 'cancel', 'changed my mind');
  await save('delivery-cancelled', deliveryWorkflowId(cancelled.id));

  const viaUi = await order();
  await drive(provider.token, viaUi.delivery.id, 'start');
  const handle = client.workflow.getHandle(deliveryWorkflowId(viaUi.id));
  await handle.signal('approve', { reason: 'refused: not REVIEWING' });
  await handle.cancel();
  await save('delivery-cancel-requested', deliveryWorkflowId(viaUi.id));

  // After a Reset to the first workflow task the run believes NEW while the database says
  // IN_PROGRESS: the operator's cancel is refused, then tried again from the database's status.
  const reset = await order();
  await drive(provider.token, reset.delivery.id, 'start');
  const cli = await ensureTemporalCli({ log: () => undefined });
  if (cli.kind === 'sdk-download') throw new Error('recording the Reset history needs the temporal CLI');
  await promisify(execFile)(cli.path, ['workflow', 'reset', '--workflow-id', deliveryWorkflowId(reset.id), '--type', 'FirstWorkflowTask',
    '--reason', 'record: reset', '--reapply-exclude', 'Signal', '--reapply-exclude', 'Update', '--address', system.temporalAddress]);
  await client.workflow.getHandle(deliveryWorkflowId(reset.id)).signal('cancel', { reason: 'after reset' });
  await save('delivery-reset-then-cancel-signal', deliveryWorkflowId(reset.id));

  const key = randomUUID();
  const refused = await fetch(`${system.apiUrl}/api/v1/orders`, {
    method: 'POST', body: JSON.stringify({ service_id: 2_000_000_000, method_type: 'wallet' }),
    headers: { authorization: `Bearer ${customer.token}`, 'content-type': 'application/json', 'idempotency-key': key },
  });
  if (refused.status !== 422) throw new Error(`expected a refusal, got ${refused.status}`);
  const [row] = await system.sql<{ orderId: string }[]>`SELECT order_id AS "orderId" FROM order_requests WHERE idempotency_key = ${key}`;
  await save('order-refused', orderWorkflowId(row!.orderId));
} finally {
  await client.connection.close();
  await system.stop();
  await rm(dataDir, { recursive: true, force: true });
}
