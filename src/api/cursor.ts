import { z } from 'zod';
import type { Position } from '../db/keyset.js';
import { ORDER_STATUSES } from '../domain/vocabularies.js';
import { DELIVERY_STATUSES } from '../domain/delivery.js';
import { DomainError } from '../domain/errors.js';

/**
 * A list's `next_cursor` (SYSTEM.md §6): base64url of a small JSON object naming the list, the
 * status filter it was made under, and the last row's sort key. Opaque to clients but not secret:
 * the owner filter always applies, so a cursor copied from another user only positions a page of
 * the caller's own rows, and no signing key is needed. A cursor is checked whole (shape, types,
 * a real instant) before it reaches SQL; anything else is 422 VALIDATION_FAILED on `cursor`.
 */

/** ISO 8601 in UTC to the microsecond, as src/db/keyset.ts EXACT_TIME writes it. */
const exactTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/).refine((at) => {
  // A well-formed string may still name no instant (a 30th of February): PostgreSQL would refuse it.
  const millis = `${at.slice(0, 23)}Z`;
  const date = new Date(millis);
  return !Number.isNaN(date.getTime()) && date.toISOString() === millis && date.getUTCFullYear() >= 1970;
});
// Any 128-bit id in the canonical text form, not only RFC 4122 variants: seeded data uses md5 uuids.
const uuidText = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

const CursorSchema = z.discriminatedUnion('l', [
  z.strictObject({ l: z.literal('orders'), s: z.enum(ORDER_STATUSES).nullable(), t: exactTime, i: uuidText }),
  z.strictObject({ l: z.literal('deliveries'), s: z.enum(DELIVERY_STATUSES).nullable(), t: exactTime, i: uuidText }),
  z.strictObject({ l: z.literal('transactions'), i: z.int().min(1).max(Number.MAX_SAFE_INTEGER) }),
]);
export type Cursor = z.infer<typeof CursorSchema>;
type TimeList = 'orders' | 'deliveries';

export const CURSOR_INVALID = 'The cursor is invalid: pass the next_cursor of the page before, unchanged.';
const CURSOR_ELSEWHERE = 'The cursor belongs to another list or status filter: keep the list and status of the page it came from.';

/** The cursor a client sent, or undefined when it is not one of ours (the query schema then answers 422). */
export function decodeCursor(text: string): Cursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(text)) return undefined; // Buffer would skip stray characters silently
  try {
    return CursorSchema.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))).data;
  } catch {
    return undefined;
  }
}

const encode = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

/** The next page's cursor of an orders or deliveries list, made under `status`. */
export function timeCursor(list: TimeList, status: string | undefined, next: Position | null): string | null {
  if (next === null) return null;
  return encode({ l: list, s: status ?? null, t: next.at, i: next.id } as Cursor);
}

export const transactionsCursor = (nextId: number | null): string | null => (nextId === null ? null : encode({ l: 'transactions', i: nextId }));

/**
 * Where a page of `list` under `status` starts. A cursor of another list, or made under another
 * status filter, is refused rather than reinterpreted: a client that changes the filter starts over.
 */
export function positionAfter(cursor: Cursor | undefined, list: TimeList, status: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined;
  if (cursor.l !== list || cursor.s !== (status ?? null)) throw elsewhere();
  return { at: cursor.t, id: cursor.i };
}

export function idAfter(cursor: Cursor | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  if (cursor.l !== 'transactions') throw elsewhere();
  return cursor.i;
}

const elsewhere = () => new DomainError('VALIDATION_FAILED', CURSOR_ELSEWHERE, { cursor: [CURSOR_ELSEWHERE] });
