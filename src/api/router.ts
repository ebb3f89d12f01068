import { OpenAPIHono, type Hook } from '@hono/zod-openapi';
import { DomainError } from '../domain/errors.js';
import type { AuthEnv } from './auth.js';
import { fieldErrors } from './validation.js';

/** Every route's validation failure: 422 VALIDATION_FAILED with `{field: [messages]}`. */
const validationHook: Hook<unknown, AuthEnv, string, unknown> = (result) => {
  if (!result.success) {
    const errors = fieldErrors(result.error);
    const first = Object.values(errors)[0]?.[0] ?? 'The given data was invalid.';
    throw new DomainError('VALIDATION_FAILED', first, errors);
  }
};

/** A route group of the authenticated API, answering validation failures in the envelope. */
export const router = () => new OpenAPIHono<AuthEnv>({ defaultHook: validationHook });
