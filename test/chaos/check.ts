/**
 * After every step: every balance the API shows is the model's, the system wallets moved by what the
 * model says since the run began, the orders and deliveries the step touched have the model's
 * statuses (and history lengths), and reconciliation is ok. Money moved by a workflow after the
 * answer (a payout after approve, a refund after an operator's cancel) lands a moment later, so the
 * check is retried until it holds, within a bound that is longer after a fault.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './client.js';
import type { Model, ModelOrder, SystemWallets } from './model.js';
import { Mismatch, type Real } from './commands.js';

export const SETTLE_MS = 20_000;
export const SETTLE_AFTER_FAULT_MS = 90_000;

/**
 * Where the run began: the system wallets, once they stopped moving, and what reconciliation already
 * reported then. That must be nothing (baseline() refuses anything else) unless the build is broken
 * on purpose (CHAOS_BREAK) or an earlier run of this process failed: a failed run leaves a broken
 * ledger broken, and a later run, shrinking's candidates included, is judged by what it adds.
 */
export interface Anomalies {
  /** Each failing check's named items ("check: item"). */
  found: Set<string>;
  /** Each failing check's count of failing rows, the unnamed ones included (a check names at most 10). */
  counts: Map<string, number>;
}
export interface Baseline extends Anomalies { wallets: SystemWallets }

const NO_ANOMALIES: Anomalies = { found: new Set(), counts: new Map() };

export async function reconciliation(api: ApiClient): Promise<{ status: number; code?: string } & Anomalies> {
  const rec = await api.admin<{ ok: boolean; checks: { name: string; ok: boolean; detail: string }[] }>('GET', '/admin/reconciliation');
  if (rec.status !== 200) return { status: rec.status, ...(rec.code ? { code: rec.code } : {}), ...NO_ANOMALIES };
  const found = new Set<string>();
  const counts = new Map<string, number>();
  for (const c of rec.data.checks.filter((x) => !x.ok)) {
    const named = items(c.detail);
    for (const item of named) found.add(`${c.name}: ${item}`);
    counts.set(c.name, inAll(c.detail) ?? named.length);
  }
  return { status: 200, found, counts };
}

/**
 * A report's detail as the things it names, each with what is off about it: "14 (balance 39080,
 * transfers 39079)" becomes "14 (off by 1)", so a wallet that stays off by the same amount while
 * money moves through it is the same anomaly, and one that drifts further is a new one. A check
 * names at most its first 10 failing rows ("…, … (12 in all)"): past those, only inAll() counts them.
 */
function items(detail: string): string[] {
  const named = detail.match(/[\w-]+ \([^)]*\)/g)?.filter((item) => !/^\d+ in all$/.test(item.slice(item.indexOf('(') + 1, -1)));
  if (!named?.length) return [detail];
  return named.map((item) => item.replace(/\(balance (-?\d+), transfers (-?\d+)\)/, (_, b: string, t: string) => `(off by ${Number(b) - Number(t)})`));
}
const inAll = (detail: string): number | undefined => {
  const n = /\((\d+) in all\)/.exec(detail)?.[1];
  return n === undefined ? undefined : Number(n);
};

/**
 * What reconciliation reports beyond `base`: every named item it did not have, and, for a check with
 * no new named item, more failing rows in all than it had (a new one past the first 10 named).
 * A row that stops failing while another past the first 10 starts is still missed; the count of
 * each check then stays the same, and the end of each run re-checks every order and delivery.
 */
export function beyond(now: Anomalies, base: Anomalies): string[] {
  const out: string[] = [];
  for (const found of now.found) if (!base.found.has(found)) out.push(`reconciliation: ${found}`);
  for (const [check, n] of now.counts) {
    const was = base.counts.get(check) ?? 0;
    if (n > was && !out.some((o) => o.startsWith(`reconciliation: ${check}: `))) {
      out.push(`reconciliation: ${check}: ${n} failing rows in all, ${was} where the run began (past the 10 it names)`);
    }
  }
  return out;
}

async function differences(api: ApiClient, m: Model, baseline: Baseline, orders: readonly ModelOrder[]): Promise<string[]> {
  const base = baseline.wallets;
  const diffs: string[] = [];
  for (const p of m.people.values()) {
    if (p.role === 'admin') continue;
    const res = await api.call('GET', '/api/v1/wallet', { token: p.token });
    if (res.status !== 200) diffs.push(`wallet of ${p.name}: ${res.status} ${res.code ?? ''}`);
    else if (res.data.balance !== m.balances.get(p.name)) diffs.push(`wallet of ${p.name}: ${res.data.balance}, model ${m.balances.get(p.name)}`);
  }
  const sys = await api.admin<SystemWallets>('GET', '/admin/system-wallets');
  if (sys.status !== 200) diffs.push(`system wallets: ${sys.status} ${sys.code ?? ''}`);
  else {
    for (const name of ['general-system', 'tax', 'profit', 'external'] as const) {
      const moved = sys.data[name] - base[name];
      if (moved !== m.system[name]) diffs.push(`system wallet ${name} moved ${moved} since the run began, model ${m.system[name]}`);
    }
  }
  for (const o of orders) {
    const customer = m.person(o.customer);
    const order = await api.call('GET', `/api/v1/orders/${o.id}`, { token: customer.token });
    if (order.status !== 200 || order.data.status !== o.status) diffs.push(`order ${o.id}: ${order.status} ${order.data?.status ?? order.code}, model ${o.status}`);
    const d = await api.call('GET', `/api/v1/deliveries/${o.deliveryId}`, { token: customer.token });
    if (d.status !== 200 || d.data.status !== o.delivery || d.data.history.length !== o.history) {
      diffs.push(`delivery ${o.deliveryId}: ${d.status} ${d.data?.status ?? d.code} with ${d.data?.history?.length} moves, model ${o.delivery} with ${o.history}`);
    }
  }
  const rec = await reconciliation(api);
  if (rec.status !== 200) diffs.push(`reconciliation: ${rec.status} ${rec.code ?? ''}`);
  diffs.push(...beyond(rec, baseline));
  return diffs;
}

/** Holds once the API shows the model; throws what still differs when the bound is over. */
export async function verify(r: Real, m: Model, base: Baseline, all = false): Promise<void> {
  const orders = all ? m.orders : m.orders.filter((o) => m.touched.has(o.id));
  const bound = r.step - r.lastFaultStep <= 1 ? SETTLE_AFTER_FAULT_MS : SETTLE_MS;
  const end = Date.now() + bound;
  for (let pause = 50; ; pause = Math.min(pause * 2, 1_000)) {
    const diffs = await differences(r.api, m, base, orders);
    if (diffs.length === 0) break;
    if (Date.now() > end) throw new Mismatch(`after step ${r.step}, ${bound / 1000} s on:\n  ${diffs.join('\n  ')}`);
    await sleep(pause);
  }
  m.touched.clear();
}

/** Reconciliation was not ok where a run began, and nothing on purpose (CHAOS_BREAK) or before (a failed run) explains it. */
export class DirtyBaseline extends Error {}

/**
 * Where a run begins. `tolerate`: anomalies already reported are the baseline (CHAOS_BREAK, or an
 * earlier run of this process failed); otherwise reconciliation must be ok.
 */
export async function baseline(api: ApiClient, tolerate: boolean): Promise<Baseline> {
  const wallets = await stableSystemWallets(api);
  const rec = await reconciliation(api);
  if (rec.status !== 200) throw new Error(`reconciliation: ${rec.status} ${rec.code ?? ''}`);
  if (!tolerate && rec.found.size > 0) {
    throw new DirtyBaseline(`reconciliation is not ok where this run begins; left by an earlier run or the fixed cases on this system, which passed (no CHAOS_BREAK, no failed run before):\n  ${[...rec.found].join('\n  ')}`);
  }
  return { wallets, found: rec.found, counts: rec.counts };
}

export const STABLE_WALLETS_MS = 30_000;

/**
 * The system wallets once two reads 1 s apart agree (at most STABLE_WALLETS_MS): a payout or a refund
 * of the run before (a shrinking candidate cut off mid-step) lands before the next one begins.
 */
async function stableSystemWallets(api: ApiClient): Promise<SystemWallets> {
  const end = Date.now() + STABLE_WALLETS_MS;
  let last = await systemWallets(api);
  for (;;) {
    await sleep(1_000);
    const now = await systemWallets(api);
    if ((['general-system', 'tax', 'profit', 'external'] as const).every((k) => now[k] === last[k])) return now;
    if (Date.now() > end) throw new Error(`the system wallets still moved ${STABLE_WALLETS_MS / 1000} s on, before a run: ${JSON.stringify(last)} then ${JSON.stringify(now)}`);
    last = now;
  }
}

/** The system wallets as they stand. */
export async function systemWallets(api: ApiClient): Promise<SystemWallets> {
  const res = await api.admin<SystemWallets>('GET', '/admin/system-wallets');
  if (res.status !== 200) throw new Error(`system wallets: ${res.status} ${res.code ?? ''}`);
  return res.data;
}
