import { z } from '@hono/zod-openapi';
import { ERROR_CODES, type ErrorCode } from '../domain/errors.js';
import { STATUS_OF } from './errors.js';

/** The error envelope of SYSTEM.md §6, as the OpenAPI document shows it. */
export const ErrorEnvelope = z.object({
  success: z.literal(false),
  message: z.string(),
  code: z.enum(ERROR_CODES),
  data: z.null(),
  errors: z.record(z.string(), z.array(z.string())).optional().openapi({ description: 'Field errors, for VALIDATION_FAILED' }),
}).openapi('Error', {
  example: { success: false, message: 'The selected service id is invalid.', code: 'VALIDATION_FAILED', data: null, errors: { service_id: ['The selected service id is invalid.'] } },
});

/**
 * Statuses every authenticated endpoint may answer; 409 only where a move can be refused (a
 * transition, a resume) or an order cancelled by an operator: POSTs to these paths.
 */
const COMMON: readonly number[] = [400, 401, 403, 404, 413, 415, 422, 431, 500, 503];
const CONFLICTS = /\/(start|submit|approve|request-revision|cancel|resume)$|^\/api\/v1\/orders$/;

interface Operation { responses?: Record<string, unknown> }

/**
 * Adds the error responses, with their codes and the Error schema, to every operation of the
 * API. Done on the generated document rather than in each route, where zod response schemas would
 * make the typed handlers declare error bodies that in fact leave through onError.
 */
export function withErrorResponses<T extends { paths?: object }>(doc: T): T {
  for (const [path, operations] of Object.entries((doc.paths ?? {}) as Record<string, Record<string, Operation>>)) {
    if (!path.startsWith('/api/')) continue;
    for (const [method, operation] of Object.entries(operations)) {
      const statuses = method === 'post' && CONFLICTS.test(path) ? [...COMMON, 409] : COMMON;
      operation.responses = { ...operation.responses, ...errorResponses(statuses) };
    }
  }
  return doc;
}

function errorResponses(statuses: readonly number[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of ERROR_CODES) {
    const status = STATUS_OF[code];
    if (statuses.includes(status)) byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries([...byStatus].map(([status, codes]) => [String(status), {
    description: codes.join(', '),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  }]));
}
