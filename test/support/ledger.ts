import { randomUUID } from 'node:crypto';
import { createService } from '../../src/db/catalog.js';
import type { Sql } from '../../src/db/client.js';
import { transfer } from '../../src/db/ledger.js';
import { insertPaidOrder } from '../../src/db/orders.js';
import { createUser } from '../../src/db/users.js';
import { paymentKey } from '../../src/domain/keys.js';

/** A customer holding `amount`, straight in the database. */
export async function fundedCustomer(sql: Sql, amount: number): Promise<{ id: number }> {
  const user = await createUser(sql, { name: 'c', role: 'customer', currency: 'SAR' });
  await deposit(sql, user.id, amount);
  return user;
}

export async function deposit(sql: Sql, userId: number, amount: number): Promise<number> {
  const { transfer: t } = await transfer(sql, { key: `deposit:${randomUUID()}`, from: { system: 'external' }, to: { userId }, amount, kind: 'deposit' });
  return t.id;
}

/**
 * An order paid into escrow and recorded with its delivery (NEW), as the order's activities write
 * them, without a workflow: for ledger tests in a scratch database.
 */
export async function paidOrder(sql: Sql, total = 11_500): Promise<{ orderId: string; deliveryId: string; customerId: number }> {
  const provider = await createUser(sql, { name: 'p', role: 'provider', currency: 'SAR' });
  const service = await createService(sql, { providerId: provider.id, name: 'Logo', price: 10_000, status: 'ACTIVE', upgrades: [] });
  const customer = await fundedCustomer(sql, total);
  const orderId = randomUUID();
  const deliveryId = randomUUID();
  await transfer(sql, { key: paymentKey(orderId), from: { userId: customer.id }, to: { system: 'general-system' }, amount: total, kind: 'order_payment', orderId });
  await insertPaidOrder(sql, {
    orderId, customerId: customer.id, providerId: provider.id, serviceId: service.id, serviceName: 'Logo', servicePrice: 10_000,
    methodType: 'wallet', upgrades: [], price: { subtotal: total - 1_500, tax: 1_500, total }, currency: 'SAR',
    rates: { taxRateBp: 1500, platformFeeBp: 2000 }, deadlines: { acceptTimeoutMs: 3_600_000, reviewTimeoutMs: 3_600_000 },
  }, deliveryId);
  return { orderId, deliveryId, customerId: customer.id };
}

/**
 * Runs `fn` with one of the ledger's triggers switched off, as someone with the table owner's
 * rights could: to rewrite history behind the append-only trigger's back, or to release escrow
 * the escrow guard would refuse.
 */
export async function withTriggerOff<T>(sql: Sql, trigger: 'transfers_append_only' | 'transfers_order_escrow', fn: () => Promise<T>): Promise<T> {
  await sql.unsafe(`ALTER TABLE transfers DISABLE TRIGGER ${trigger}`);
  try {
    return await fn();
  } finally {
    await sql.unsafe(`ALTER TABLE transfers ENABLE TRIGGER ${trigger}`);
  }
}
