import type { Fragment, Sql, Tx } from './client.js';
import type { CatalogStatus } from '../domain/vocabularies.js';

export interface Upgrade { id: number; serviceId: number; name: string; price: number; status: CatalogStatus }
export interface Service {
  id: number;
  providerId: number;
  name: string;
  price: number;
  status: CatalogStatus;
  upgrades: Upgrade[];
}

export type NewService = Omit<Service, 'id' | 'upgrades'> & { upgrades: { name: string; price: number; status: CatalogStatus }[] };

export async function createService(sql: Sql, input: NewService): Promise<Service> {
  const id = await sql.begin(async (tx) => {
    const [row] = await tx<{ id: number }[]>`
      INSERT INTO services (provider_id, name, price, status)
      VALUES (${input.providerId}, ${input.name}, ${input.price}, ${input.status}) RETURNING id`;
    for (const upgrade of input.upgrades) {
      await tx`INSERT INTO service_upgrades (service_id, name, price, status)
        VALUES (${row!.id}, ${upgrade.name}, ${upgrade.price}, ${upgrade.status})`;
    }
    return row!.id;
  });
  return (await findService(sql, id))!;
}

export async function updateService(sql: Tx, id: number, change: { status?: CatalogStatus; price?: number }): Promise<boolean> {
  const rows = await sql`UPDATE services SET
      status = coalesce(${change.status ?? null}, status),
      price = coalesce(${change.price ?? null}::bigint, price),
      updated_at = now()
    WHERE id = ${id} RETURNING id`;
  return rows.length > 0;
}

export async function findService(sql: Tx, id: number): Promise<Service | undefined> {
  const [service] = await servicesWhere(sql, sql`s.id = ${id}`, { onlyActiveUpgrades: false });
  return service;
}

/** The catalog a customer browses: active services with their active upgrades. */
export function activeServices(sql: Tx): Promise<Service[]> {
  return servicesWhere(sql, sql`s.status = 'ACTIVE'`, { onlyActiveUpgrades: true });
}

async function servicesWhere(sql: Tx, where: Fragment, opts: { onlyActiveUpgrades: boolean }): Promise<Service[]> {
  const services = await sql<Omit<Service, 'upgrades'>[]>`
    SELECT id, provider_id AS "providerId", name, price, status FROM services s WHERE ${where} ORDER BY id`;
  if (services.length === 0) return [];
  const upgrades = await sql<Upgrade[]>`
    SELECT id, service_id AS "serviceId", name, price, status FROM service_upgrades
    WHERE service_id IN ${sql(services.map((s) => s.id))}
      ${opts.onlyActiveUpgrades ? sql`AND status = 'ACTIVE'` : sql``}
    ORDER BY id`;
  return services.map((s) => ({ ...s, upgrades: upgrades.filter((u) => u.serviceId === s.id) }));
}

/** Upgrades by id, whichever service they belong to: the caller decides which are acceptable. */
export function upgradesByIds(sql: Tx, ids: readonly number[]): Promise<Upgrade[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return sql<Upgrade[]>`
    SELECT id, service_id AS "serviceId", name, price, status FROM service_upgrades WHERE id IN ${sql(ids as number[])}`;
}
