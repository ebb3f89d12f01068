import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';

/**
 * A cross-process lock on a directory path, so that two processes started at the same moment (two
 * test runs, `npm start` and a test run) do not both spend minutes on the same one-off job (the
 * temporal CLI's download or build). proper-lockfile does the locking: an atomic `mkdir` of the
 * lock directory, whose mtime the holder refreshes; a lock not refreshed for `staleAfterMs` (a
 * holder that died, or hung) is taken over. What this adds is the wait, with progress output.
 *
 * It is an optimisation, not a correctness guarantee: the guarded work must itself be safe to run
 * twice (e.g. build into a temp dir + atomic rename), because a stale-lock takeover can in rare
 * races let two holders in. So a holder that finds its lock taken over logs it and carries on.
 */
export interface DirLockOptions {
  log: (msg: string) => void;
  /** Shown while waiting for another holder, e.g. "another process is building X". */
  waitingFor: string;
  /** A lock whose holder has not refreshed it for this long is considered abandoned. */
  staleAfterMs?: number;
  pollMs?: number;
  /** How often a waiter says it is still waiting. */
  heartbeatMs?: number;
}

/** Run `fn` while holding `lockDir`, waiting (with progress output) for any other holder first. */
export async function withDirLock<T>(lockDir: string, opts: DirLockOptions, fn: () => Promise<T>): Promise<T> {
  const stale = opts.staleAfterMs ?? 30_000;
  const pollMs = opts.pollMs ?? 1_000;
  const heartbeatMs = opts.heartbeatMs ?? 30_000;
  const waitStart = Date.now();
  let lastHeartbeat = 0;

  await fs.mkdir(path.dirname(lockDir), { recursive: true });
  let release: (() => Promise<void>) | undefined;
  while (!release) {
    try {
      release = await lockfile.lock(lockDir, {
        lockfilePath: lockDir, realpath: false, stale,
        onCompromised: (err) => opts.log(`The lock ${lockDir} was taken over (${err.message}); carrying on.`),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY') {
        // A stale lock of this file's earlier, hand-written version (it held an owner.json).
        opts.log(`Removing stale lock ${lockDir} (left by an earlier version)`);
        await fs.rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      const waited = Date.now() - waitStart;
      if (lastHeartbeat === 0 || waited - lastHeartbeat >= heartbeatMs) {
        opts.log(lastHeartbeat === 0 ? `Waiting: ${opts.waitingFor} (lock ${lockDir})…` : `still waiting… ${Math.round(waited / 1000)}s`);
        lastHeartbeat = Math.max(waited, 1);
      }
      await sleep(pollMs);
    }
  }

  try {
    return await fn();
  } finally {
    await release().catch(() => undefined); // already released: it was taken over (logged above)
  }
}
