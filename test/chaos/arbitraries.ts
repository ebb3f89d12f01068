/**
 * How often each command is generated. Faults come at CHAOS_FAULT_RATE of the steps (a restart costs
 * seconds), half of them while a keyed command is in flight.
 */
import fc from 'fast-check';
import { DELIVERY_ACTIONS } from '../../src/domain/delivery.js';
import {
  Burst, ChangeService, Deposit, Fault, OperatorCancel, PlaceOrder, ResetThenSignal, TerminateResume, Transition,
  type ActorChoice, type Funding, type KeyMode, type UpgradeChoice,
} from './commands.js';
import { FAULT_KINDS } from './system.js';

const pickIdx = fc.nat(999);
const upgrades = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom<UpgradeChoice>('none', 'all', 'first') },
  { weight: 1, arbitrary: fc.constantFrom<UpgradeChoice>('inactive', 'foreign', 'duplicate') },
);
const method = fc.oneof({ weight: 9, arbitrary: fc.constant('wallet' as const) }, { weight: 1, arbitrary: fc.constant('credit_card' as const) });
const funding = fc.constantFrom<Funding>('none', 'exact', 'short');
const orderKey = fc.constantFrom<KeyMode>('none', 'none', 'new', 'new', 'retry', 'reuse');
const moveKey = fc.constantFrom<KeyMode>('none', 'none', 'new', 'retry', 'reuse');
const actor = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<ActorChoice>('customer', 'provider') },
  { weight: 1, arbitrary: fc.constantFrom<ActorChoice>('admin', 'other-customer', 'other-provider') },
);

const placeOrder = (key: fc.Arbitrary<KeyMode>) => fc.tuple(pickIdx, pickIdx, upgrades, method, key, pickIdx, funding)
  .map(([c, s, u, m, k, kp, f]) => new PlaceOrder(c, s, u, m, k, kp, f));
/** Mostly a move the delivery's status allows by its party; else any action by anyone. */
const action = fc.oneof({ weight: 3, arbitrary: fc.constant('next' as const) }, { weight: 2, arbitrary: fc.constantFrom(...DELIVERY_ACTIONS) });
const transition = (key: fc.Arbitrary<KeyMode>) => fc.tuple(pickIdx, action, actor, key, pickIdx)
  .map(([o, a, by, k, kp]) => new Transition(o, a, by, k, kp));
const deposit = (key: fc.Arbitrary<'new' | 'retry' | 'reuse'>) => fc.tuple(pickIdx, fc.integer({ min: 1, max: 40_000 }), key, pickIdx)
  .map(([u, a, k, kp]) => new Deposit(u, a, k, kp));

/** A keyed command, so that a retry with its key settles the outcome a fault cut off. */
const inFlight = fc.oneof(placeOrder(fc.constant('new')), transition(fc.constant('new')), deposit(fc.constant('new')));

const business = [
  { weight: 26, arbitrary: placeOrder(orderKey) },
  { weight: 36, arbitrary: transition(moveKey) },
  { weight: 8, arbitrary: deposit(fc.constantFrom('new', 'new', 'retry', 'reuse')) },
  { weight: 4, arbitrary: fc.tuple(pickIdx, pickIdx, fc.integer({ min: 2, max: 6 }), fc.integer({ min: 0, max: 5 })).map(([c, s, n, f]) => new Burst(c, s, n, f)) },
  { weight: 6, arbitrary: fc.tuple(pickIdx, fc.constantFrom('deactivate', 'activate', 'activate', 'reprice') as fc.Arbitrary<'deactivate' | 'activate' | 'reprice'>, fc.integer({ min: 100, max: 20_000 })).map(([s, c, p]) => new ChangeService(s, c, p)) },
  { weight: 3, arbitrary: pickIdx.map((o) => new OperatorCancel(o)) },
  { weight: 3, arbitrary: fc.tuple(pickIdx, fc.boolean()).map(([o, t]) => new TerminateResume(o, t)) },
  { weight: 4, arbitrary: fc.tuple(pickIdx, pickIdx).map(([o, a]) => new ResetThenSignal(o, a)) },
];

const fault = fc.tuple(fc.constantFrom(...FAULT_KINDS), fc.integer({ min: 0, max: 400 }), fc.option(inFlight, { freq: 2 }))
  .map(([kind, delay, during]) => new Fault(kind, delay, during ?? undefined));

export function commandArbitrary(faultRate: number) {
  const total = business.reduce((s, b) => s + b.weight, 0);
  const faultWeight = Math.round((faultRate * total) / (1 - faultRate) * 100);
  const scaled = business.map((b) => ({ weight: b.weight * 100, arbitrary: b.arbitrary }));
  return faultWeight > 0 ? fc.oneof(...scaled, { weight: faultWeight, arbitrary: fault }) : fc.oneof(...scaled);
}
