/**
 * The chaos run's commands for fast-check's model-based testing: each runs against the real system
 * through the API or the `temporal` CLI, applies itself to the model, and fails when the answer is
 * not the model's (status and error code). Targets (a customer, an order, a key) are picked by index
 * at run time, so a shrunk list still finds something to act on.
 */
import type { AsyncCommand } from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { deliveryWorkflowId } from '../../src/contracts/delivery.js';
import { DELIVERY_ACTIONS, MOVES, type DeliveryAction } from '../../src/domain/delivery.js';
import { UNKNOWN_OUTCOME_STATUSES, describeReply, unknownReason, type ApiClient, type Reply } from './client.js';
import { isOpen, type Answer, type Model, type ModelOrder } from './model.js';
import type { ChaosSystem, FaultKind } from './system.js';

export interface FiredFault { step: number; kind: FaultKind; atMs: number; during?: string }
export interface Real {
  api: ApiClient;
  sys: ChaosSystem;
  started: number;
  step: number;
  faults: FiredFault[];
  /** The step of the last fault: checks after it allow the system longer to settle. */
  lastFaultStep: number;
  counts: Map<string, number>;
  /** Requests sent again with their key because a fault left the answer unknown, by the answer that did. */
  retries: Map<string, number>;
  log: (m: string) => void;
}

export type Cmd = AsyncCommand<Model, Real>;
const pick = <T>(items: readonly T[], i: number): T | undefined => (items.length === 0 ? undefined : items[i % items.length]);
/** Small indexes (fast-check's bias, and where shrinking goes) pick the newest orders, which still have moves ahead. */
const recent = <T>(items: readonly T[], i: number): T | undefined => (items.length === 0 ? undefined : items[items.length - 1 - (i % items.length)]);
const count = (r: Real, what: string) => r.counts.set(what, (r.counts.get(what) ?? 0) + 1);

export class Mismatch extends Error {}

/** A fault fired during this step or the one just before (a fault's step ends once the system is ready again). */
const faultNear = (r: Real): boolean => r.faults.some((f) => f.step >= r.step - 1);
/** An answer whose outcome is unknown: no answer, 502, 503 or 504, with a fault near. */
const unknownOutcome = (r: Real, reply: Reply): boolean => UNKNOWN_OUTCOME_STATUSES.has(reply.status) && faultNear(r);

function expectAnswer(what: string, got: Reply, want: Answer): void {
  if (got.status !== want.status || (want.code !== undefined && got.code !== want.code) || (want.code === undefined && got.status >= 400)) {
    throw new Mismatch(`${what}: the API answered ${got.status} ${got.code ?? ''} ${got.message ?? ''}; the model expects ${want.status} ${want.code ?? ''}`);
  }
}

/**
 * A request with an Idempotency-Key whose outcome a fault left unknown (no answer, 502, 503 or 504,
 * during the fault's step or the step after) is sent again with the same key until it settles: that
 * answer is its outcome, and the model's prediction for one request. Every other 5xx, and any 5xx
 * with no fault near, fails the step with its body: a server error is never retried into a pass.
 */
async function settled(r: Real, send: () => Promise<Reply>, keyed: boolean, what: string): Promise<Reply> {
  let reply = await send();
  const end = Date.now() + 120_000;
  while (reply.status === 0 || reply.status >= 500) {
    if (!unknownOutcome(r, reply)) {
      throw new Mismatch(`${what}: ${reply.status === 0 ? 'no answer' : 'a server error'} with no fault in this step or the one before: ${describeReply(reply)}`);
    }
    if (!keyed) throw new Mismatch(`${what}: cut off without a key (${describeReply(reply)}); its outcome cannot be known`);
    if (Date.now() > end) throw new Mismatch(`${what}: still ${describeReply(reply)} 120 s after the fault`);
    const reason = unknownReason(reply);
    r.retries.set(reason, (r.retries.get(reason) ?? 0) + 1);
    await sleep(1_000);
    reply = await send();
  }
  return reply;
}

export type UpgradeChoice = 'none' | 'all' | 'first' | 'inactive' | 'foreign' | 'duplicate';
export type KeyMode = 'none' | 'new' | 'retry' | 'reuse';
export type Funding = 'none' | 'exact' | 'short';

function upgradesFor(m: Model, serviceIdx: number, choice: UpgradeChoice): number[] {
  const service = pick(m.services, serviceIdx)!;
  const active = service.upgrades.filter((u) => u.active).map((u) => u.id);
  const inactive = service.upgrades.filter((u) => !u.active).map((u) => u.id);
  const foreign = m.services.filter((s) => s.id !== service.id).flatMap((s) => s.upgrades.map((u) => u.id));
  switch (choice) {
    case 'none': return [];
    case 'all': return active;
    case 'first': return active.slice(0, 1);
    case 'inactive': return inactive.slice(0, 1);
    case 'foreign': return foreign.slice(0, 1);
    case 'duplicate': return active.length > 0 ? [active[0]!, active[0]!] : [];
  }
}

/** Place one order; `fund` first tops the wallet up to exactly the total (or one halala short). */
export class PlaceOrder implements Cmd {
  constructor(readonly customer: number, readonly service: number, readonly upgrades: UpgradeChoice, readonly method: 'wallet' | 'credit_card',
    readonly key: KeyMode, readonly keyPick: number, readonly fund: Funding) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const customer = pick(m.customers(), this.customer)!;
    let serviceId = pick(m.services, this.service)!.id;
    let upgradeIds = upgradesFor(m, this.service, this.upgrades);
    let method: string = this.method;
    let key: string | undefined;
    const own = [...m.orderKeys.values()].filter((k) => k.customer === customer.name);
    const earlier = pick(own, this.keyPick);
    if (this.key === 'new' || (this.key !== 'none' && !earlier)) key = m.freshKey('order');
    else if (this.key === 'retry') ({ key, request: { serviceId, upgradeIds, method } } = earlier!);
    else if (this.key === 'reuse') {
      key = earlier!.key;
      // The same key with another body: another service than the key's.
      serviceId = m.services.find((s) => s.id !== earlier!.request.serviceId)!.id;
      upgradeIds = [];
    }
    if (this.fund !== 'none') await fundFor(m, r, customer.name, serviceId, upgradeIds, method, this.fund);
    const want = m.predictOrder(customer.name, serviceId, upgradeIds, method, key);
    const what = `order by ${customer.name} of service ${serviceId} [${upgradeIds.join(',')}] ${method} key ${key ?? '-'}`;
    const got = await settled(r, () => r.api.call('POST', '/api/v1/orders', {
      token: customer.token, key, body: { service_id: serviceId, method_type: method, upgrades_ids: upgradeIds },
    }), key !== undefined, what);
    expectAnswer(what, got, want);
    count(r, want.status === 201 ? (want.replayOf ? 'order replayed' : 'order placed') : `order refused ${want.code}`);
    if (want.status === 201) {
      if (want.replayOf) {
        if (got.data.id !== want.replayOf) throw new Mismatch(`${what}: a replay answered order ${got.data.id}, the key's order is ${want.replayOf}`);
        return;
      }
      if (got.data.total !== want.total) throw new Mismatch(`${what}: total ${got.data.total}, the model says ${want.total}`);
      m.placed(customer.name, serviceId, { orderId: got.data.id, deliveryId: got.data.delivery.id }, want.total!);
    }
    if (key) m.rememberOrderKey(customer.name, key, serviceId, upgradeIds, method, { status: want.status, ...(want.code ? { code: want.code } : {}) }, want.status === 201 ? got.data.id : undefined);
  }
  toString = () => `PlaceOrder(${this.customer}, ${this.service}, ${this.upgrades}, ${this.method}, ${this.key}, ${this.keyPick}, ${this.fund})`;
}

/** Tops `customer` up so the balance is exactly the order's total (`exact`) or one short (`short`), when it is below. */
async function fundFor(m: Model, r: Real, customer: string, serviceId: number, upgradeIds: number[], method: string, fund: Funding): Promise<void> {
  const quote = m.quote(serviceId, upgradeIds, method);
  if (!('total' in quote)) return;
  const target = fund === 'exact' ? quote.total : quote.total - 1;
  const gap = target - (m.balances.get(customer) ?? 0);
  if (gap > 0) await depositOnce(m, r, customer, m.freshKey('fund'), gap);
}

async function depositOnce(m: Model, r: Real, user: string, key: string, amount: number): Promise<void> {
  const person = m.person(user);
  const want = m.deposit(user, key, amount);
  const what = `deposit of ${amount} to ${user} key ${key}`;
  const got = await settled(r, () => r.api.admin('POST', `/admin/wallets/${person.id}/deposit`, { amount }, key), true, what);
  expectAnswer(what, got, want);
}

/** A deposit under a new key, or a retried key (same amount: moves nothing; another amount: refused). */
export class Deposit implements Cmd {
  constructor(readonly user: number, readonly amount: number, readonly key: 'new' | 'retry' | 'reuse', readonly keyPick: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const people = [...m.customers(), ...m.providers()];
    const earlier = pick([...m.depositKeys.values()], this.keyPick);
    if (this.key === 'new' || !earlier) {
      await depositOnce(m, r, pick(people, this.user)!.name, m.freshKey('deposit'), this.amount);
      count(r, 'deposit');
    } else {
      await depositOnce(m, r, earlier.user, earlier.key, this.key === 'retry' ? earlier.amount : earlier.amount + 1);
      count(r, this.key === 'retry' ? 'deposit retried' : 'deposit key reused');
    }
  }
  toString = () => `Deposit(${this.user}, ${this.amount}, ${this.key}, ${this.keyPick})`;
}

/** Several orders at once from one wallet, without keys: the model predicts how many fit, not which. */
export class Burst implements Cmd {
  constructor(readonly customer: number, readonly service: number, readonly size: number, readonly fundFor: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const customer = pick(m.customers(), this.customer)!;
    const service = pick(m.services, this.service)!;
    const quote = m.quote(service.id, [], 'wallet');
    if ('total' in quote) {
      const gap = quote.total * this.fundFor - (m.balances.get(customer.name) ?? 0);
      if (gap > 0) await depositOnce(m, r, customer.name, m.freshKey('burst'), gap);
    }
    const balance = m.balances.get(customer.name) ?? 0;
    const fits = 'total' in quote ? Math.min(this.size, Math.floor(balance / quote.total)) : 0;
    const replies = await Promise.all(Array.from({ length: this.size }, () => r.api.call('POST', '/api/v1/orders', {
      token: customer.token, body: { service_id: service.id, method_type: 'wallet' },
    })));
    const what = `burst of ${this.size} orders by ${customer.name} of service ${service.id}`;
    // Unkeyed: an order cut off (even by a fault) or a server error cannot be settled, so it fails the step.
    const cut = replies.find((x) => x.status === 0 || x.status >= 500);
    if (cut) throw new Mismatch(`${what}: an order was cut off or failed (${describeReply(cut)})`);
    const won = replies.filter((x) => x.status === 201);
    const refusal: Answer = 'total' in quote ? { status: 422, code: 'INSUFFICIENT_BALANCE' } : quote;
    const wrong = replies.find((x) => x.status !== 201 && (x.status !== refusal.status || x.code !== refusal.code));
    if (won.length !== fits || wrong) {
      throw new Mismatch(`${what}: ${won.length} placed (model: ${fits} of balance ${balance}); answers ${replies.map((x) => `${x.status} ${x.code ?? ''}`).join(', ')}`);
    }
    for (const x of won) m.placed(customer.name, service.id, { orderId: x.data.id, deliveryId: x.data.delivery.id }, (quote as { total: number }).total);
    count(r, 'burst');
  }
  toString = () => `Burst(${this.customer}, ${this.service}, ${this.size}, ${this.fundFor})`;
}

/** The admin deactivates, activates or reprices a service: later orders see it, placed ones never. */
export class ChangeService implements Cmd {
  constructor(readonly service: number, readonly change: 'deactivate' | 'activate' | 'reprice', readonly price: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const service = pick(m.services, this.service)!;
    const body = this.change === 'reprice' ? { price: this.price } : { status: this.change === 'activate' ? 'ACTIVE' : 'INACTIVE' };
    const got = await settled(r, () => r.api.admin('PATCH', `/admin/services/${service.id}`, body), false, `change of service ${service.id}`);
    expectAnswer(`${this.change} of service ${service.id}`, got, { status: 200 });
    if (this.change === 'reprice') service.price = this.price;
    else service.active = this.change === 'activate';
    count(r, `service ${this.change}`);
  }
  toString = () => `ChangeService(${this.service}, ${this.change}, ${this.price})`;
}

const RANK: Record<string, number> = { REVIEWING: 0, IN_PROGRESS: 1, NEW: 2 };
/** Open deliveries, REVIEWING first, then IN_PROGRESS, then NEW; newest first within each. */
function furthestAlong(orders: readonly ModelOrder[]): ModelOrder[] {
  return orders.map((o, i) => ({ o, i })).filter(({ o }) => isOpen(o.delivery))
    .sort((a, b) => RANK[a.o.delivery]! - RANK[b.o.delivery]! || b.i - a.i).map(({ o }) => o);
}

export type ActorChoice = 'customer' | 'provider' | 'admin' | 'other-customer' | 'other-provider';

function actorFor(m: Model, order: ModelOrder, choice: ActorChoice, n: number): string {
  switch (choice) {
    case 'customer': return order.customer;
    case 'provider': return order.provider;
    case 'admin': return 'admin';
    case 'other-customer': return pick(m.customers().filter((c) => c.name !== order.customer), n)!.name;
    case 'other-provider': return pick(m.providers().filter((p) => p.name !== order.provider), n)!.name;
  }
}

/** One delivery transition through the API, by the right or a wrong party, with or without a key. */
export class Transition implements Cmd {
  /** `next`: a move the status allows, by a party allowed to make it (the actor choice then only picks outsiders). */
  constructor(readonly order: number, readonly action: DeliveryAction | 'next', readonly actor: ActorChoice, readonly key: KeyMode, readonly keyPick: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    // A move the status allows goes to the open delivery furthest along (small indexes), so deliveries reach their end.
    let order = this.action === 'next' ? pick(furthestAlong(m.orders), this.order) ?? recent(m.orders, this.order) : recent(m.orders, this.order);
    if (!order) return;
    let action: DeliveryAction;
    let actor = actorFor(m, order, this.actor, this.keyPick);
    if (this.action === 'next') {
      const from = order.delivery;
      // Cancel is allowed from every open status: taken one time in five, so deliveries also get to the end.
      const forward = MOVES.filter((mv) => mv.from === from && mv.action !== 'cancel');
      const cancel = MOVES.filter((mv) => mv.from === from && mv.action === 'cancel');
      const move = pick(this.keyPick % 5 === 0 || forward.length === 0 ? cancel : forward, this.keyPick);
      action = move?.action ?? 'approve';
      const party = move ? pick(move.by, this.order)! : 'customer';
      if (this.actor !== 'other-customer' && this.actor !== 'other-provider') actor = actorFor(m, order, party, 0);
    } else {
      action = this.action;
    }
    let key: string | undefined;
    const earlier = pick([...m.transitionKeys.values()], this.keyPick);
    if (this.key === 'new' || (this.key !== 'none' && !earlier)) key = m.freshKey('move');
    else if (this.key === 'retry') {
      // The same request again: its user, delivery and action.
      key = earlier!.key;
      actor = earlier!.user;
      action = earlier!.action;
      order = m.orders.find((o) => o.deliveryId === earlier!.deliveryId)!;
    } else if (this.key === 'reuse') {
      key = earlier!.key;
      actor = earlier!.user;
    }
    const person = m.person(actor);
    const want = m.transition(order, action, actor, key);
    const what = `${action} of delivery ${order.deliveryId} by ${actor} key ${key ?? '-'}`;
    const got = await settled(r, () => r.api.call('POST', `/api/v1/deliveries/${order.deliveryId}/${action}`, { token: person.token, key }), key !== undefined, what);
    expectAnswer(what, got, want);
    if (want.status === 200 && got.data.status !== order.delivery) {
      throw new Mismatch(`${what}: answered the delivery as ${got.data.status}; the model says ${order.delivery}`);
    }
    count(r, want.status === 200 ? `transition ${action}` : `transition refused ${want.code}`);
  }
  toString = () => `Transition(${this.order}, ${this.action}, ${this.actor}, ${this.key}, ${this.keyPick})`;
}

/** The temporal CLI's refusal to cancel a workflow that has already closed (the server's NotFound). */
const CLOSED = /workflow execution already completed/i;

/** The Web UI's Cancel on a DeliveryWorkflow: an operator's cancel of an open delivery, nothing on a final one. */
export class OperatorCancel implements Cmd {
  constructor(readonly order: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const order = recent(m.orders, this.order);
    if (!order) return;
    // Checked after the step whatever the model predicts: nothing must change on a final delivery either.
    m.touched.add(order.id);
    if (isOpen(order.delivery)) {
      await r.sys.operator('workflow', 'cancel', '--workflow-id', deliveryWorkflowId(order.id));
      m.operatorMove(order, 'cancel');
      count(r, 'operator cancel');
    } else {
      // The workflow has closed with its final delivery: the CLI refuses ("workflow execution already
      // completed"), and nothing changes. Any other error (the CLI missing, the server away) fails.
      await r.sys.operator('workflow', 'cancel', '--workflow-id', deliveryWorkflowId(order.id)).catch((err: unknown) => {
        if (!CLOSED.test(String((err as { stderr?: unknown }).stderr ?? '') + String((err as Error).message ?? err))) throw err;
      });
      count(r, 'operator cancel (final delivery)');
    }
  }
  toString = () => `OperatorCancel(${this.order})`;
}

/** Terminate an open delivery's workflow; a transition meanwhile answers 503; the admin's resume brings it back. */
export class TerminateResume implements Cmd {
  constructor(readonly order: number, readonly tryAction: boolean) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const order = recent(m.orders.filter((o) => isOpen(o.delivery)), this.order);
    if (!order) return;
    await r.sys.operator('workflow', 'terminate', '--workflow-id', deliveryWorkflowId(order.id), '--reason', 'chaos: terminate');
    if (this.tryAction) {
      const move = MOVES.find((mv) => mv.from === order.delivery)!;
      const by = move.by[0] === 'customer' ? order.customer : move.by[0] === 'provider' ? order.provider : 'admin';
      const got = await r.api.call('POST', `/api/v1/deliveries/${order.deliveryId}/${move.action}`, { token: m.person(by).token });
      expectAnswer(`${move.action} of terminated delivery ${order.deliveryId}`, got, { status: 503, code: 'UNAVAILABLE' });
    }
    const got = await settled(r, () => r.api.admin('POST', `/admin/deliveries/${order.deliveryId}/resume`), false, `resume of ${order.deliveryId}`);
    expectAnswer(`resume of ${order.deliveryId}`, got, { status: 200 });
    if (got.data.status !== order.delivery) throw new Mismatch(`resume of ${order.deliveryId}: resumed as ${got.data.status}; the model says ${order.delivery}`);
    order.runStart = order.delivery;
    count(r, 'terminate + resume');
  }
  toString = () => `TerminateResume(${this.order}, ${this.tryAction})`;
}

/**
 * The UI's Reset to the first workflow task (signals and updates not reapplied), then an operator's
 * signal the reset run's own status allows: it applies from the database's status when the
 * transition table allows it there, else nothing changes.
 */
export class ResetThenSignal implements Cmd {
  constructor(readonly order: number, readonly action: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const order = recent(m.orders, this.order);
    if (!order) return;
    const allowed = DELIVERY_ACTIONS.filter((a) => MOVES.some((mv) => mv.action === a && mv.from === order.runStart));
    const action = pick(allowed, this.action)!;
    const id = deliveryWorkflowId(order.id);
    // Checked after the step whatever the model predicts (a signal the database's status refuses changes nothing).
    m.touched.add(order.id);
    await r.sys.operator('workflow', 'reset', '--workflow-id', id, '--type', 'FirstWorkflowTask',
      '--reason', 'chaos: reset', '--reapply-exclude', 'Signal', '--reapply-exclude', 'Update');
    await r.sys.operator('workflow', 'signal', '--workflow-id', id, '--name', action, '--input', '{"reason":"chaos: after reset"}');
    m.operatorMove(order, action);
    count(r, 'reset + signal');
  }
  toString = () => `ResetThenSignal(${this.order}, ${this.action})`;
}

/**
 * A fault: the worker SIGKILLed and started again, PostgreSQL or the dev server restarted. With
 * `during`, a keyed command is in flight when it fires, `delayMs` after it was sent.
 */
export class Fault implements Cmd {
  constructor(readonly kind: FaultKind, readonly delayMs: number, readonly during?: Cmd) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const fire = async () => {
      await sleep(this.delayMs);
      r.faults.push({ step: r.step, kind: this.kind, atMs: Date.now() - r.started, ...(this.during ? { during: this.during.toString() } : {}) });
      await r.sys.fault(this.kind);
    };
    // Both settle before the step ends, even when the command fails first: the next step, or
    // shrinking's next candidate, never starts on a half-restarted system.
    const [command, fault] = await Promise.allSettled([this.during?.run(m, r), fire()]);
    r.lastFaultStep = r.step;
    if (command.status === 'rejected') throw command.reason;
    if (fault.status === 'rejected') throw fault.reason;
    count(r, `fault ${this.kind}${this.during ? ' (command in flight)' : ''}`);
  }
  toString = () => `Fault(${JSON.stringify(this.kind)}, ${this.delayMs}${this.during ? `, ${this.during.toString()}` : ''})`;
}
