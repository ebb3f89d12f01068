/**
 * The delivery state machine of SYSTEM.md §4 as data, plus one pure transition function that the
 * API (fast refusal), the workflow's update validators and its handlers all call.
 */
export const DELIVERY_STATUSES = ['NEW', 'IN_PROGRESS', 'REVIEWING', 'COMPLETED', 'CANCELLED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const DELIVERY_ACTIONS = ['start', 'submit', 'approve', 'request-revision', 'cancel'] as const;
export type DeliveryAction = (typeof DELIVERY_ACTIONS)[number];

/** `system` is the workflow's own timers; `operator` is a signal sent from the Web UI or the CLI. */
export const ACTOR_ROLES = ['customer', 'provider', 'admin', 'system', 'operator'] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];
export interface Actor { role: ActorRole; id: number | null }

/** How long nobody may act before a deadline acts (copied onto the order when it is placed). */
export interface DeliveryDeadlines { acceptTimeoutMs: number; reviewTimeoutMs: number }

/** One move as the workflow and the database record it: who, from, to, why and when (ISO time). */
export interface TransitionRecord {
  from: DeliveryStatus;
  to: DeliveryStatus;
  actorRole: ActorRole;
  actorId: number | null;
  reason: string | null;
  at: string;
}

/** Who may ask for each move. "customer"/"provider" mean the delivery's own customer/provider. */
type Party = 'customer' | 'provider' | 'admin';
interface Move { action: DeliveryAction; from: DeliveryStatus; to: DeliveryStatus; by: readonly Party[] }

export const MOVES: readonly Move[] = [
  { action: 'start', from: 'NEW', to: 'IN_PROGRESS', by: ['provider'] },
  { action: 'submit', from: 'IN_PROGRESS', to: 'REVIEWING', by: ['provider'] },
  { action: 'approve', from: 'REVIEWING', to: 'COMPLETED', by: ['customer'] },
  { action: 'request-revision', from: 'REVIEWING', to: 'IN_PROGRESS', by: ['customer'] },
  { action: 'cancel', from: 'NEW', to: 'CANCELLED', by: ['customer', 'provider', 'admin'] },
  { action: 'cancel', from: 'IN_PROGRESS', to: 'CANCELLED', by: ['provider', 'admin'] },
  { action: 'cancel', from: 'REVIEWING', to: 'CANCELLED', by: ['admin'] },
];

/**
 * What happens when nobody acts: an unstarted delivery is cancelled after the accept deadline, an
 * unreviewed one approved after the review deadline (SYSTEM.md §4). Other statuses wait.
 */
export const DEADLINES: Partial<Record<DeliveryStatus, { action: DeliveryAction; deadline: 'accept' | 'review'; because: string }>> = {
  NEW: { action: 'cancel', deadline: 'accept', because: 'the provider has not started' },
  REVIEWING: { action: 'approve', deadline: 'review', because: 'the customer has not reviewed' },
};

export const FINAL_STATUSES: readonly DeliveryStatus[] = ['COMPLETED', 'CANCELLED'];
export const isFinal = (status: DeliveryStatus): boolean => FINAL_STATUSES.includes(status);

export interface DeliveryParties { customerId: number; providerId: number }

export type TransitionResult =
  | { ok: true; from: DeliveryStatus; to: DeliveryStatus }
  | { ok: false; code: 'FORBIDDEN' | 'INVALID_TRANSITION'; message: string };

function partyOf(actor: Actor, parties: DeliveryParties): Party | undefined {
  if (actor.role === 'admin') return 'admin';
  if (actor.role === 'customer' && actor.id === parties.customerId) return 'customer';
  if (actor.role === 'provider' && actor.id === parties.providerId) return 'provider';
  return undefined;
}

/**
 * Decides one move. A party that may never take this action is FORBIDDEN; one that may, but not
 * from the current status, gets INVALID_TRANSITION naming that status. Timers and operators may
 * take any move the status allows: they stand in for whoever should have acted.
 */
export function transition(status: DeliveryStatus, action: DeliveryAction, actor: Actor, parties: DeliveryParties): TransitionResult {
  const move = MOVES.find((m) => m.action === action && m.from === status);
  const privileged = actor.role === 'system' || actor.role === 'operator';
  const party = partyOf(actor, parties);
  if (!privileged && !MOVES.some((m) => m.action === action && party !== undefined && m.by.includes(party))) {
    return { ok: false, code: 'FORBIDDEN', message: 'This action is unauthorized.' };
  }
  if (!move || !(privileged || (party !== undefined && move.by.includes(party)))) {
    return { ok: false, code: 'INVALID_TRANSITION', message: invalidTransitionMessage(action, status) };
  }
  return { ok: true, from: move.from, to: move.to };
}

export const invalidTransitionMessage = (action: DeliveryAction, status: DeliveryStatus): string =>
  `Cannot ${action} a delivery that is ${status}.`;
