/**
 * Money is an integer count of minor units (halalas for SAR). Amounts travel as JS numbers
 * because they cross JSON (HTTP and Temporal payloads); every one is checked to be a safe integer,
 * so arithmetic on them is exact. PostgreSQL stores them as bigint.
 */
export type Minor = number;

export const MAX_AMOUNT: Minor = 1_000_000_000_000; // 10 billion SAR: far beyond any order, far below 2^53

function assertMinor(value: number, what = 'amount'): Minor {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative integer number of minor units, got ${value}`);
  }
  return value;
}

/** `round_half_up(amount × bp / 10000)` with integer arithmetic only (amount ≥ 0). */
export function applyBasisPoints(amount: Minor, basisPoints: number): Minor {
  assertMinor(amount);
  if (!Number.isInteger(basisPoints) || basisPoints < 0 || basisPoints > 10_000) {
    throw new RangeError(`basis points must be an integer in 0..10000, got ${basisPoints}`);
  }
  // BigInt keeps amount × bp exact even where it would pass 2^53.
  const product = BigInt(amount) * BigInt(basisPoints);
  return Number((product + 5_000n) / 10_000n);
}

export function sum(amounts: readonly Minor[]): Minor {
  return amounts.reduce((total, a) => total + assertMinor(a), 0);
}
