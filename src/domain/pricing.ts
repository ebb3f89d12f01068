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
  const profitTax = applyBasisPoints(profit, rates.taxRateBp);
  return { profit, profitTax, providerShare: escrowed - profit - profitTax };
}
