/**
 * What the API must show, as pure data: every wallet of the run's own users, the system wallets as
 * changes from where the run began, each order's status, each delivery's status and history length,
 * and each idempotency key's recorded answer. The money rules come from src/domain (priceOrder,
 * splitPayout, the transition table MOVES through `transition`), so the model stays small; the rules
 * the model would share with the code are pinned by hand-written totals in ./fixed-cases.ts.
 */
import { MOVES, transition, type DeliveryAction, type DeliveryStatus } from '../../src/domain/delivery.js';
import { priceOrder, splitPayout, type Rates } from '../../src/domain/pricing.js';

export const RATES: Rates = { taxRateBp: 1500, platformFeeBp: 2000 };

export type Role = 'customer' | 'provider' | 'admin';
export interface Person { name: string; role: Role; id: number; token: string }

export interface ModelUpgrade { id: number; price: number; active: boolean }
export interface ModelService { id: number; provider: string; price: number; active: boolean; upgrades: ModelUpgrade[] }

export interface ModelOrder {
  id: string;
  deliveryId: string;
  customer: string;
  provider: string;
  total: number;
  status: 'COMPLETED' | 'REFUNDED';
  delivery: DeliveryStatus;
  history: number;
  /** The status a fresh run of its DeliveryWorkflow starts from: NEW, or the status at its last resume. */
  runStart: DeliveryStatus;
}

/** An answer as the model predicts it: the HTTP status and, for a refusal, its error code. */
export interface Answer { status: number; code?: string }

export interface OrderRequestBody { serviceId: number; upgradeIds: number[]; method: string }
export interface OrderKeyRecord { customer: string; key: string; request: OrderRequestBody; answer: Answer; orderId?: string }
export interface TransitionKeyRecord { key: string; user: string; deliveryId: string; action: DeliveryAction; applied: boolean }
export interface DepositKeyRecord { key: string; user: string; amount: number }

export interface SystemWallets { 'general-system': number; tax: number; profit: number; external: number }

export class Model {
  readonly people = new Map<string, Person>();
  readonly balances = new Map<string, number>();
  readonly system: SystemWallets = { 'general-system': 0, tax: 0, profit: 0, external: 0 };
  readonly services: ModelService[] = [];
  readonly orders: ModelOrder[] = [];
  readonly orderKeys = new Map<string, OrderKeyRecord>();
  readonly transitionKeys = new Map<string, TransitionKeyRecord>();
  readonly depositKeys = new Map<string, DepositKeyRecord>();
  /** Orders whose status the last step may have changed: the after-step check reads these. */
  readonly touched = new Set<string>();
  /** A counter for keys unique within the run (the run's users make them unique across runs). */
  private nextKey = 0;

  person(name: string): Person {
    const p = this.people.get(name);
    if (!p) throw new Error(`no person ${name} in the model`);
    return p;
  }

  constructor(readonly runId: string) {}

  /** Keys unique across runs too: the admin is shared by every run on the system. */
  freshKey(prefix: string): string {
    this.nextKey += 1;
    return `${this.runId}-${prefix}-${this.nextKey}`;
  }

  customers(): Person[] { return [...this.people.values()].filter((p) => p.role === 'customer'); }
  providers(): Person[] { return [...this.people.values()].filter((p) => p.role === 'provider'); }

  /** A deposit of `amount` under `key`: new keys move money, a replay with the same amount does not. */
  deposit(user: string, key: string, amount: number): Answer {
    const k = `${user}|${key}`;
    const seen = this.depositKeys.get(k);
    if (seen) return seen.amount === amount ? { status: 201 } : { status: 422, code: 'IDEMPOTENCY_KEY_REUSED' };
    this.depositKeys.set(k, { key, user, amount });
    this.balances.set(user, (this.balances.get(user) ?? 0) + amount);
    this.system.external -= amount;
    return { status: 201 };
  }

  /** The price of an order as the domain computes it, or the refusal the catalog makes. */
  quote(serviceId: number, upgradeIds: readonly number[], method: string): { total: number } | Answer {
    const service = this.services.find((s) => s.id === serviceId);
    if (!service) return { status: 422, code: 'VALIDATION_FAILED' };
    if (!service.active) return { status: 422, code: 'SERVICE_UNAVAILABLE' };
    const chosen = upgradeIds.map((id) => service.upgrades.find((u) => u.id === id));
    if (new Set(upgradeIds).size !== upgradeIds.length || chosen.some((u) => !u || !u.active)) {
      return { status: 422, code: 'INVALID_UPGRADES' };
    }
    if (method !== 'wallet') return { status: 422, code: 'PAYMENT_METHOD_UNAVAILABLE' };
    return { total: priceOrder({ servicePrice: service.price, upgradePrices: chosen.map((u) => u!.price), rates: RATES }).total };
  }

  /**
   * What an order request must answer. Without a key: a fresh decision. With a key: the key's first
   * answer (success or refusal) for the same body, IDEMPOTENCY_KEY_REUSED for another body.
   */
  predictOrder(customer: string, serviceId: number, upgradeIds: readonly number[], method: string, key?: string): Answer & { total?: number; replayOf?: string } {
    if (key) {
      const seen = this.orderKeys.get(`${customer}|${key}`);
      if (seen) {
        if (bodyHash(seen.request.serviceId, seen.request.upgradeIds, seen.request.method) !== bodyHash(serviceId, upgradeIds, method)) return { status: 422, code: 'IDEMPOTENCY_KEY_REUSED' };
        return { ...seen.answer, ...(seen.orderId ? { replayOf: seen.orderId } : {}) };
      }
    }
    const quote = this.quote(serviceId, upgradeIds, method);
    if (!('total' in quote)) return quote;
    if ((this.balances.get(customer) ?? 0) < quote.total) return { status: 422, code: 'INSUFFICIENT_BALANCE' };
    return { status: 201, total: quote.total };
  }

  /** Records a placed order: its total from the customer's wallet into escrow. */
  placed(customer: string, serviceId: number, ids: { orderId: string; deliveryId: string }, total: number): ModelOrder {
    const service = this.services.find((s) => s.id === serviceId)!;
    this.balances.set(customer, this.balances.get(customer)! - total);
    this.system['general-system'] += total;
    const order: ModelOrder = {
      id: ids.orderId, deliveryId: ids.deliveryId, customer, provider: service.provider, total,
      status: 'COMPLETED', delivery: 'NEW', history: 1, runStart: 'NEW',
    };
    this.orders.push(order);
    this.touched.add(order.id);
    return order;
  }

  rememberOrderKey(customer: string, key: string, serviceId: number, upgradeIds: readonly number[], method: string, answer: Answer, orderId?: string): void {
    const k = `${customer}|${key}`;
    if (this.orderKeys.has(k)) return;
    this.orderKeys.set(k, { customer, key, request: { serviceId, upgradeIds: [...upgradeIds], method }, answer, ...(orderId ? { orderId } : {}) });
  }

  /**
   * A transition sent through the API by `actor` (a person of the run, or an outsider who sees
   * nothing of this delivery), with or without an Idempotency-Key. Applies the move to the model and
   * answers what the API must say.
   */
  transition(order: ModelOrder, action: DeliveryAction, actor: string, key?: string): Answer {
    const person = this.person(actor);
    const own = person.role === 'admin' || order.customer === actor || order.provider === actor;
    if (!own) return { status: 404, code: 'NOT_FOUND' };
    let record: TransitionKeyRecord | undefined;
    if (key) {
      const k = `${actor}|${key}`;
      record = this.transitionKeys.get(k);
      if (record && (record.deliveryId !== order.deliveryId || record.action !== action)) return { status: 422, code: 'IDEMPOTENCY_KEY_REUSED' };
      if (!record) {
        record = { key, user: actor, deliveryId: order.deliveryId, action, applied: false };
        this.transitionKeys.set(k, record);
      }
    }
    // A retry of a move this key already made answers as the first call did, and moves nothing.
    if (record?.applied) return { status: 200 };
    const verdict = transition(order.delivery, action, { role: person.role, id: person.id }, this.parties(order));
    if (!verdict.ok) return { status: verdict.code === 'FORBIDDEN' ? 403 : 409, code: verdict.code };
    this.move(order, verdict.to);
    if (record) record.applied = true;
    return { status: 200 };
  }

  /**
   * An operator's move from the database's status (a signal, the UI's Cancel): taken when the
   * transition table allows `action` there, else nothing changes.
   */
  operatorMove(order: ModelOrder, action: DeliveryAction): void {
    const move = MOVES.find((m) => m.action === action && m.from === order.delivery);
    if (move) this.move(order, move.to);
  }

  private move(order: ModelOrder, to: DeliveryStatus): void {
    order.delivery = to;
    order.history += 1;
    this.touched.add(order.id);
    if (to === 'COMPLETED') {
      const split = splitPayout(order.total, RATES);
      this.system['general-system'] -= order.total;
      this.system.profit += split.profit;
      this.system.tax += split.profitTax;
      this.balances.set(order.provider, this.balances.get(order.provider)! + split.providerShare);
    } else if (to === 'CANCELLED') {
      this.system['general-system'] -= order.total;
      this.balances.set(order.customer, this.balances.get(order.customer)! + order.total);
      order.status = 'REFUNDED';
    }
  }

  private parties(order: ModelOrder) {
    return { customerId: this.person(order.customer).id, providerId: this.person(order.provider).id };
  }
}

/** An order key is bound to the request it first came with: service, method and the set of upgrades. */
export function bodyHash(serviceId: number, upgradeIds: readonly number[], method: string): string {
  return JSON.stringify([serviceId, method, [...upgradeIds].sort((a, b) => a - b)]);
}

export const isOpen = (s: DeliveryStatus): boolean => s !== 'COMPLETED' && s !== 'CANCELLED';
