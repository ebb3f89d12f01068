import { createHash, randomBytes } from 'node:crypto';
import type { Sql, Tx } from './client.js';
import type { Role } from '../domain/vocabularies.js';

export interface User { id: number; name: string; role: Role }

/** Opaque bearer tokens: 32 random bytes; only their SHA-256 is stored. */
function newToken(): string {
  return `mk_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Creates the user and its wallet together, so no user is ever without one. */
export async function createUser(sql: Sql, input: { name: string; role: Role; currency: string }): Promise<User> {
  return sql.begin((tx) => insertUser(tx, input));
}

async function insertUser(tx: Tx, input: { name: string; role: Role; currency: string }): Promise<User> {
  const [user] = await tx<User[]>`INSERT INTO users (name, role) VALUES (${input.name}, ${input.role}) RETURNING id, name, role`;
  await tx`INSERT INTO wallets (user_id, currency) VALUES (${user!.id}, ${input.currency})`;
  return user!;
}

export async function findUser(sql: Tx, id: number): Promise<User | undefined> {
  const [user] = await sql<User[]>`SELECT id, name, role FROM users WHERE id = ${id}`;
  return user;
}

export async function issueToken(sql: Tx, userId: number, token = newToken()): Promise<{ id: number; token: string }> {
  const [row] = await sql<{ id: number }[]>`
    INSERT INTO api_tokens (user_id, token_hash) VALUES (${userId}, ${hashToken(token)}) RETURNING id`;
  return { id: row!.id, token };
}

/** Revokes a token; answers whether there was a live token with that id. */
export async function revokeToken(sql: Tx, tokenId: number): Promise<boolean> {
  const rows = await sql`UPDATE api_tokens SET revoked_at = now() WHERE id = ${tokenId} AND revoked_at IS NULL RETURNING id`;
  return rows.length > 0;
}

export async function userByToken(sql: Tx, token: string): Promise<User | undefined> {
  const [user] = await sql<User[]>`
    SELECT u.id, u.name, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = ${hashToken(token)} AND t.revoked_at IS NULL`;
  return user;
}

/**
 * Makes the configured bootstrap admin token valid. Runs under an advisory lock so that two
 * processes starting at once create one admin, not two.
 */
export async function ensureBootstrapAdmin(sql: Sql, token: string, currency: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(7233002)`;
    const [known] = await tx`SELECT 1 FROM api_tokens WHERE token_hash = ${hashToken(token)}`;
    if (known) return;
    const admin = await insertUser(tx, { name: 'Administrator', role: 'admin', currency });
    await issueToken(tx, admin.id, token);
  });
}
