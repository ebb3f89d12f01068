/**
 * The model prices orders and splits payouts with src/domain's own functions, so a bug there would be
 * in both and the chaos run would not see it. These cases are written by hand (SYSTEM.md §3 worked
 * out on paper, not computed), and each chaos run's first step places them on the real system and
 * compares every amount the API shows with them, independently of the model. chaos.test.ts also
 * checks the model against them without any system.
 */
export interface FixedCase {
  name: string;
  servicePrice: number;
  upgradePrices: number[];
  /** subtotal, tax (15% half-up), total: what leaves the customer's wallet. */
  total: number;
  tax: number;
  /** profit (20% of total, half-up), tax on profit (15%, half-up), provider's share (the rest). */
  profit: number;
  profitTax: number;
  providerShare: number;
}

export const FIXED_CASES: readonly FixedCase[] = [
  // SYSTEM.md's worked example: 10000 + 2500 + 1500 = 14000; tax 2100; total 16100;
  // profit 3220, its tax 483, provider 16100 - 3220 - 483 = 12397.
  { name: 'worked example', servicePrice: 10_000, upgradePrices: [2_500, 1_500], total: 16_100, tax: 2_100, profit: 3_220, profitTax: 483, providerShare: 12_397 },
  // 777 + 333 = 1110; tax 166.5 → 167; total 1277; profit 255.4 → 255; its tax 38.25 → 38; provider 984.
  { name: 'half-up tax', servicePrice: 777, upgradePrices: [333], total: 1_277, tax: 167, profit: 255, profitTax: 38, providerShare: 984 },
  // 4321; tax 648.15 → 648; total 4969; profit 993.8 → 994; its tax 149.1 → 149; provider 3826.
  { name: 'odd price', servicePrice: 4_321, upgradePrices: [], total: 4_969, tax: 648, profit: 994, profitTax: 149, providerShare: 3_826 },
];
