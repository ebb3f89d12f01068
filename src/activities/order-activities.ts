import { upgradesByIds, findService } from '../db/catalog.js';
import type { Sql } from '../db/client.js';
import { transfer } from '../db/ledger.js';
import { insertPaidOrder, markOrderFailed } from '../db/orders.js';
import type { CatalogTerms, OrderDraft, OrderRequest } from '../domain/order.js';
import { checkOrderRequest } from '../domain/order-validation.js';
import type { Rates } from '../domain/pricing.js';
import type { DeliveryDeadlines } from '../domain/delivery.js';
import { paymentKey, refundKey } from '../domain/keys.js';
import type { Metrics } from '../observability/metrics.js';
import { refusalsAsFailures } from './failures.js';

export interface OrderActivityDeps {
  sql: Sql;
  money: Rates & { currency: string };
  delivery: DeliveryDeadlines;
  /** Counts writes the database refused where this worker exposes metrics. */
  metrics?: Metrics;
}

export function createOrderActivities({ sql, money, delivery, metrics }: OrderActivityDeps) {
  return {
    /** Reads the catalog and applies the seed's checks; the rates and deadlines in force are snapshotted here. */
    async validateOrder(input: OrderRequest): Promise<CatalogTerms> {
      return refusalsAsFailures(async () => {
        const [service, upgrades] = await Promise.all([
          findService(sql, input.serviceId),
          upgradesByIds(sql, input.upgradeIds),
        ]);
        const checked = checkOrderRequest({ service, upgrades, upgradeIds: input.upgradeIds, methodType: input.methodType });
        return {
          providerId: checked.service.providerId,
          serviceName: checked.service.name,
          servicePrice: checked.service.price,
          upgrades: checked.upgrades.map(({ id, name, price }) => ({ id, name, price })),
          rates: { taxRateBp: money.taxRateBp, platformFeeBp: money.platformFeeBp },
          currency: money.currency,
          deadlines: { acceptTimeoutMs: delivery.acceptTimeoutMs, reviewTimeoutMs: delivery.reviewTimeoutMs },
        };
      });
    },

    /** Customer wallet → escrow. The business key makes a retry after commit move nothing. */
    async debitToEscrow(input: { orderId: string; customerId: number; amount: number }): Promise<void> {
      await refusalsAsFailures(() => transfer(sql, {
        key: paymentKey(input.orderId),
        from: { userId: input.customerId },
        to: { system: 'general-system' },
        amount: input.amount,
        kind: 'order_payment',
        orderId: input.orderId,
      }), metrics);
    },

    /** The paid order and its delivery (NEW), in one transaction. */
    async recordOrder(input: { draft: OrderDraft; deliveryId: string }): Promise<void> {
      await insertPaidOrder(sql, input.draft, input.deliveryId);
    },

    /** Compensation of debitToEscrow: escrow → customer, once, by its own business key. */
    async refundPayment(input: { orderId: string; customerId: number; amount: number }): Promise<void> {
      await refusalsAsFailures(() => transfer(sql, {
        key: refundKey(input.orderId),
        from: { system: 'general-system' },
        to: { userId: input.customerId },
        amount: input.amount,
        kind: 'refund',
        orderId: input.orderId,
      }), metrics);
    },

    async markOrderFailed(input: { draft: OrderDraft; failureCode: string }): Promise<void> {
      await markOrderFailed(sql, input.draft, input.failureCode);
    },
  };
}
