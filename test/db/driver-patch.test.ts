import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

/**
 * postgres.js 3.4.9 throws an uncaught TypeError from `nextWrite` when a connection's socket has
 * closed with a write still buffered (porsager/postgres#1208): a worker crashes on a database
 * restart, and the query hangs. patches/postgres+3.4.9.patch (applied by patch-package when
 * npm installs) settles such a write with CONNECTION_CLOSED, which the activity's retry handles.
 * Without the patch this script prints "uncaught: Cannot read properties of null (reading 'write')".
 */
describe('the patched database driver', () => {
  it('rejects a query on a connection whose backend died, instead of crashing the process', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/support/driver-repro.ts', inject('databaseUrl')]);
    expect(stdout.trim()).toBe('rejected CONNECTION_CLOSED');
  }, 30_000);
});
