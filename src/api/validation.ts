import { z } from '@hono/zod-openapi';
import { MAX_AMOUNT } from '../domain/money.js';
import { CURSOR_INVALID, decodeCursor } from './cursor.js';

/**
 * Field schemas whose messages read like the seed's Laravel validation ("The service id field is
 * required."), so a client sees the same words for the same mistakes on every endpoint.
 */
const label = (field: string) => field.replaceAll('_', ' ');

const MAX_ID = 2_147_483_647;

function intField(field: string, { min, max }: { min: number; max: number }) {
  return z.int({
    error: (issue) => (issue.input === undefined ? `The ${label(field)} field is required.` : `The ${label(field)} field must be an integer.`),
  })
    .min(min, { error: `The ${label(field)} field must be at least ${min}.` })
    .max(max, { error: `The ${label(field)} field must not be greater than ${max}.` });
}

export const idField = (field: string) => intField(field, { min: 1, max: MAX_ID });
export const amountField = (field: string, min = 0) => intField(field, { min, max: MAX_AMOUNT });

export function textField(field: string, max = 200) {
  return z.string({
    error: (issue) => (issue.input === undefined ? `The ${label(field)} field is required.` : `The ${label(field)} field must be a string.`),
  })
    .trim()
    .min(1, { error: `The ${label(field)} field is required.` })
    .max(max, { error: `The ${label(field)} field must not be greater than ${max} characters.` });
}

export function enumField<const T extends readonly [string, ...string[]]>(field: string, values: T) {
  return z.enum(values, {
    error: (issue) => (issue.input === undefined ? `The ${label(field)} field is required.` : `The selected ${label(field)} is invalid.`),
  });
}

/** Path ids arrive as strings: digits only, within the integer column's range. */
export const idParam = z.object({
  id: z.string().regex(/^[1-9]\d{0,9}$/, { error: 'The id must be a positive integer.' }).transform(Number)
    .pipe(z.number().max(MAX_ID, { error: 'The id must be a positive integer.' })),
});

export const uuidParam = z.object({ id: z.uuid({ error: 'The id must be a UUID.' }) });

const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 15;

/** A page size from the query string, 1 … 100. */
function limitField(field: string) {
  const error = `The ${label(field)} field must be an integer from 1 to ${MAX_LIMIT}.`;
  return z.coerce.number({ error }).int({ error }).min(1, { error }).max(MAX_LIMIT, { error });
}

const PAGE_GONE = 'Lists are paged by cursor: pass the next_cursor of the page before as cursor (page accepts only 1).';

/**
 * The query of every list (SYSTEM.md §6): `limit` (alias `per_page`, the seed's name) and the
 * opaque `cursor` of the page before. `page` is from before cursors: 1 still means the first page,
 * any other page is refused with a pointer to `cursor`, since answering page 1 again would send an
 * old client round in circles.
 */
export const listQuery = z.object({
  limit: limitField('limit').optional().openapi({ description: `Items per page, 1 … ${MAX_LIMIT} (default ${DEFAULT_LIMIT}).`, example: DEFAULT_LIMIT }),
  per_page: limitField('per_page').optional().openapi({ description: 'The seed\'s name for `limit`; `limit` wins when both are given.' }),
  cursor: z.string().transform((text, ctx) => {
    const cursor = decodeCursor(text);
    if (cursor === undefined) ctx.addIssue({ code: 'custom', message: CURSOR_INVALID });
    return cursor;
  }).optional().openapi({ description: 'The `next_cursor` of the page before; absent for the first page.' }),
  page: z.coerce.number({ error: PAGE_GONE }).refine((page) => page === 1, { error: PAGE_GONE }).optional()
    .openapi({ description: 'Only 1, the first page; later pages are reached by `cursor`.', param: { deprecated: true } }),
});

export const pageSize = (query: { limit?: number | undefined; per_page?: number | undefined }) => query.limit ?? query.per_page ?? DEFAULT_LIMIT;

/** zod issues → `{field: [messages]}` as the envelope's `errors`. */
export function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.length > 0 ? issue.path.join('.') : 'body';
    (errors[key] ??= []).push(issue.message);
  }
  return errors;
}

/** An optional Idempotency-Key: a retried request with the same key is answered, not applied again. */
export const IdempotencyHeader = z.object({
  'idempotency-key': z.string().min(1).max(255, { error: 'The Idempotency-Key header must be 1 to 255 characters.' }).optional(),
});
