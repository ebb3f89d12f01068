/**
 * Stable error codes of SYSTEM.md §6. The HTTP edge alone maps them to statuses (src/api/errors.ts);
 * workflows and activities carry them as the `type` of a non-retryable ApplicationFailure.
 */
export const ERROR_CODES = [
  'MALFORMED_JSON',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'UNSUPPORTED_MEDIA_TYPE',
  'HEADERS_TOO_LARGE',
  'INVALID_TRANSITION',
  'PAYLOAD_TOO_LARGE',
  'VALIDATION_FAILED',
  'SERVICE_UNAVAILABLE',
  'INVALID_UPGRADES',
  'INSUFFICIENT_BALANCE',
  'PAYMENT_METHOD_UNAVAILABLE',
  'IDEMPOTENCY_KEY_REUSED',
  'ORDER_CANCELLED',
  'ORDER_FAILED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type FieldErrors = Record<string, string[]>;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/**
 * Failure types that never reach a client: a write the database refused (a guard of
 * migrations/002), which workflows handle by taking the database's state; and a transfer key reused
 * with other fields, a bug that no retry can fix.
 */
export const GUARD_REFUSED = 'GUARD_REFUSED';
export const TRANSFER_KEY_CONFLICT = 'TRANSFER_KEY_CONFLICT';

/** Messages the seed names, kept word for word. */
export const MESSAGES = {
  UNAUTHENTICATED: 'Unauthenticated.',
  FORBIDDEN: 'This action is unauthorized.',
  INVALID_UPGRADES: 'The upgrades are invalid',
  INSUFFICIENT_BALANCE: 'Wallet does not have enough balance',
  PAYMENT_METHOD_UNAVAILABLE: 'Under Development',
  SERVICE_ID_INVALID: 'The selected service id is invalid.',
  ORDER_FAILED: 'The order could not be recorded; the payment was refunded.',
} as const;

/** A refusal the business rules make; never retried, never a 5xx. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldErrors,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
