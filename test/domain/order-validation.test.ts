import { describe, expect, it } from 'vitest';
import { DomainError, ERROR_CODES, isErrorCode } from '../../src/domain/errors.js';
import { checkOrderRequest } from '../../src/domain/order-validation.js';

const service = { id: 1, providerId: 9, name: 'Logo', price: 100, status: 'ACTIVE' as const };
const upgrade = (id: number, serviceId = 1, status: 'ACTIVE' | 'INACTIVE' = 'ACTIVE') => ({ id, serviceId, name: `u${id}`, price: 10, status });

function refusal(input: Parameters<typeof checkOrderRequest>[0]): DomainError {
  try {
    checkOrderRequest(input);
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('checkOrderRequest', () => {
  it('accepts an active service with its own active upgrades and the wallet', () => {
    const result = checkOrderRequest({ service, upgradeIds: [2, 3], upgrades: [upgrade(3), upgrade(2)], methodType: 'wallet' });
    expect(result.upgrades.map((u) => u.id)).toEqual([2, 3]);
  });

  it('refuses a missing service with a field error on service_id', () => {
    const err = refusal({ service: undefined, upgradeIds: [], upgrades: [], methodType: 'wallet' });
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.errors).toEqual({ service_id: ['The selected service id is invalid.'] });
  });

  it('refuses an inactive service before looking at anything else', () => {
    expect(refusal({ service: { ...service, status: 'INACTIVE' }, upgradeIds: [99], upgrades: [], methodType: 'apple_pay' }).code).toBe('SERVICE_UNAVAILABLE');
  });

  it.each([
    ['unknown', [5], []],
    ['of another service', [5], [upgrade(5, 2)]],
    ['inactive', [5], [upgrade(5, 1, 'INACTIVE')]],
    ['duplicated', [5, 5], [upgrade(5)]],
  ])('refuses an upgrade that is %s', (_name, upgradeIds, upgrades) => {
    expect(refusal({ service, upgradeIds, upgrades, methodType: 'wallet' }).code).toBe('INVALID_UPGRADES');
  });

  it.each(['credit_card', 'apple_pay'] as const)('answers %s with Under Development after the catalog checks', (methodType) => {
    const err = refusal({ service, upgradeIds: [], upgrades: [], methodType });
    expect(err.code).toBe('PAYMENT_METHOD_UNAVAILABLE');
    expect(err.message).toBe('Under Development');
  });
});

describe('error codes', () => {
  it('are upper snake case and recognised', () => {
    for (const code of ERROR_CODES) {
      expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
      expect(isErrorCode(code)).toBe(true);
    }
    expect(isErrorCode('SOMETHING_ELSE')).toBe(false);
  });
});
