import { applyBasisPoints, sum, type Minor } from './money.js';

export interface Rates {
  taxRateBp: number;
  platformFeeBp: number;
}

export interface OrderPrice {
  subtotal: Minor;
  tax: Minor;
  total: Minor;
}

/** SYSTEM.md §3: subtotal = service + upgrades; tax on the subtotal; total is what goes into escrow. */
export function priceOrder(input: { servicePrice: Minor; upgradePrices: readonly Minor[]; rates: Rates }): OrderPrice {
  const subtotal = sum([input.servicePrice, ...input.upgradePrices]);
  const tax = applyBasisPoints(subtotal, input.rates.taxRateBp);
  return { subtotal, tax, total: subtotal + tax };
}

export interface PayoutSplit {
  profit: Minor;
  profitTax: Minor;
  providerShare: Minor;
}

/**
 * SYSTEM.md §3: the escrowed amount E is split into platform profit, tax on that profit and the
 * provider's share, which takes the remainder so the three always add up to exactly E.
 */
export function splitPayout(escrowed: Minor, rates: Rates): PayoutSplit {
  const profit = applyBasisPoints(escrowed, rates.platformFeeBp);
  // Two half-up roundings can overshoot E by one unit at extreme rates (E=15, fee 50%, tax 93.75%:
  // 8 + 8 > 15, found by the property test); the tax is capped so the provider never owes money.
  // With the default rates the cap never binds.
  const profitTax = Math.min(applyBasisPoints(profit, rates.taxRateBp), escrowed - profit);
  return { profit, profitTax, providerShare: escrowed - profit - profitTax };
}
