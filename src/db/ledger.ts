import { DomainError, MESSAGES } from '../domain/errors.js';
import type { TransferKind } from '../domain/vocabularies.js';
import type { Sql, Tx } from './client.js';
import { pageOf, seekPlan, type Page } from './keyset.js';

const SYSTEM_WALLETS = ['general-system', 'tax', 'profit', 'external'] as const;
export type SystemWallet = (typeof SYSTEM_WALLETS)[number];

/** A wallet named by what owns it, so callers never handle wallet ids. */
export type WalletRef = { userId: number } | { system: SystemWallet };

export interface TransferRequest {
  key: string;
  from: WalletRef;
  to: WalletRef;
  amount: number;
  kind: TransferKind;
  orderId?: string | null;
}

export interface Transfer {
  id: number;
  idempotencyKey: string;
  fromWalletId: number;
  toWalletId: number;
  amount: number;
  kind: TransferKind;
  orderId: string | null;
  createdAt: Date;
}

export interface TransferResult {
  transfer: Transfer;
  /** true when the key had already moved this money: nothing moved this time. */
  replayed: boolean;
}

/** The same key with other fields: a programming or replay error, never silently accepted. */
export class IdempotencyConflictError extends Error {
  constructor(readonly key: string) {
    super(`transfer key ${key} was already used for a different transfer`);
    this.name = 'IdempotencyConflictError';
  }
}

/**
 * A write the database itself refused (SYSTEM.md §3's last line of defence): an order's escrow would
 * go below zero, a delivery move the status no longer allows, or an event key already recorded for
 * another move. No retry can make it succeed.
 */
export class GuardRefusal extends Error {
  constructor(readonly guard: 'escrow' | 'status' | 'event_key', message: string) {
    super(message);
    this.name = 'GuardRefusal';
  }
}

/** PostgreSQL's SQLSTATEs of migrations/002_money_guards.sql, as GuardRefusals. */
export function asGuardRefusal(err: unknown): GuardRefusal | undefined {
  const { code, message } = (err ?? {}) as { code?: string; message?: string };
  if (code === 'MK001') return new GuardRefusal('escrow', message ?? 'escrow guard');
  if (code === 'MK002') return new GuardRefusal('status', message ?? 'delivery status guard');
  return undefined;
}

/** Moves money between two wallets atomically; see transferIn for the rules. */
export function transfer(sql: Sql, request: TransferRequest): Promise<TransferResult> {
  return sql.begin((tx) => transferIn(tx, request));
}

/**
 * Inside the caller's transaction: locks both wallets in id order (so A→B and B→A in parallel
 * cannot deadlock), then either finds the key already used — same fields: return it, move nothing;
 * other fields: IdempotencyConflictError — or checks the balance and records the transfer.
 * Only `external` may go below zero; the CHECK on wallets enforces it even if this code is wrong.
 */
export async function transferIn(tx: Tx, request: TransferRequest): Promise<TransferResult> {
  if (!Number.isSafeInteger(request.amount) || request.amount <= 0) {
    throw new RangeError(`transfer amount must be a positive integer, got ${request.amount}`);
  }
  const locked = await lockWalletRefs(tx, [request.from, request.to]);
  const fromId = locked.find((w) => matches(w, request.from))?.id;
  const toId = locked.find((w) => matches(w, request.to))?.id;
  if (fromId === undefined || toId === undefined) throw new Error(`wallet not found for transfer ${request.key}`);

  const [existing] = await tx<Transfer[]>`${selectTransfers(tx)} WHERE idempotency_key = ${request.key}`;
  if (existing) {
    const same = existing.fromWalletId === fromId && existing.toWalletId === toId && existing.amount === request.amount
      && existing.kind === request.kind && existing.orderId === (request.orderId ?? null);
    if (!same) throw new IdempotencyConflictError(request.key);
    return { transfer: existing, replayed: true };
  }

  const from = locked.find((w) => w.id === fromId);
  if (from && from.systemName !== 'external' && from.balance < request.amount) {
    throw new DomainError('INSUFFICIENT_BALANCE', MESSAGES.INSUFFICIENT_BALANCE);
  }
  // The transfer first: its trigger refuses a release from escrow the order does not hold (MK001).
  const [created] = await tx<Transfer[]>`
    WITH t AS (
      INSERT INTO transfers (idempotency_key, from_wallet_id, to_wallet_id, amount, kind, order_id)
      VALUES (${request.key}, ${fromId}, ${toId}, ${request.amount}, ${request.kind}, ${request.orderId ?? null})
      RETURNING *)
    ${selectTransfers(tx, 't')}`.catch((err: unknown) => { throw asGuardRefusal(err) ?? err; });
  await tx`UPDATE wallets SET balance = balance - ${request.amount} WHERE id = ${fromId}`;
  await tx`UPDATE wallets SET balance = balance + ${request.amount} WHERE id = ${toId}`;
  return { transfer: created!, replayed: false };
}

interface LockedWallet { id: number; balance: number; userId: number | null; systemName: string | null }

/** One round trip: finds the wallets by owner and locks them, in id order. */
async function lockWalletRefs(tx: Tx, refs: WalletRef[]): Promise<LockedWallet[]> {
  const userIds = refs.flatMap((r) => ('userId' in r ? [r.userId] : []));
  const systems = refs.flatMap((r) => ('system' in r ? [r.system] : []));
  return tx<LockedWallet[]>`
    SELECT id, balance, user_id AS "userId", system_name AS "systemName" FROM wallets
    WHERE user_id = ANY(${userIds}::bigint[]) OR system_name = ANY(${systems}::text[])
    ORDER BY id FOR UPDATE`;
}

const matches = (w: LockedWallet, ref: WalletRef) => ('userId' in ref ? w.userId === ref.userId : w.systemName === ref.system);

/**
 * Locks wallets in id order. A transaction that makes several transfers (a payout) locks all of
 * its wallets first, so every transaction takes its locks in the same order and none deadlocks.
 */
export async function lockWallets(tx: Tx, refs: WalletRef[]): Promise<void> {
  await lockWalletRefs(tx, refs);
}

function selectTransfers(tx: Tx, from = 'transfers') {
  return tx`SELECT id, idempotency_key AS "idempotencyKey", from_wallet_id AS "fromWalletId",
    to_wallet_id AS "toWalletId", amount, kind, order_id AS "orderId", created_at AS "createdAt"
    FROM ${tx(from)}`;
}

async function walletId(tx: Tx, ref: WalletRef): Promise<number> {
  const rows = 'userId' in ref
    ? await tx<{ id: number }[]>`SELECT id FROM wallets WHERE user_id = ${ref.userId}`
    : await tx<{ id: number }[]>`SELECT id FROM wallets WHERE system_name = ${ref.system}`;
  if (!rows[0]) throw new Error(`wallet not found: ${JSON.stringify(ref)}`);
  return rows[0].id;
}

export async function ensureSystemWallets(sql: Tx, currency: string): Promise<void> {
  for (const name of SYSTEM_WALLETS) {
    await sql`INSERT INTO wallets (system_name, currency) VALUES (${name}, ${currency}) ON CONFLICT DO NOTHING`;
  }
}

export async function balanceOf(sql: Tx, ref: WalletRef): Promise<number> {
  const id = await walletId(sql, ref);
  const [row] = await sql<{ balance: number }[]>`SELECT balance FROM wallets WHERE id = ${id}`;
  return row!.balance;
}

export async function systemBalances(sql: Tx): Promise<Record<SystemWallet, number>> {
  const rows = await sql<{ name: SystemWallet; balance: number }[]>`
    SELECT system_name AS name, balance FROM wallets WHERE system_name IS NOT NULL`;
  const result = { 'general-system': 0, tax: 0, profit: 0, external: 0 };
  for (const row of rows) result[row.name] = row.balance;
  return result;
}

export interface UserTransfer {
  id: number; kind: TransferKind; amount: number; direction: 'in' | 'out'; order_id: string | null; created_at: Date;
}

/**
 * A user's transfers, newest first, signed from the user's side (+ in, − out), one keyset page by
 * id. `from = w OR to = w` would read every row of the wallet to sort them; instead each side is
 * one backward seek on transfers_from_wallet / transfers_to_wallet that stops after limit + 1 rows,
 * and the two short lists are merged (never both sides of one row: a transfer between a wallet
 * and itself is refused by a CHECK). Planned as src/db/keyset.ts seekPlan says, so a busy wallet's
 * page does not become a scan of the primary key.
 */
export async function userTransfers(sql: Sql, userId: number, query: { limit: number; afterId?: number | undefined }): Promise<Page<UserTransfer, number>> {
  const n = query.limit + 1;
  const rows = await seekPlan(sql, (tx) => {
    // An InitPlan, as ownerParam makes one: the planner sees an average wallet. No wallet, no rows.
    const wallet = tx`(SELECT id FROM wallets WHERE user_id = ${userId})`;
    const side = (column: 'from_wallet_id' | 'to_wallet_id') => tx`
      SELECT * FROM transfers WHERE ${tx(column)} = ${wallet} ${query.afterId === undefined ? tx`` : tx`AND id < ${query.afterId}`}
      ORDER BY id DESC LIMIT ${n}`;
    return tx<UserTransfer[]>`
      SELECT id, kind, amount, CASE WHEN to_wallet_id = ${wallet} THEN 'in' ELSE 'out' END AS direction, order_id, created_at
      FROM ((${side('from_wallet_id')}) UNION ALL (${side('to_wallet_id')})) t
      ORDER BY id DESC LIMIT ${n}`;
  });
  return pageOf(rows, query.limit, (t) => t.id);
}
