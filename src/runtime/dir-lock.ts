import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pidAlive } from './processes.js';

/**
 * A cross-process lock built on `mkdir`, which is atomic on every filesystem we
 * care about (including network mounts where `flock` is unreliable). It exists
 * so that two processes started at the same moment (two test runs, `npm start`
 * and a test run) do not both spend minutes doing the same expensive one-off job.
 *
 * It is an optimisation, not a correctness guarantee: the guarded work must
 * itself be safe to run twice (e.g. build into a temp dir + atomic rename),
 * because a stale-lock takeover can in rare races let two holders in.
 */

interface LockOwner {
  pid: number;
  host: string;
  startedAt: number;
}

export interface DirLockOptions {
  log: (msg: string) => void;
  /** Shown while waiting for another holder, e.g. "another process is building X". */
  waitingFor: string;
  /** A lock held longer than this is considered abandoned even if its PID looks alive (PID reuse). */
  staleAfterMs?: number;
  pollMs?: number;
  heartbeatMs?: number;
}

const OWNER_FILE = 'owner.json';

async function tryAcquire(lockDir: string): Promise<boolean> {
  try {
    await fs.mkdir(lockDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: Date.now() };
  await fs.writeFile(path.join(lockDir, OWNER_FILE), JSON.stringify(owner));
  return true;
}

async function isStale(lockDir: string, staleAfterMs: number): Promise<string | undefined> {
  let owner: LockOwner | undefined;
  try {
    owner = JSON.parse(await fs.readFile(path.join(lockDir, OWNER_FILE), 'utf8')) as LockOwner;
  } catch {
    // The holder writes its owner file right after mkdir; if it is still missing
    // after a while, the holder died in between.
    const stat = await fs.stat(lockDir).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs > 60_000) return 'lock has no owner file';
    return undefined;
  }
  if (owner.host === os.hostname() && !pidAlive(owner.pid)) {
    return `holder pid ${owner.pid} is no longer running`;
  }
  if (Date.now() - owner.startedAt > staleAfterMs) return 'lock is too old';
  return undefined;
}

/** Run `fn` while holding `lockDir`, waiting (with progress output) for any other holder first. */
export async function withDirLock<T>(lockDir: string, opts: DirLockOptions, fn: () => Promise<T>): Promise<T> {
  const staleAfterMs = opts.staleAfterMs ?? 60 * 60_000;
  const pollMs = opts.pollMs ?? 1_000;
  const heartbeatMs = opts.heartbeatMs ?? 30_000;
  const waitStart = Date.now();
  let lastHeartbeat = 0;

  await fs.mkdir(path.dirname(lockDir), { recursive: true });
  while (!(await tryAcquire(lockDir))) {
    const staleReason = await isStale(lockDir, staleAfterMs);
    if (staleReason) {
      opts.log(`Removing stale lock ${lockDir} (${staleReason})`);
      await fs.rm(lockDir, { recursive: true, force: true });
      continue;
    }
    const waited = Date.now() - waitStart;
    if (lastHeartbeat === 0 || waited - lastHeartbeat >= heartbeatMs) {
      opts.log(
        lastHeartbeat === 0
          ? `Waiting: ${opts.waitingFor} (lock ${lockDir})…`
          : `still waiting… ${Math.round(waited / 1000)}s`,
      );
      lastHeartbeat = Math.max(waited, 1);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }

  try {
    return await fn();
  } finally {
    await fs.rm(lockDir, { recursive: true, force: true });
  }
}
