import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withDirLock } from '../../src/runtime/dir-lock.js';

/** The lock that keeps two processes from fetching or building the temporal CLI at once (src/runtime/temporal-cli.ts). */
let dir: string;
let lockDir: string;
let logs: string[];
const opts = (extra = {}) => ({ log: (m: string) => logs.push(m), waitingFor: 'another holder', pollMs: 50, ...extra });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dir-lock-'));
  lockDir = join(dir, 'cache', 'thing.lock');
  logs = [];
});
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

/** Another process that takes the lock, says so on stdout, and holds it for `holdMs` (or until killed). */
function otherProcess(holdMs: number) {
  const script = `import { withDirLock } from './src/runtime/dir-lock.ts';
    await withDirLock(${JSON.stringify(lockDir)}, { log: () => {}, waitingFor: 'x', staleAfterMs: 2000 }, async () => {
      process.stdout.write('held\\n');
      await new Promise((r) => setTimeout(r, ${holdMs}));
    });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const holding = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('held')) resolve(); });
    child.once('exit', (code) => reject(new Error(`the other process exited (${code}) before it held the lock`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, holding, exited };
}

describe('withDirLock', () => {
  it('runs one holder at a time within a process, the second after the first, and removes the lock', async () => {
    const order: string[] = [];
    const hold = (name: string) => withDirLock(lockDir, opts(), async () => {
      order.push(`${name} in`);
      await sleep(200);
      order.push(`${name} out`);
      return name;
    });
    expect(await Promise.all([hold('a'), hold('b')])).toEqual(['a', 'b']);
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(logs).toEqual([`Waiting: another holder (lock ${lockDir})…`]);
    await expect(stat(lockDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('waits for a holder in another process until it is done', async () => {
    const other = otherProcess(1_000);
    await other.holding;
    const since = Date.now();
    const waited = await withDirLock(lockDir, opts(), async () => Date.now() - since);
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(logs[0]).toMatch(/^Waiting: another holder/);
    await other.exited;
  }, 20_000);

  it('takes over the lock of a holder that was killed, once it is stale', async () => {
    const other = otherProcess(60_000);
    await other.holding;
    other.child.kill('SIGKILL');
    await other.exited;
    const start = Date.now();
    expect(await withDirLock(lockDir, opts({ staleAfterMs: 2_000 }), async () => 'mine')).toBe('mine');
    expect(Date.now() - start).toBeLessThan(10_000);
  }, 20_000);

  it('removes a stale lock the earlier, hand-written version left (a directory with an owner file)', async () => {
    await mkdir(lockDir, { recursive: true });
    await writeFile(join(lockDir, 'owner.json'), JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: 0 }));
    const old = new Date(Date.now() - 3_600_000);
    await utimes(lockDir, old, old);
    expect(await withDirLock(lockDir, opts(), async () => 'mine')).toBe('mine');
    expect(logs).toEqual([`Removing stale lock ${lockDir} (left by an earlier version)`]);
  });
});
