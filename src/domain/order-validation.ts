import { DomainError, MESSAGES } from './errors.js';
import { isPaymentMethodAvailable, type MethodType } from './payment.js';

interface CatalogItem { id: number; price: number; status: 'ACTIVE' | 'INACTIVE' }
interface ServiceLike extends CatalogItem { providerId: number; name: string }
interface UpgradeLike extends CatalogItem { serviceId: number; name: string }

/**
 * The seed's checks, in the seed's order: the service exists, is ACTIVE, every upgrade is a distinct,
 * active upgrade of that service, and the payment method is available. Throws the first refusal.
 */
export function checkOrderRequest(input: {
  service: ServiceLike | undefined;
  upgradeIds: readonly number[];
  upgrades: readonly UpgradeLike[];
  methodType: MethodType;
}): { service: ServiceLike; upgrades: UpgradeLike[] } {
  const { service } = input;
  if (!service) {
    throw new DomainError('VALIDATION_FAILED', MESSAGES.SERVICE_ID_INVALID, { service_id: [MESSAGES.SERVICE_ID_INVALID] });
  }
  if (service.status !== 'ACTIVE') {
    throw new DomainError('SERVICE_UNAVAILABLE', 'The selected service is not available');
  }
  const distinct = new Set(input.upgradeIds);
  const chosen = input.upgradeIds.map((id) => input.upgrades.find((u) => u.id === id));
  const valid = distinct.size === input.upgradeIds.length
    && chosen.every((u) => u !== undefined && u.serviceId === service.id && u.status === 'ACTIVE');
  if (!valid) throw new DomainError('INVALID_UPGRADES', MESSAGES.INVALID_UPGRADES);
  if (!isPaymentMethodAvailable(input.methodType)) {
    throw new DomainError('PAYMENT_METHOD_UNAVAILABLE', MESSAGES.PAYMENT_METHOD_UNAVAILABLE);
  }
  return { service, upgrades: chosen as UpgradeLike[] };
}
