import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type postgres from 'postgres';
import type { Sql } from './client.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Any fixed 64-bit number: an advisory lock that serialises migrations across processes started at once.
// The same key as the transaction-level lock earlier versions took, so an older process migrating
// at the same moment waits for this one too (during a concurrent index build that wait is a
// deadlock, which PostgreSQL breaks by failing one of the two; a restart finishes the work).
const MIGRATION_LOCK = 7_233_001;
const LOCK_POLL_MS = 200;
/** A file whose first line is this runs statement by statement outside a transaction. */
const NO_TRANSACTION = /^--\s*migrate:\s*no-transaction\s*$/m;

type Connection = postgres.ReservedSql;

/**
 * Applies migrations/*.sql in name order, each once. The whole run holds a session-level advisory
 * lock on one reserved connection: a second process starting at the same moment waits (polling,
 * see takeLock), then finds nothing left to do. A file runs in a transaction of its own, unless its first line is
 * `-- migrate: no-transaction` (see runWithoutTransaction): there `CREATE INDEX CONCURRENTLY`
 * builds an index on a live table without blocking its writers, which no transaction allows.
 */
export async function migrate(sql: Sql): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  return withMigrationLock(sql, async (conn) => {
    const done = await appliedMigrations(conn);
    const applied: string[] = [];
    for (const file of files.filter((f) => !done.has(f))) {
      await apply(conn, file);
      applied.push(file);
    }
    return applied;
  });
}

/**
 * Runs one migration file again even if it was applied, under the same lock: for a no-transaction
 * file this rebuilds whatever it creates that is missing or invalid (the benchmark times the 005
 * index build on a large database with it). Answers the milliseconds it took.
 */
export async function runMigration(sql: Sql, file: string): Promise<number> {
  const text = await readFile(MIGRATIONS_DIR + file, 'utf8');
  if (!isNoTransaction(text)) throw new Error(`${file} runs in a transaction: only a no-transaction migration can run again`);
  return withMigrationLock(sql, async (conn) => {
    await appliedMigrations(conn);
    const started = performance.now();
    await runWithoutTransaction(conn, file, text);
    return performance.now() - started;
  });
}

/** The indexes a no-transaction migration creates, by name (for a caller that drops them to time a rebuild). */
export async function indexesCreatedBy(file: string): Promise<string[]> {
  return statementsOf(await readFile(MIGRATIONS_DIR + file, 'utf8')).flatMap((s) => {
    const name = createdIndex(s);
    return name ? [name] : [];
  });
}

async function withMigrationLock<T>(sql: Sql, fn: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = await sql.reserve();
  try {
    await takeLock(conn);
    try {
      return await fn(conn);
    } finally {
      // A connection that broke mid-run took its session lock with it: nothing left to release.
      await conn`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => undefined);
    }
  } finally {
    conn.release();
  }
}

/**
 * Polls for the lock rather than waiting in pg_advisory_lock(): a waiting statement holds a
 * snapshot, and `CREATE INDEX CONCURRENTLY` in the process that holds the lock waits for every
 * older snapshot to go: the two would wait for each other (PostgreSQL reports a deadlock).
 */
async function takeLock(conn: Connection): Promise<void> {
  for (;;) {
    const [row] = await conn<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(${MIGRATION_LOCK}) AS locked`;
    if (row!.locked) return;
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

async function appliedMigrations(conn: Connection): Promise<Set<string>> {
  await conn`CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
  return new Set((await conn<{ name: string }[]>`SELECT name FROM schema_migrations`).map((r) => r.name));
}

async function apply(conn: Connection, file: string): Promise<void> {
  const text = await readFile(MIGRATIONS_DIR + file, 'utf8');
  if (isNoTransaction(text)) {
    await runWithoutTransaction(conn, file, text);
  } else {
    await runInTransaction(conn, file, text);
  }
}

const isNoTransaction = (text: string) => NO_TRANSACTION.test(text.split('\n', 1)[0] ?? '');

async function runInTransaction(conn: Connection, file: string, text: string): Promise<void> {
  await conn`BEGIN`;
  try {
    await conn.unsafe(text);
    await conn`INSERT INTO schema_migrations (name) VALUES (${file})`;
    await conn`COMMIT`;
  } catch (err) {
    await conn`ROLLBACK`.catch(() => undefined);
    throw err;
  }
}

/**
 * Each statement on its own, in autocommit, so a crash can stop the file anywhere and the next
 * start must finish it: hence only statements that are safe to run again are allowed, checked
 * before the first one runs. A `CREATE INDEX CONCURRENTLY` that died part-way leaves its index
 * behind marked invalid (pg_index.indisvalid = false), which `IF NOT EXISTS` would then skip: such
 * an index is dropped and built again. The file is recorded as applied only once every statement
 * has succeeded.
 */
async function runWithoutTransaction(conn: Connection, file: string, text: string): Promise<void> {
  const statements = statementsOf(text);
  const refused = statements.find((s) => !RERUNNABLE.some((pattern) => pattern.test(s)));
  if (refused) throw new Error(`${file}: a no-transaction migration may only create or drop indexes CONCURRENTLY with IF [NOT] EXISTS, got: ${refused}`);
  for (const statement of statements) {
    const index = createdIndex(statement);
    if (index && await isInvalidIndex(conn, index)) await conn.unsafe(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`);
    await conn.unsafe(statement);
  }
  await conn`INSERT INTO schema_migrations (name) VALUES (${file}) ON CONFLICT (name) DO NOTHING`;
}

const RERUNNABLE = [
  /^CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+IF\s+NOT\s+EXISTS\s/i,
  /^DROP\s+INDEX\s+CONCURRENTLY\s+IF\s+EXISTS\s/i,
];

/** The statements of a file: whole-line `--` comments removed, split at semicolons (no function bodies here). */
function statementsOf(text: string): string[] {
  return text.split('\n').filter((line) => !/^\s*--/.test(line)).join('\n')
    .split(';').map((s) => s.trim()).filter((s) => s.length > 0);
}

function createdIndex(statement: string): string | undefined {
  return /^CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+IF\s+NOT\s+EXISTS\s+([a-z_][a-z0-9_]*)\s/i.exec(statement)?.[1];
}

async function isInvalidIndex(conn: Connection, name: string): Promise<boolean> {
  const rows = await conn`
    SELECT 1 FROM pg_index i WHERE i.indexrelid = to_regclass(${name}) AND NOT i.indisvalid`;
  return rows.length > 0;
}
