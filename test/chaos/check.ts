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
 * Where the run began: the system wallets, and what reconciliation already reported then. That is
 * nothing on a sound system; after a failed run (a broken build) the ledger stays broken, and a
 * later run, shrinking's candidates included, is judged by what it adds.
 */
export interface Baseline { wallets: SystemWallets; anomalies: Set<string> }

async function anomalies(api: ApiClient): Promise<{ status: number; code?: string; found: string[] }> {
  const rec = await api.admin<{ ok: boolean; checks: { name: string; ok: boolean; detail: string }[] }>('GET', '/admin/reconciliation');
  if (rec.status !== 200) return { status: rec.status, ...(rec.code ? { code: rec.code } : {}), found: [] };
  return { status: 200, found: rec.data.checks.filter((c) => !c.ok).flatMap((c) => items(c.detail).map((item) => `${c.name}: ${item}`)) };
}

/**
 * A report's detail as the things it names, each with what is off about it: "14 (balance 39080,
 * transfers 39079)" becomes "14 (off by 1)", so a wallet that stays off by the same amount while
 * money moves through it is the same anomaly, and one that drifts further is a new one.
 */
function items(detail: string): string[] {
  const named = detail.match(/[\w-]+ \([^)]*\)/g);
  if (!named) return [detail];
  return named.map((item) => item.replace(/\(balance (-?\d+), transfers (-?\d+)\)/, (_, b: string, t: string) => `(off by ${Number(b) - Number(t)})`));
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
  const rec = await anomalies(api);
  if (rec.status !== 200) diffs.push(`reconciliation: ${rec.status} ${rec.code ?? ''}`);
  for (const found of rec.found) if (!baseline.anomalies.has(found)) diffs.push(`reconciliation: ${found}`);
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

export async function baseline(api: ApiClient): Promise<Baseline> {
  const rec = await anomalies(api);
  if (rec.status !== 200) throw new Error(`reconciliation: ${rec.status} ${rec.code ?? ''}`);
  return { wallets: await systemWallets(api), anomalies: new Set(rec.found) };
}

/** The system wallets as they stand. */
export async function systemWallets(api: ApiClient): Promise<SystemWallets> {
  const res = await api.admin<SystemWallets>('GET', '/admin/system-wallets');
  if (res.status !== 200) throw new Error(`system wallets: ${res.status} ${res.code ?? ''}`);
  return res.data;
}
