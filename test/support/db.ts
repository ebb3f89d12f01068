import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createSql, type Sql } from '../../src/db/client.js';
import { ensureSystemWallets } from '../../src/db/ledger.js';
import { migrate } from '../../src/db/migrate.js';

/** A direct connection for assertions on rows the API does not show (transfers by key, etc.). */
export function testSql(): Sql {
  return createSql(inject('databaseUrl'), { max: 5 });
}

/**
 * A migrated database of its own on the test PostgreSQL server, for tests that move money outside
 * any order (ledger tests) or break the ledger on purpose: the shared ledger stays reconcilable.
 */
export async function scratchDatabase(): Promise<{ sql: Sql; url: string; drop: () => Promise<void> }> {
  const name = `scratch_${randomUUID().replaceAll('-', '')}`;
  const server = createSql(inject('databaseUrl'), { max: 1 });
  await server.unsafe(`CREATE DATABASE ${name}`);
  const url = inject('databaseUrl').replace(/\/[^/]+$/, `/${name}`);
  const sql = createSql(url, { max: 10 });
  await migrate(sql);
  await ensureSystemWallets(sql, 'SAR');
  return {
    sql, url,
    drop: async () => {
      await sql.end();
      await server.unsafe(`DROP DATABASE ${name}`);
      await server.end();
    },
  };
}
