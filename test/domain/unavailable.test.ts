import { ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { isUnavailable } from '../../src/api/errors.js';

describe('isUnavailable (what becomes 503 with Retry-After)', () => {
  it.each([
    ['the database refusing connections', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a postgres.js connection closed', Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' })],
    ['PostgreSQL shutting down', Object.assign(new Error('terminating connection'), { code: '57P01' })],
    ['Temporal UNAVAILABLE', new ServiceError('unavailable', { cause: Object.assign(new Error('14 UNAVAILABLE'), { code: 14 }) })],
    ['Temporal DEADLINE_EXCEEDED', new ServiceError('deadline', { cause: Object.assign(new Error('4 DEADLINE_EXCEEDED'), { code: 4 }) })],
  ])('is true for %s', (_name, err) => {
    expect(isUnavailable(err)).toBe(true);
  });

  it.each([
    ['a Temporal INVALID_ARGUMENT (an unregistered search attribute)', new ServiceError('bad', { cause: Object.assign(new Error('3 INVALID_ARGUMENT'), { code: 3 }) })],
    ['a Temporal PERMISSION_DENIED (a wrong API key)', new ServiceError('denied', { cause: Object.assign(new Error('7 PERMISSION_DENIED'), { code: 7 }) })],
    ['a SQL error', Object.assign(new Error('syntax error'), { code: '42601' })],
    ['a plain bug', new TypeError('x is undefined')],
  ])('is false for %s', (_name, err) => {
    expect(isUnavailable(err)).toBe(false);
  });
});
