import { inject } from 'vitest';
import { createSql, type Sql } from '../../src/db/client.js';

/** A direct connection for assertions on rows the API does not show (transfers by key, etc.). */
export function testSql(): Sql {
  return createSql(inject('databaseUrl'), { max: 5 });
}
