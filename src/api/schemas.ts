import { z } from '@hono/zod-openapi';
import { CATALOG_STATUSES, ORDER_STATUSES, ROLES, TRANSFER_KINDS } from '../domain/vocabularies.js';
import { ACTOR_ROLES, DELIVERY_STATUSES } from '../domain/delivery.js';
import { PAYMENT_METHODS } from '../domain/payment.js';

/**
 * The success answers of SYSTEM.md §6, as the OpenAPI document shows them and as the API suite
 * checks every answer against them (test/support/api.ts). Amounts are integers in minor units;
 * times are ISO 8601 strings. More fields than §6 names are welcome; these are all documented.
 */
const minor = z.number().int();
const id = z.number().int();
const uuid = z.string().uuid();
const time = z.string().openapi({ format: 'date-time' });
const ORDER_STATUS = z.enum(ORDER_STATUSES);
const DELIVERY_STATUS = z.enum(DELIVERY_STATUSES);
const ACTIVE = z.enum(CATALOG_STATUSES);

export const OrderSchema = z.object({
  id: uuid, status: ORDER_STATUS, customer_id: id, provider_id: id, service_id: id, service_name: z.string(),
  method_type: z.enum(PAYMENT_METHODS),
  upgrades: z.array(z.object({ id, name: z.string(), price: minor })),
  subtotal: minor, tax: minor, total: minor, currency: z.string(), tax_rate_bp: z.number().int(), platform_fee_bp: z.number().int(),
  paid_at: time.nullable(), created_at: time,
  delivery: z.object({ id: uuid, status: DELIVERY_STATUS }).nullable(),
}).openapi('Order');

export const DeliverySchema = z.object({
  id: uuid, order_id: uuid, status: DELIVERY_STATUS, customer_id: id, provider_id: id, service_id: id, service_name: z.string(),
  service_price: minor, total: minor, currency: z.string(), created_at: time,
  history: z.array(z.object({
    from: DELIVERY_STATUS.nullable(), to: DELIVERY_STATUS,
    actor_role: z.enum(ACTOR_ROLES), actor_id: id.nullable(),
    reason: z.string().nullable(), at: time,
  })),
}).openapi('Delivery');

export const ServiceSchema = z.object({
  id, provider_id: id, name: z.string(), price: minor, status: ACTIVE,
  upgrades: z.array(z.object({ id, name: z.string(), price: minor, status: ACTIVE })),
}).openapi('Service');

export const CreatedUserSchema = z.object({
  user: z.object({ id, name: z.string(), role: z.enum(ROLES) }),
  token: z.string(),
}).openapi('CreatedUser');
export const IssuedTokenSchema = z.object({ id, token: z.string() }).openapi('IssuedToken');
export const WalletSchema = z.object({ balance: minor, currency: z.string() }).openapi('Wallet');
export const TransactionSchema = z.object({
  id, kind: z.enum(TRANSFER_KINDS),
  amount: minor, direction: z.enum(['in', 'out']), order_id: uuid.nullable(), created_at: time, currency: z.string(),
}).openapi('Transaction');
export const DepositSchema = z.object({ id, user_id: id, amount: minor, currency: z.string(), replayed: z.boolean() }).openapi('Deposit');
export const SystemWalletsSchema = z.object({
  'general-system': minor, tax: minor, profit: minor, external: minor, currency: z.string(),
}).openapi('SystemWallets');
export const ReconciliationSchema = z.object({
  ok: z.boolean(), checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
}).openapi('Reconciliation');

/** A page of a list: `{items, has_more, next_cursor}`. */
export const listSchema = <T extends z.ZodType>(item: T) => z.object({
  items: z.array(item),
  has_more: z.boolean(),
  next_cursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
});

/** A success answer: the seed's envelope around `data`, as a route's documented response. */
export function success<T extends z.ZodType>(description: string, data: T) {
  return {
    description,
    content: { 'application/json': { schema: z.object({ success: z.literal(true), message: z.string(), data }) } },
  };
}
