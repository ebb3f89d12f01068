import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The seed's envelope: every success answers `{success, message, data}`. */
export function ok<T, S extends ContentfulStatusCode = 200>(c: Context, message: string, data: T, status: S = 200 as S) {
  return c.json({ success: true as const, message, data }, status);
}

/** A list's data (SYSTEM.md §6): one page of items and the cursor of the next, null on the last page. */
export function listOf<T>(items: T[], nextCursor: string | null) {
  return { items, has_more: nextCursor !== null, next_cursor: nextCursor };
}
