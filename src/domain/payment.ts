export const PAYMENT_METHODS = ['wallet', 'credit_card', 'apple_pay'] as const;
export type MethodType = (typeof PAYMENT_METHODS)[number];

/** The seed: only the wallet pays today; cards and Apple Pay answer "Under Development". */
export function isPaymentMethodAvailable(method: MethodType): boolean {
  return method === 'wallet';
}
