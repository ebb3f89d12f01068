import { describe, expect, it } from 'vitest';
import { DELIVERY_ACTIONS, DELIVERY_STATUSES, transition, type Actor } from '../../src/domain/delivery.js';

const parties = { customerId: 1, providerId: 2 };
const actors: Record<string, Actor> = {
  customer: { role: 'customer', id: 1 },
  provider: { role: 'provider', id: 2 },
  admin: { role: 'admin', id: 3 },
};
const ALLOWED = new Set([
  'NEW start provider', 'IN_PROGRESS submit provider', 'REVIEWING approve customer', 'REVIEWING request-revision customer',
  'NEW cancel customer', 'NEW cancel provider', 'NEW cancel admin',
  'IN_PROGRESS cancel provider', 'IN_PROGRESS cancel admin', 'REVIEWING cancel admin',
]);

describe('transition', () => {
  const cases = DELIVERY_STATUSES.flatMap((status) => DELIVERY_ACTIONS.flatMap((action) =>
    Object.keys(actors).map((role) => [status, action, role] as const)));

  it.each(cases)('%s %s by %s', (status, action, role) => {
    const result = transition(status, action, actors[role]!, parties);
    expect(result.ok).toBe(ALLOWED.has(`${status} ${action} ${role}`));
  });

  it('refuses a role that may never take the action with FORBIDDEN, whatever the status', () => {
    expect(transition('NEW', 'start', actors.customer!, parties)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(transition('REVIEWING', 'approve', actors.admin!, parties)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  it('refuses the customer\'s cancel of work in progress with INVALID_TRANSITION naming the status', () => {
    expect(transition('IN_PROGRESS', 'cancel', actors.customer!, parties)).toEqual({
      ok: false, code: 'INVALID_TRANSITION', message: 'Cannot cancel a delivery that is IN_PROGRESS.',
    });
  });

  it('treats another customer or provider as no party at all', () => {
    expect(transition('NEW', 'start', { role: 'provider', id: 99 }, parties)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(transition('NEW', 'cancel', { role: 'customer', id: 98 }, parties)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  it('lets timers and operators take any move the status allows, and no other', () => {
    expect(transition('NEW', 'cancel', { role: 'system', id: null }, parties)).toEqual({ ok: true, from: 'NEW', to: 'CANCELLED' });
    expect(transition('REVIEWING', 'approve', { role: 'operator', id: null }, parties)).toEqual({ ok: true, from: 'REVIEWING', to: 'COMPLETED' });
    expect(transition('NEW', 'approve', { role: 'operator', id: null }, parties)).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' });
    expect(transition('COMPLETED', 'cancel', { role: 'system', id: null }, parties)).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' });
  });
});
