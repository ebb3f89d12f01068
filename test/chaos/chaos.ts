/**
 * The chaos run: fast-check generates command lists (fc.commands) and runs each with
 * fc.asyncModelRun against the real system and the model, checking after every step. Runs follow
 * one another (seed, seed + 1, …), each with its own users and at most `runSteps` commands, until
 * `steps` commands have run. The first failing run is shrunk, within `shrinkMs` of real time, and
 * reported with everything needed to replay it. A replay runs its one case (up to `replay.tries`
 * times, stopping at the first failure) and does not shrink.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type { AsyncCommand } from 'fast-check';
import { commandArbitrary } from './arbitraries.js';
import { WORKFLOW_START_GRACE_MS } from '../../src/services/workflow-check.js';
import { DirtyBaseline, baseline, beyond, reconciliation, verify, systemWallets, type Anomalies, type Baseline } from './check.js';
import { ApiClient } from './client.js';
import { type Real, type FiredFault } from './commands.js';
import { Model, type Person, type SystemWallets } from './model.js';
import { FIXED_CASES } from './fixed-cases.js';
import type { ChaosSystem } from './system.js';

export interface ChaosOptions {
  system: ChaosSystem;
  seed: number;
  /** Commands to run in all (the first execution of each run counts; shrinking does not). */
  steps: number;
  /** The most commands one fast-check run generates (its length is drawn from 0..runSteps). */
  runSteps: number;
  faultRate: number;
  shrinkMs: number;
  /** Replays one shrunk case: fast-check's path and fc.commands' replayPath from a failure's report; `tries` (default 1) times at most. */
  replay?: { path: string; replayPath?: string; tries?: number };
  /** The build is broken on purpose (CHAOS_BREAK, named here for the replay line): reconciliation need not be ok where a run begins. */
  breakage?: string;
  log: (line: string) => void;
}

export interface ChaosResult {
  ok: boolean;
  steps: number;
  runs: number;
  seeds: number[];
  faults: Record<string, number>;
  counts: Record<string, number>;
  /** Keyed requests sent again because a fault left their outcome unknown, by the answer that did. */
  retries: Record<string, number>;
  durationMs: number;
  report?: string;
  /** What reconciliation reported where the last run began (nothing, unless the build is broken on purpose). */
  tolerated: Anomalies;
}

type Cmd = AsyncCommand<Model, Real>;

/** Runs a command, then checks the API against the model. */
class Checked implements Cmd {
  constructor(readonly inner: Cmd, readonly base: Baseline) {}
  check = (m: Readonly<Model>) => this.inner.check(m);
  async run(m: Model, r: Real): Promise<void> {
    r.step += 1;
    await this.inner.run(m, r);
    await verify(r, m, this.base);
  }
  toString = () => this.inner.toString();
}

/** The run's own cast: three customers, two providers, the admin; three services with upgrades (one inactive). */
async function newCast(api: ApiClient, m: Model): Promise<void> {
  const person = async (name: string, role: 'customer' | 'provider'): Promise<void> => {
    const res = await api.admin('POST', '/admin/users', { name: `${m.runId} ${name}`, role });
    if (res.status !== 201) throw new Error(`creating ${name}: ${res.status} ${res.code ?? ''}`);
    m.people.set(name, { name, role, id: res.data.user.id, token: res.data.token } satisfies Person);
    m.balances.set(name, 0);
  };
  for (const c of ['c1', 'c2', 'c3']) await person(c, 'customer');
  for (const p of ['p1', 'p2']) await person(p, 'provider');
  // The admin's id matters nowhere: the transition table does not look at it, and its keys are scoped by name here.
  m.people.set('admin', { name: 'admin', role: 'admin', id: 0, token: api.adminToken });
  const service = async (provider: string, price: number, upgrades: { price: number; active: boolean }[]) => {
    const res = await api.admin('POST', '/admin/services', {
      provider_id: m.person(provider).id, name: `${m.runId} service`, price, status: 'ACTIVE',
      upgrades: upgrades.map((u, i) => ({ name: `upgrade ${i + 1}`, price: u.price, status: u.active ? 'ACTIVE' : 'INACTIVE' })),
    });
    if (res.status !== 201) throw new Error(`creating a service: ${res.status} ${res.code ?? ''}`);
    m.services.push({
      id: res.data.id, provider, price, active: true,
      upgrades: (res.data.upgrades as { id: number; price: number; status: string }[]).map((u) => ({ id: u.id, price: u.price, active: u.status === 'ACTIVE' })),
    });
  };
  await service('p1', 10_000, [{ price: 2_500, active: true }, { price: 1_500, active: true }, { price: 999, active: false }]);
  await service('p1', 777, [{ price: 333, active: true }]);
  await service('p2', 4_321, []);
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const api = new ApiClient(options.system.apiUrl, options.system.adminToken);
  const started = Date.now();
  const faults: Record<string, number> = {};
  const counts: Record<string, number> = {};
  const retries: Record<string, number> = {};
  const seeds: number[] = [];
  let steps = 0;
  let runs = 0;
  // Reconciliation must be ok where each run begins, unless the build is broken on purpose or an
  // earlier execution of this process failed (and left its anomalies in the shared ledger).
  let failedBefore = false;
  let tolerated: Anomalies = { found: new Set(), counts: new Map() };
  const done = () => (options.replay ? runs >= Math.max(1, options.replay.tries ?? 1) : steps >= options.steps);
  const env = options.breakage ? `CHAOS_BREAK=${options.breakage} ` : '';

  while (!done()) {
    const seed = options.replay ? options.seed : (options.seed + runs) | 0;
    seeds.push(seed);
    runs += 1;
    let first = true;
    let firstFailureAt: number | undefined;
    let lastFailing: { real: Real; error: string } | undefined;
    /** Set when the run's first execution found the ledger not ok before its first command: nothing to shrink. */
    let dirty: string | undefined;
    const runSteps = Math.min(options.runSteps, Math.max(1, options.steps - steps));

    const property = fc.asyncProperty(
      fc.commands([commandArbitrary(options.faultRate)], {
        maxCommands: options.replay ? options.runSteps : runSteps, size: 'max',
        ...(options.replay?.replayPath ? { replayPath: options.replay.replayPath } : {}),
      }),
      async (cmds) => {
        // Shrinking re-runs the system for real: past the cap, the remaining candidates are skipped.
        if (firstFailureAt !== undefined && Date.now() - firstFailureAt > options.shrinkMs) fc.pre(false);
        if (dirty !== undefined) fc.pre(false);
        const m = new Model(`chaos-${randomUUID().slice(0, 8)}`);
        const real: Real = { api, sys: options.system, started: Date.now(), step: 0, faults: [], lastFaultStep: -10, counts: new Map(), retries: new Map(), log: options.log };
        try {
          await newCast(api, m);
          const base = await baseline(api, options.breakage !== undefined || failedBefore);
          tolerated = base;
          const checked = [...cmds].map((c) => new Checked(c, base));
          await fc.asyncModelRun(() => ({ model: m, real }), checked);
          await verify(real, m, base, true);
        } catch (err) {
          if (err instanceof DirtyBaseline && !failedBefore) dirty = err.message;
          failedBefore = true;
          firstFailureAt ??= Date.now();
          lastFailing = { real, error: err instanceof Error ? err.message : String(err) };
          options.log(`  run failed at step ${real.step}${first ? '' : ' (shrinking)'}: ${lastFailing.error.split('\n')[0]}`);
          throw err;
        } finally {
          if (first) {
            steps += real.step;
            for (const f of real.faults) faults[f.kind] = (faults[f.kind] ?? 0) + 1;
            for (const [k, v] of real.counts) counts[k] = (counts[k] ?? 0) + v;
            for (const [k, v] of real.retries) retries[k] = (retries[k] ?? 0) + v;
            const retried = [...real.retries.values()].reduce((a, b) => a + b, 0);
            options.log(`seed ${seed}: ${real.step} steps, ${real.faults.length} faults, ${retried} retries; ${steps} steps in ${Math.round((Date.now() - started) / 1000)} s`);
          }
          first = false;
        }
      },
    );
    const details = await fc.check(property, {
      seed, numRuns: 1, ...(options.replay ? { path: options.replay.path, endOnFailure: true } : {}), verbose: fc.VerbosityLevel.None,
    });
    const result = { steps, runs, seeds, faults, counts, retries, tolerated };
    if (dirty !== undefined) {
      const report = [`CHAOS RUN FAILED`, `  seed: ${seed} (the run's first seed was ${options.seed}), before its first command:`, `    ${dirty.replaceAll('\n', '\n    ')}`].join('\n');
      return { ok: false, ...result, durationMs: Date.now() - started, report };
    }
    if (details.failed) {
      const shrunk = String(details.counterexample?.[0] ?? '(none)');
      const replayPath = /replayPath="([^"]*)"/.exec(shrunk)?.[1];
      const report = [
        `CHAOS RUN FAILED`,
        `  seed: ${seed} (the run's first seed was ${options.seed})`,
        `  shrunk commands (${details.numShrinks} shrinks${firstFailureAt !== undefined && Date.now() - firstFailureAt > options.shrinkMs ? ', shrinking capped' : ''}):`,
        `    ${shrunk}`,
        `  error of the last failing execution:`,
        `    ${lastFailing?.error.replaceAll('\n', '\n    ') ?? String(details.errorInstance)}`,
        `  faults fired in it: ${lastFailing?.real.faults.length ? lastFailing.real.faults.map(describeFault).join('; ') : 'none'}`,
        `  replay (runs this case once; a failure that depends on timing may need CHAOS_REPLAY_TRIES=3):`,
        `    ${env}CHAOS_SEED=${seed} CHAOS_RUN_STEPS=${options.replay ? options.runSteps : runSteps} CHAOS_FAULT_RATE=${options.faultRate} CHAOS_PATH=${details.counterexamplePath}${replayPath ? ` CHAOS_REPLAY_PATH='${replayPath}'` : ''} npm run chaos`,
      ].join('\n');
      return { ok: false, ...result, durationMs: Date.now() - started, report };
    }
  }
  return { ok: true, steps, runs, seeds, faults, counts, retries, tolerated, durationMs: Date.now() - started };
}

/** A little past the grace, for the check's own start lag and the clocks. */
export const FINAL_CHECK_DELAY_MS = WORKFLOW_START_GRACE_MS + 5_000;

/**
 * Once, at the end of a whole chaos process: the workflow check gives a delivery younger than
 * WORKFLOW_START_GRACE_MS time for its workflow to start, so a delivery of the last minute with no
 * running workflow is reported only after it. Waits that out, then reconciliation must report
 * nothing beyond `tolerated` (nothing at all on a sound build). Returns what it found, or undefined.
 */
export async function finalReconciliation(system: ChaosSystem, tolerated: Anomalies, log: (line: string) => void): Promise<string | undefined> {
  const api = new ApiClient(system.apiUrl, system.adminToken);
  log(`waiting ${FINAL_CHECK_DELAY_MS / 1000} s (the workflow check's start-up grace and 5 s) for the final reconciliation`);
  await sleep(FINAL_CHECK_DELAY_MS);
  const rec = await reconciliation(api);
  if (rec.status !== 200) return `final reconciliation: ${rec.status} ${rec.code ?? ''}`;
  const found = beyond(rec, tolerated);
  return found.length === 0 ? undefined : `final reconciliation, ${FINAL_CHECK_DELAY_MS / 1000} s after the last command:\n  ${found.join('\n  ')}`;
}

const describeFault = (f: FiredFault) => `${f.kind} at step ${f.step} (+${(f.atMs / 1000).toFixed(1)} s)${f.during ? ` during ${f.during}` : ''}`;

/**
 * The hand-written totals of fixed-cases.ts on the real system, independent of the model: each case's
 * order total and tax as answered, then its payout in the provider's wallet and the profit and tax
 * wallets. Runs once per system, before the generated runs.
 */
export async function checkFixedCases(system: ChaosSystem, log: (line: string) => void): Promise<void> {
  const api = new ApiClient(system.apiUrl, system.adminToken);
  const ok = (what: string, got: unknown, want: unknown) => {
    if (got !== want) throw new Error(`fixed case ${what}: ${String(got)}, written by hand as ${String(want)}`);
  };
  for (const c of FIXED_CASES) {
    const m = new Model(`fixed-${randomUUID().slice(0, 8)}`);
    const user = async (role: 'customer' | 'provider') => (await api.admin('POST', '/admin/users', { name: `${m.runId} ${role}`, role })).data;
    const provider = await user('provider');
    const customer = await user('customer');
    const service = await api.admin('POST', '/admin/services', {
      provider_id: provider.user.id, name: c.name, price: c.servicePrice, status: 'ACTIVE',
      upgrades: c.upgradePrices.map((price, i) => ({ name: `u${i}`, price, status: 'ACTIVE' })),
    });
    ok(`${c.name}: deposit`, (await api.admin('POST', `/admin/wallets/${customer.user.id}/deposit`, { amount: c.total }, randomUUID())).status, 201);
    const order = await api.call('POST', '/api/v1/orders', {
      token: customer.token, body: { service_id: service.data.id, method_type: 'wallet', upgrades_ids: service.data.upgrades.map((u: { id: number }) => u.id) },
    });
    ok(`${c.name}: order`, order.status, 201);
    ok(`${c.name}: tax`, order.data.tax, c.tax);
    ok(`${c.name}: total`, order.data.total, c.total);
    const before = await systemWallets(api);
    for (const [action, token] of [['start', provider.token], ['submit', provider.token], ['approve', customer.token]] as const) {
      ok(`${c.name}: ${action}`, (await api.call('POST', `/api/v1/deliveries/${order.data.delivery.id}/${action}`, { token })).status, 200);
    }
    const end = Date.now() + 30_000;
    const paid = async () => (await api.call('GET', '/api/v1/wallet', { token: provider.token })).data.balance as number;
    while (await paid() !== c.providerShare && Date.now() < end) await sleep(100);
    ok(`${c.name}: provider's share`, await paid(), c.providerShare);
    ok(`${c.name}: customer's balance`, (await api.call('GET', '/api/v1/wallet', { token: customer.token })).data.balance, 0);
    const after: SystemWallets = await systemWallets(api);
    ok(`${c.name}: profit`, after.profit - before.profit, c.profit);
    ok(`${c.name}: tax on profit`, after.tax - before.tax, c.profitTax);
    ok(`${c.name}: escrow released`, before['general-system'] - after['general-system'], c.total);
  }
  log(`fixed cases: ${FIXED_CASES.length} orders on the real system match the totals written by hand`);
}
