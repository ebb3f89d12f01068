import type { Fragment, Sql, Tx } from './client.js';

/**
 * Keyset pages (SYSTEM.md §6 lists): a page is the rows strictly after the last one the client saw,
 * in an order made total by the id, read by one index seek whatever the depth (no OFFSET, no
 * count). A row created while a client pages lands before its position, so what it has seen
 * neither shifts nor repeats.
 */

/**
 * Where a newest-first page of orders or deliveries stopped: the last row's created_at, exact, and
 * its id (the tiebreak of rows created in the same microsecond, e.g. in one transaction).
 */
export interface Position {
  /** ISO 8601 in UTC to the microsecond: a JS Date keeps only milliseconds, and a position a few
   * microseconds off would skip rows or show some twice. */
  at: string;
  id: string;
}

export interface Page<T, K> {
  items: T[];
  /** The last item's key when more rows follow, else null. */
  next: K | null;
}

/** to_char()'s format for `Position.at`: PostgreSQL reads it back as the same instant. */
export const EXACT_TIME = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

/**
 * The rows after `position` in (created_at DESC, id DESC) order, as one row comparison that the
 * btree (…, created_at DESC, id DESC) indexes seek to. The time goes as text: a parameter
 * PostgreSQL types as timestamptz, postgres.js would pass through a JS Date, cutting it to milliseconds.
 */
export function afterPosition(sql: Tx, table: 'o' | 'd', position: Position | undefined): Fragment {
  if (!position) return sql``;
  return sql`AND (${sql(table)}.created_at, ${sql(table)}.id) < (${position.at}::text::timestamptz, ${position.id}::text::uuid)`;
}

/**
 * A list page's query, planned so that it can only be the index seek. Two plans are cheaper by the
 * planner's estimates and ruinous for a busy owner:
 * - read the newest-first index (or, for transfers, the primary key) and filter on the owner: the
 *   planner takes it when shown an owner with a large share of the table, and the last page then
 *   reads every row older than the owner's oldest one. The owner's id therefore goes in as an
 *   InitPlan (`ownerParam`) that the planner cannot look into: it plans for an average owner, and
 *   for an average owner the owner's own index is the cheapest way to the first rows;
 * - read all of the owner's rows by a bitmap scan of that same index and sort them: the planner takes
 *   it when it expects the owner to have about a page of rows, which for an average owner of a young
 *   database is true and for a busy one means sorting all its rows. Bitmap scans are off for the
 *   query (SET LOCAL, in a read-only transaction of its own), which leaves the ordered scan.
 */
export function seekPlan<T>(sql: Sql, query: (tx: Tx) => Promise<T>): Promise<T> {
  return sql.begin('read only', async (tx) => {
    await tx`SET LOCAL enable_bitmapscan = off`;
    return query(tx);
  }) as Promise<T>;
}

/** The list owner's id as an InitPlan the planner cannot look into (see seekPlan); it still reaches the index condition at run time. */
export function ownerParam(sql: Tx, id: number): Fragment {
  return sql`(SELECT ${id}::bigint)`;
}

/** The query read `limit + 1` rows: the extra one only says that another page exists. */
export function pageOf<T, K>(rows: T[], limit: number, keyOf: (row: T) => K): Page<T, K> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last !== undefined ? keyOf(last) : null };
}
