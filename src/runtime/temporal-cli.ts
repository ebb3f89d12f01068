import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { withDirLock } from './dir-lock.js';

/**
 * Pinned so that every developer and CI run gets the same server behaviour; the
 * cache dir name carries the version so bumping it never reuses an old binary.
 */
const TEMPORAL_CLI_VERSION = '1.5.1';
const GO_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';
// `go install` does not stamp a version, so `temporal --version` would say 0.0.0-DEV.
const VERSION_LDFLAG = `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`;
const EXE = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

export type TemporalCli =
  | { kind: 'path' | 'configured' | 'cache' | 'built'; path: string }
  | { kind: 'sdk-download' };

export interface EnsureTemporalCliOptions {
  /** Explicit binary (TEMPORAL_CLI_PATH). When set it must work: silently falling back would hide a typo. */
  cliPath?: string;
  /** Where a Go-built binary is kept; defaults to {@link defaultTemporalCacheDir}. */
  cacheDir?: string;
  log: (msg: string) => void;
}

/**
 * Outside the repo on purpose: the binary is ~250 MB and identical for every
 * checkout, so a `git clean` or a second worktree should not force a rebuild.
 */
function defaultTemporalCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'marketplace-orders', `temporal-v${TEMPORAL_CLI_VERSION}`);
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Our own PATH lookup, so we need neither `which` nor a dependency. */
export async function findOnPath(name: string): Promise<string | undefined> {
  const exe = process.platform === 'win32' && !name.endsWith('.exe') ? `${name}.exe` : name;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, exe);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

export async function ensureTemporalCli(opts: EnsureTemporalCliOptions): Promise<TemporalCli> {
  if (opts.cliPath) {
    const configured = path.resolve(opts.cliPath);
    if (!(await isExecutableFile(configured))) {
      throw new Error(
        `TEMPORAL_CLI_PATH points to ${configured}, which does not exist or is not an executable file. ` +
          'Fix the path or unset TEMPORAL_CLI_PATH to let the project find or build the CLI itself.',
      );
    }
    return { kind: 'configured', path: configured };
  }

  const onPath = await findOnPath('temporal');
  if (onPath) return { kind: 'path', path: onPath };

  const cacheDir = path.resolve(opts.cacheDir ?? defaultTemporalCacheDir());
  const cached = path.join(cacheDir, EXE);
  if (await isExecutableFile(cached)) return { kind: 'cache', path: cached };

  const go = await findOnPath('go');
  if (!go) {
    opts.log('No temporal CLI found and Go is not installed; the Temporal SDK will download the dev server.');
    return { kind: 'sdk-download' };
  }

  return await withDirLock(
    `${cacheDir}.lock`,
    { log: opts.log, waitingFor: `another process is building the temporal CLI into ${cacheDir}` },
    async (): Promise<TemporalCli> => {
      // Whoever held the lock before us may have just finished the same build.
      if (await isExecutableFile(cached)) return { kind: 'cache', path: cached };
      await buildWithGo(go, cacheDir, opts.log);
      return { kind: 'built', path: cached };
    },
  );
}

async function buildWithGo(go: string, cacheDir: string, log: (msg: string) => void): Promise<void> {
  log(
    `Building the temporal CLI v${TEMPORAL_CLI_VERSION} with Go into ${cacheDir} ` +
      '(first time only, takes a few minutes)…',
  );
  // A sibling temp dir keeps the final rename on one filesystem, hence atomic:
  // a concurrent reader sees either no binary or a complete one, never a partial file.
  await fs.mkdir(path.dirname(cacheDir), { recursive: true });
  const tmpDir = await fs.mkdtemp(path.join(path.dirname(cacheDir), `.${path.basename(cacheDir)}-build-`));
  const started = Date.now();
  const heartbeat = setInterval(() => {
    log(`still building… ${Math.round((Date.now() - started) / 1000)}s`);
  }, 30_000);
  try {
    const recent: string[] = [];
    const child = spawn(
      go,
      ['install', `-ldflags=${VERSION_LDFLAG}`, `${GO_PACKAGE}@v${TEMPORAL_CLI_VERSION}`],
      // cwd outside the repo so no go.mod / go.work of ours can interfere.
      { cwd: tmpDir, env: { ...process.env, GOBIN: tmpDir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        recent.push(line);
        if (recent.length > 30) recent.shift();
        log(`[go] ${line}`);
      });
    }
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c) => resolve(c));
    });
    if (code !== 0) {
      throw new Error(`go install ${GO_PACKAGE}@v${TEMPORAL_CLI_VERSION} failed (exit ${code}):\n${recent.join('\n')}`);
    }
    await fs.mkdir(cacheDir, { recursive: true });
    await fs.rename(path.join(tmpDir, EXE), path.join(cacheDir, EXE));
    log(`Built the temporal CLI in ${Math.round((Date.now() - started) / 1000)}s: ${path.join(cacheDir, EXE)}`);
  } finally {
    clearInterval(heartbeat);
    await fs.rm(tmpDir, { recursive: true, force: true });
  }
}
