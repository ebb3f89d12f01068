import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyBasisPoints, MAX_AMOUNT } from '../../src/domain/money.js';
import { priceOrder, splitPayout } from '../../src/domain/pricing.js';

const rates = { taxRateBp: 1500, platformFeeBp: 2000 };
const amount = fc.integer({ min: 0, max: MAX_AMOUNT });
const bp = fc.integer({ min: 0, max: 10_000 });

describe('applyBasisPoints (round half up on the minor unit)', () => {
  it.each([
    [14_000, 1500, 2100],
    [130, 1500, 20], // 19.5 → 20
    [129, 1500, 19], // 19.35 → 19
    [10, 1500, 2], // 1.5 → 2
    [3, 1500, 0], // 0.45 → 0
    [1, 5000, 1], // 0.5 → 1
    [16_100, 2000, 3220],
    [3_220, 1500, 483],
    [0, 1500, 0],
    [MAX_AMOUNT, 10_000, MAX_AMOUNT],
  ])('%i × %i bp = %i', (value, rate, expected) => {
    expect(applyBasisPoints(value, rate)).toBe(expected);
  });

  it('refuses fractional, negative and unsafe amounts and out-of-range rates', () => {
    expect(() => applyBasisPoints(1.5, 1500)).toThrow(RangeError);
    expect(() => applyBasisPoints(-1, 1500)).toThrow(RangeError);
    expect(() => applyBasisPoints(2 ** 53, 1500)).toThrow(RangeError);
    expect(() => applyBasisPoints(100, 10_001)).toThrow(RangeError);
    expect(() => applyBasisPoints(100, 12.5)).toThrow(RangeError);
  });

  it('equals the exact rational rounded half up, for any amount and rate', () => {
    fc.assert(fc.property(amount, bp, (a, r) => {
      const exact = BigInt(a) * BigInt(r); // in 1/10000 of a minor unit
      const result = BigInt(applyBasisPoints(a, r));
      // result − 1/2 ≤ exact/10000 < result + 1/2
      return result * 20_000n - 10_000n <= exact * 2n && exact * 2n < result * 20_000n + 10_000n;
    }));
  });
});

describe('priceOrder', () => {
  it('prices the worked example: 10000 + 2500 + 1500 = 14000, tax 2100, total 16100', () => {
    expect(priceOrder({ servicePrice: 10_000, upgradePrices: [2_500, 1_500], rates })).toEqual({ subtotal: 14_000, tax: 2_100, total: 16_100 });
  });

  it('prices a service of 130 with no upgrades: tax 20, total 150', () => {
    expect(priceOrder({ servicePrice: 130, upgradePrices: [], rates })).toEqual({ subtotal: 130, tax: 20, total: 150 });
  });

  it('always has total = subtotal + tax, with subtotal the sum of the parts', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.array(fc.integer({ min: 0, max: 10_000_000 }), { maxLength: 20 }), bp,
      (service, upgrades, taxRateBp) => {
        const price = priceOrder({ servicePrice: service, upgradePrices: upgrades, rates: { taxRateBp, platformFeeBp: 0 } });
        return price.subtotal === service + upgrades.reduce((s, u) => s + u, 0) && price.total === price.subtotal + price.tax;
      }));
  });
});

describe('splitPayout', () => {
  it('splits the worked example 16100 into profit 3220, profit tax 483, provider 12397', () => {
    expect(splitPayout(16_100, rates)).toEqual({ profit: 3_220, profitTax: 483, providerShare: 12_397 });
  });

  it('splits 150 into profit 30, profit tax 5, provider 115', () => {
    expect(splitPayout(150, rates)).toEqual({ profit: 30, profitTax: 5, providerShare: 115 });
  });

  it('always sums to exactly the escrowed amount with no negative part', () => {
    fc.assert(fc.property(amount, bp, bp, (escrowed, taxRateBp, platformFeeBp) => {
      const split = splitPayout(escrowed, { taxRateBp, platformFeeBp });
      return split.profit + split.profitTax + split.providerShare === escrowed
        && split.profit >= 0 && split.profitTax >= 0 && split.providerShare >= 0
        && Number.isSafeInteger(split.providerShare);
    }));
  });
});
