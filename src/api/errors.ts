import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, type ErrorCode, type FieldErrors } from '../domain/errors.js';

/** The one place where error codes become HTTP statuses; exhaustive over ErrorCode. */
export const STATUS_OF: Record<ErrorCode, ContentfulStatusCode> = {
  MALFORMED_JSON: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INVALID_TRANSITION: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  VALIDATION_FAILED: 422,
  SERVICE_UNAVAILABLE: 422,
  INVALID_UPGRADES: 422,
  INSUFFICIENT_BALANCE: 422,
  PAYMENT_METHOD_UNAVAILABLE: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  ORDER_CANCELLED: 409,
  ORDER_FAILED: 500,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export interface ErrorBody {
  success: false;
  message: string;
  code: ErrorCode;
  data: null;
  errors?: FieldErrors;
}

export function errorBody(code: ErrorCode, message: string, errors?: FieldErrors): ErrorBody {
  return { success: false, message, code, data: null, ...(errors ? { errors } : {}) };
}

/** UNAVAILABLE with when the client may try again: Retry-After is HTTP's, so it lives at the edge. */
export class RetryLater extends DomainError {
  constructor(message: string, readonly retryAfterS: number) {
    super('UNAVAILABLE', message);
  }
}

export function errorResponse(c: Context, error: DomainError): Response {
  if (error.code === 'UNAVAILABLE') c.header('Retry-After', String(error instanceof RetryLater ? error.retryAfterS : 5));
  return c.json(errorBody(error.code, error.message, error.errors), STATUS_OF[error.code]);
}

/** Hono's own exceptions (body parsing, size limit, media type) in the envelope's words. */
function fromHttpException(err: HTTPException): DomainError {
  switch (err.status) {
    case 400: return new DomainError('MALFORMED_JSON', 'The request body is not valid JSON.');
    case 401: return new DomainError('UNAUTHENTICATED', 'Unauthenticated.');
    case 413: return new DomainError('PAYLOAD_TOO_LARGE', 'The request body is too large.');
    case 415: return new DomainError('UNSUPPORTED_MEDIA_TYPE', 'The request body must be application/json.');
    default: return new DomainError('INTERNAL', 'Server Error');
  }
}

// Network errors, postgres.js connection errors, and PostgreSQL's "shutting down / starting up /
// too many connections": the database is away, not wrong.
const DATABASE_AWAY = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|CONNECTION_CLOSED|CONNECTION_ENDED|CONNECTION_DESTROYED|CONNECT_TIMEOUT|57P01|57P02|57P03|53300)$/;
// gRPC statuses of a Temporal call that mean "try again later": UNAVAILABLE, DEADLINE_EXCEEDED.
const GRPC_AWAY = new Set([14, 4]);

/**
 * True for errors that mean a dependency is away, not a bug: only these become 503 with
 * Retry-After. A Temporal error such as INVALID_ARGUMENT (an unregistered search attribute, a
 * wrong namespace) is a fault to log and fix, so it stays a 500.
 */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof e?.code === 'string' && DATABASE_AWAY.test(e.code)) return true;
  const grpc = typeof e?.code === 'number' ? e.code : e?.cause?.code;
  return typeof grpc === 'number' && GRPC_AWAY.has(grpc);
}

export function toDomainError(err: unknown): DomainError | undefined {
  if (err instanceof DomainError) return err;
  if (err instanceof HTTPException) return fromHttpException(err);
  if (isUnavailable(err)) return new DomainError('UNAVAILABLE', 'The service is temporarily unavailable, please retry.');
  return undefined;
}
