import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOnPath } from '../src/runtime/temporal-cli.js';

export const REPO = fileURLToPath(new URL('..', import.meta.url));

export interface RoleProcess {
  name: string;
  pid: number;
  /** Resolves with the exit code (or signal name) whenever the process ends. */
  exited: Promise<string>;
  isRunning(): boolean;
  /** The last lines of its output, for error messages. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

/**
 * Runs `node --import tsx <script>` (not the `tsx` CLI, which would put a wrapper process in
 * between and make us measure the wrapper's memory). On Linux it goes through
 * `setpriv --pdeathsig TERM`, as the dev server does, so even a SIGKILLed benchmark leaves no
 * API or worker behind; setpriv execs in place, so the pid is node's own.
 */
export async function spawnRole(name: string, script: string, env: NodeJS.ProcessEnv, logDir: string): Promise<RoleProcess> {
  const logFile = join(logDir, `${name}.log`);
  const out = openSync(logFile, 'a');
  const node = [process.execPath, '--import', 'tsx', script];
  const setpriv = process.platform === 'linux' ? await findOnPath('setpriv') : undefined;
  const [cmd, ...args] = setpriv ? [setpriv, '--pdeathsig', 'TERM', '--', ...node] : node;
  const child = spawn(cmd!, args, { cwd: REPO, env, stdio: ['ignore', out, out] });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  let running = true;
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => {
    running = false;
    resolve(String(code ?? signal));
  }));
  const tail = (lines = 30) => readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    if (!running) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  })());
  return { name, pid: child.pid, exited, isRunning: () => running, tail, stop };
}

/** Polls `probe` until it answers true; fails early if the role's process has died. */
export async function waitFor(what: string, probe: () => Promise<boolean>, role?: RoleProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (role && !role.isRunning()) throw new Error(`${role.name} exited while waiting for ${what}:\n${role.tail()}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${role ? `:\n${role.tail()}` : ''}`);
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}
