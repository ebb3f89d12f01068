import { beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_ACTIONS, DELIVERY_STATUSES, type DeliveryAction, type DeliveryStatus } from '../../src/domain/delivery.js';
import { admin, call, type TestUser } from '../support/api.js';
import { testSql } from '../support/db.js';
import { drive, driveAll, paidDelivery, type PaidDelivery } from '../support/deliveries.js';

/** SYSTEM.md §4: exactly these (status, action, role) moves succeed. */
const ALLOWED: Record<string, DeliveryStatus> = {
  'NEW start provider': 'IN_PROGRESS',
  'IN_PROGRESS submit provider': 'REVIEWING',
  'REVIEWING approve customer': 'COMPLETED',
  'REVIEWING request-revision customer': 'IN_PROGRESS',
  'NEW cancel customer': 'CANCELLED',
  'NEW cancel provider': 'CANCELLED',
  'NEW cancel admin': 'CANCELLED',
  'IN_PROGRESS cancel provider': 'CANCELLED',
  'IN_PROGRESS cancel admin': 'CANCELLED',
  'REVIEWING cancel admin': 'CANCELLED',
};
const ROLES = ['customer', 'provider', 'admin'] as const;
const PATH_TO: Record<DeliveryStatus, DeliveryAction[]> = {
  NEW: [], IN_PROGRESS: ['start'], REVIEWING: ['start', 'submit'],
  COMPLETED: ['start', 'submit', 'approve'], CANCELLED: ['cancel'],
};

async function deliveryIn(status: DeliveryStatus): Promise<PaidDelivery> {
  const d = await paidDelivery(1_000);
  await driveAll(d, PATH_TO[status]);
  return d;
}

function actorOf(d: PaidDelivery, role: (typeof ROLES)[number]): TestUser {
  return role === 'admin' ? { id: 0, token: admin() } : d[role];
}

async function snapshot(d: PaidDelivery) {
  const sql = testSql();
  try {
    const delivery = await call('GET', `/api/v1/deliveries/${d.deliveryId}`, { token: d.customer.token });
    const transfers = await sql`SELECT kind, amount FROM transfers WHERE order_id = ${d.orderId} ORDER BY id`;
    return { status: delivery.body.data.status, history: delivery.body.data.history.length, transfers };
  } finally {
    await sql.end();
  }
}

const cases = DELIVERY_STATUSES.flatMap((status) => DELIVERY_ACTIONS.flatMap((action) => ROLES.map((role) => ({ status, action, role }))));

describe('every (status, action, role) through the API', () => {
  // One delivery per status serves every refused move: a refusal must leave it exactly as it was.
  const shared = new Map<DeliveryStatus, PaidDelivery>();
  beforeAll(async () => {
    for (const status of DELIVERY_STATUSES) shared.set(status, await deliveryIn(status));
  }, 120_000);

  it.each(cases.filter((c) => !ALLOWED[`${c.status} ${c.action} ${c.role}`]))('refuses $action by $role in $status and changes nothing', async ({ status, action, role }) => {
    const d = shared.get(status)!;
    const before = await snapshot(d);
    const res = await drive(actorOf(d, role), d.deliveryId, action);
    expect([403, 409]).toContain(res.status);
    expect(res.body.code).toBe(res.status === 403 ? 'FORBIDDEN' : 'INVALID_TRANSITION');
    expect(await snapshot(d)).toEqual(before);
  });

  it.each(cases.filter((c) => ALLOWED[`${c.status} ${c.action} ${c.role}`]))('lets $role $action in $status', async ({ status, action, role }) => {
    const d = await deliveryIn(status);
    const res = await drive(actorOf(d, role), d.deliveryId, action);
    expect(res.status).toBe(200);
    expect(res.body.data.status).toBe(ALLOWED[`${status} ${action} ${role}`]);
  });
});
