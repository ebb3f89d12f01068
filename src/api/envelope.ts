import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The seed's envelope: every success answers `{success, message, data}`. */
export function ok<T, S extends ContentfulStatusCode = 200>(c: Context, message: string, data: T, status: S = 200 as S) {
  return c.json({ success: true as const, message, data }, status);
}

export interface Page { page: number; per_page: number }

export function pageOf<T>(items: T[], page: Page, total: number) {
  return { items, page: page.page, per_page: page.per_page, total };
}
