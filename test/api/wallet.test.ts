import { describe, expect, it } from 'vitest';
import { admin, balance, call, deposit, newUser, systemWallets } from '../support/api.js';

describe('deposits and wallets', () => {
  it('moves nothing when a deposit is replayed with the same Idempotency-Key', async () => {
    const customer = await newUser('customer');
    const externalBefore = (await systemWallets()).external;
    const first = await deposit(customer, 5_000, 'topup-1');
    const again = await deposit(customer, 5_000, 'topup-1');
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.data).toMatchObject({ id: first.body.data.id, amount: 5_000, replayed: true });
    expect(await balance(customer)).toBe(5_000);
    expect((await systemWallets()).external).toBe(externalBefore - 5_000);
  });

  it('refuses the same deposit key with another amount and moves nothing', async () => {
    const customer = await newUser('customer');
    await deposit(customer, 5_000, 'topup-2');
    const other = await deposit(customer, 6_000, 'topup-2');
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await balance(customer)).toBe(5_000);
  });

  it.each([0, -100, 10.5, '100'])('refuses a deposit of %j with 422', async (amount) => {
    const customer = await newUser('customer');
    const res = await call('POST', `/api/v1/admin/wallets/${customer.id}/deposit`, {
      token: admin(), body: { amount }, headers: { 'idempotency-key': `bad-${String(amount)}` },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toHaveProperty('amount');
    expect(await balance(customer)).toBe(0);
  });

  it('lists the customer\'s own transfers, newest first', async () => {
    const customer = await newUser('customer');
    await deposit(customer, 100);
    await deposit(customer, 200);
    const res = await call('GET', '/api/v1/wallet/transactions', { token: customer.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ has_more: false, next_cursor: null, items: [{ amount: 200, direction: 'in', kind: 'deposit' }, { amount: 100 }] });
    expect(res.body.data.items).toHaveLength(2);
  });
});
