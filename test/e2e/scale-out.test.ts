/**
 * Scale-out: the production roles as separate processes against the test run's dev server and
 * PostgreSQL. Two `npm run api` and two `npm run worker` processes (the real entry points) on a
 * task queue of their own, the workers loading the prebundled workflow code; 200 orders through
 * both APIs; one worker stopped with SIGTERM midway (it drains and exits), the other finishes the
 * work. Every order ends COMPLETED with exactly one payment, and the ledger reconciles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { hashToken } from '../../src/db/users.js';
import { freePort } from '../../src/runtime/free-port.js';
import { testSql } from '../support/db.js';
import { orderWorkflowId } from '../../src/contracts/order.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ORDERS = 200;
const CONCURRENCY = 20;
const STOP_AFTER = 80; // orders sent when the first worker gets SIGTERM
const CUSTOMERS = 20;
const PRICE = 1_000; // + 15% tax = 1150 per order
const TOTAL = 1_150;
const DEPOSIT = 20_000; // covers the 10 orders of each customer (11,500)

interface Role {
  name: string;
  child: ChildProcess;
  /** The process's last output lines, shown when something goes wrong. */
  output: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: boolean;
}

function spawnRole(name: string, entry: string, env: Record<string, string>): Role {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
    output.splice(0, Math.max(0, output.length - 40));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      role.exited = true;
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      output.push(String(err));
      role.exited = true;
      resolve({ code: null, signal: null });
    });
  });
  const role: Role = { name, child, output, exit, exited: false };
  return role;
}

const describeRole = (r: Role) => `${r.name} (pid ${r.child.pid}${r.exited ? `, exited ${r.child.exitCode ?? r.child.signalCode}` : ''}):\n  ${r.output.join('\n  ')}`;

async function until(what: string, check: () => Promise<boolean>, roles: Role[], timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    const dead = roles.find((r) => r.exited);
    if (dead) throw new Error(`${what}: ${describeRole(dead)}`);
    if (Date.now() > end) throw new Error(`${what}: not reached in ${timeoutMs} ms\n${roles.map(describeRole).join('\n')}`);
    await sleep(200);
  }
}

interface Answer { status: number; body: { success: boolean; code?: string; data: any } } // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(base: string, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe('scale-out: two API and two worker processes against one dev server', () => {
  const taskQueue = `scale-out-${randomUUID()}`;
  const adminToken = `mk_admin_scale_${randomBytes(16).toString('base64url')}`;
  const roles: Role[] = [];
  let apis: [string, string];
  let workers: [Role, Role];
  let client: Client;
  let sql: Sql;
  /** Set by afterAll: a timed-out test body must not go on sending orders during the cleanup. */
  let cleaningUp = false;

  /** Is a workflow poller of this process on the task queue? (Identity is `<pid>@<host>`.) */
  async function polling(worker: Role): Promise<boolean> {
    const answer = await client.workflowService.describeTaskQueue({
      namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    });
    return (answer.pollers ?? []).some((p) => p.identity?.startsWith(`${worker.child.pid}@`));
  }

  beforeAll(async () => {
    sql = testSql();
    client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
    const common = {
      DATABASE_URL: inject('databaseUrl'), TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: taskQueue, ADMIN_TOKEN: adminToken, DATABASE_POOL_SIZE: '10',
      // This test proves scale-out, not shedding: each API admits its share of the 20 in flight at once.
      ADMISSION_MIN_LIMIT: String(CONCURRENCY),
    };
    const ports = [await freePort(), await freePort()];
    // All four start at once: migrations and the bootstrap admin run under advisory locks.
    for (const [i, port] of ports.entries()) {
      roles.push(spawnRole(`api-${i + 1}`, 'api.ts', { ...common, PORT: String(port) }));
    }
    for (const i of [1, 2]) {
      // METRICS_PORT: a worker serves its own /metrics, so two on one machine need two ports.
      // WORKFLOW_BUNDLE_PATH: the prebundled workflow code, as `npm run build` makes for production.
      roles.push(spawnRole(`worker-${i}`, 'worker.ts', {
        ...common, METRICS_PORT: String(await freePort()), WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
      }));
    }
    apis = [`http://127.0.0.1:${ports[0]}`, `http://127.0.0.1:${ports[1]}`];
    workers = [roles[2]!, roles[3]!];
    await Promise.all([
      ...apis.map((api) => until(`${api}/ready`, async () => (await fetch(`${api}/ready`)).status === 200, roles)),
      ...workers.map((w) => until(`${w.name} polling ${taskQueue}`, () => polling(w), roles)),
    ]);
  }, 120_000);

  afterAll(async () => {
    cleaningUp = true;
    // After a failure, order workflows may still be running on this test's task queue; once its
    // workers are gone nobody would finish them and their escrow would fail the suite's final
    // reconciliation. Give a live worker up to 60 s to finish them first.
    if (client && roles.some((r) => r.name.startsWith('worker') && !r.exited)) {
      const running = `TaskQueue = "${taskQueue}" AND WorkflowType = "orderWorkflow" AND ExecutionStatus = "Running"`;
      await until('order workflows finished', async () => (await client.workflow.count(running)).count === 0, [], 60_000)
        .catch((err: unknown) => process.stderr.write(`scale-out cleanup: ${String(err)}\n`));
    }
    // Every child ends with the test, even on failure: SIGTERM, then SIGKILL after 10 s.
    await Promise.all(roles.map(async (r) => {
      if (r.exited) return;
      r.child.kill('SIGTERM');
      const timer = setTimeout(() => r.child.kill('SIGKILL'), 10_000);
      await r.exit;
      clearTimeout(timer);
    }));
    await client?.connection.close();
    await sql?.end();
  }, 90_000);

  it('completes 200 orders through both APIs while one worker is stopped midway', async () => {
    const started = Date.now();
    const [api1, api2] = apis;
    const [stopped, survivor] = workers;

    // Fixtures through API #1 with the bootstrap admin of this test's ADMIN_TOKEN.
    const admin = { token: adminToken };
    const provider = await call(api1, 'POST', '/api/v1/admin/users', { ...admin, body: { name: 'Scale-out provider', role: 'provider' } });
    expect(provider.status, JSON.stringify(provider.body)).toBe(201);
    const service = await call(api1, 'POST', '/api/v1/admin/services', {
      ...admin, body: { provider_id: provider.body.data.user.id, name: 'Scale-out service', price: PRICE, upgrades: [] },
    });
    expect(service.status, JSON.stringify(service.body)).toBe(201);
    const customers = await Promise.all(Array.from({ length: CUSTOMERS }, async (_, i) => {
      const c = await call(api1, 'POST', '/api/v1/admin/users', { ...admin, body: { name: `Scale-out customer ${i}`, role: 'customer' } });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      const user = { id: c.body.data.user.id as number, token: c.body.data.token as string };
      const d = await call(api1, 'POST', `/api/v1/admin/wallets/${user.id}/deposit`, { ...admin, body: { amount: DEPOSIT }, headers: { 'idempotency-key': randomUUID() } });
      expect(d.status, JSON.stringify(d.body)).toBeLessThan(300);
      return user;
    }));

    // 200 orders, alternating between the APIs, 20 in flight at a time. When the 80th is sent the
    // first worker gets SIGTERM (worker.ts drains: worker.shutdown()); sending goes on meanwhile.
    const results: { i: number; api: string; sentAt: number; status: number; body: Answer['body'] }[] = [];
    let next = 0;
    let stopSentAt = 0;
    let stoppedAt = 0;
    let inFlightAtStop = 0;
    let inFlight = 0;
    let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
    const runner = async () => {
      while (next < ORDERS && !cleaningUp) {
        const i = next;
        next += 1;
        if (i === STOP_AFTER) {
          stopSentAt = Date.now();
          inFlightAtStop = inFlight;
          stopped.child.kill('SIGTERM');
          stopping = stopped.exit.then((exit) => {
            stoppedAt = Date.now();
            return exit;
          });
        }
        const api = i % 2 === 0 ? api1 : api2;
        const sentAt = Date.now();
        inFlight += 1;
        const res = await call(api, 'POST', '/api/v1/orders', {
          token: customers[i % CUSTOMERS]!.token,
          body: { service_id: service.body.data.id, method_type: 'wallet' },
        }).finally(() => { inFlight -= 1; });
        results.push({ i, api, sentAt, status: res.status, body: res.body });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, runner));
    const placedAt = Date.now();
    const exit = await stopping!;

    // Every order answered 201 COMPLETED with its delivery, from both APIs.
    const refused = results.filter((r) => r.status !== 201);
    expect(refused.map((r) => `${r.i}: ${r.status} ${JSON.stringify(r.body)}`)).toEqual([]);
    expect(results.filter((r) => r.api === api1)).toHaveLength(ORDERS / 2);
    expect(results.filter((r) => r.api === api2)).toHaveLength(ORDERS / 2);
    expect(results.every((r) => r.body.data.status === 'COMPLETED' && typeof r.body.data.delivery?.id === 'string')).toBe(true);

    // The stopped worker drained and exited cleanly; the other one is still running.
    expect(exit, describeRole(stopped)).toEqual({ code: 0, signal: null });
    expect(survivor.exited, describeRole(survivor)).toBe(false);

    // In the database: 200 COMPLETED orders, each with exactly one payment and one delivery.
    const orderIds = results.map((r) => r.body.data.id as string);
    const rows = await sql<{ status: string; payments: number; deliveries: number }[]>`
      SELECT o.status,
        (SELECT count(*)::int FROM transfers t WHERE t.order_id = o.id AND t.kind = 'order_payment') AS payments,
        (SELECT count(*)::int FROM service_deliveries d WHERE d.order_id = o.id) AS deliveries
      FROM orders o WHERE o.id = ANY(${orderIds}::uuid[])`;
    expect(rows).toHaveLength(ORDERS);
    expect(rows.filter((r) => r.status !== 'COMPLETED' || r.payments !== 1 || r.deliveries !== 1)).toEqual([]);
    const balances = await Promise.all(customers.map(async (c) => (await call(api2, 'GET', '/api/v1/wallet', { token: c.token })).body.data.balance as number));
    expect(balances).toEqual(Array(CUSTOMERS).fill(DEPOSIT - (ORDERS / CUSTOMERS) * TOTAL));

    // Two APIs started at once with the same ADMIN_TOKEN bootstrapped one admin, not two.
    const [admins] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM api_tokens WHERE token_hash = ${hashToken(adminToken)}`;
    expect(admins!.n).toBe(1);

    // Who did the work, from the workflows' histories: both workers before the stop; only the
    // survivor for every order sent after the stopped worker had exited.
    const identities = await Promise.all(results.map(async (r) => {
      const history = await client.workflow.getHandle(orderWorkflowId(r.body.data.id)).fetchHistory();
      const ids = new Set<string>();
      for (const e of history.events ?? []) {
        const identity = e.workflowTaskStartedEventAttributes?.identity ?? e.activityTaskStartedEventAttributes?.identity;
        if (identity) ids.add(identity.split('@')[0]!);
      }
      return { ...r, pids: ids };
    }));
    const [stoppedPid, survivorPid] = [String(stopped.child.pid), String(survivor.child.pid)];
    const beforeStop = identities.filter((r) => r.sentAt < stopSentAt);
    const afterExit = identities.filter((r) => r.sentAt > stoppedAt);
    expect(beforeStop.some((r) => r.pids.has(stoppedPid))).toBe(true);
    expect(beforeStop.some((r) => r.pids.has(survivorPid))).toBe(true);
    expect(afterExit.length).toBeGreaterThan(0);
    expect(afterExit.filter((r) => r.pids.size !== 1 || !r.pids.has(survivorPid)).map((r) => r.i)).toEqual([]);

    // And the ledger reconciles, as the API reports it.
    const reconciliation = await call(api2, 'GET', '/api/v1/admin/reconciliation', admin);
    expect(reconciliation.status).toBe(200);
    expect(reconciliation.body.data.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    expect(reconciliation.body.data.ok).toBe(true);

    const byStopped = identities.filter((r) => r.pids.has(stoppedPid)).length;
    const bySurvivor = identities.filter((r) => r.pids.has(survivorPid)).length;
    process.stdout.write(
      `scale-out: ${ORDERS} orders in ${((placedAt - started) / 1000).toFixed(1)} s; SIGTERM after ${STOP_AFTER} sent ` +
      `(${inFlightAtStop} in flight), worker exited ${((stoppedAt - stopSentAt) / 1000).toFixed(1)} s later; ` +
      `${afterExit.length} orders sent after its exit; orders touched by worker ${stoppedPid}: ${byStopped}, by worker ${survivorPid}: ${bySurvivor}\n`,
    );
  }, 180_000);
});
