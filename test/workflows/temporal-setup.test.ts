import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startTemporalDevServer } from '../../src/runtime/dev-server.js';
import { freePort } from '../../src/runtime/free-port.js';
import { ensureTemporalCli } from '../../src/runtime/temporal-cli.js';

describe('npm run temporal:setup', () => {
  it('registers the search attributes on a cluster that lacks them, and can be run twice', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'temporal-setup-'));
    const port = await freePort();
    const server = await startTemporalDevServer({
      cli: await ensureTemporalCli({ log: () => undefined }), dataDir, port, uiPort: await freePort(),
      namespace: 'default', searchAttributes: {}, log: () => undefined,
    });
    const setup = () => promisify(execFile)('npx', ['tsx', 'src/cli/temporal-setup.ts'], {
      env: { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' },
    });
    try {
      const first = await setup();
      expect(first.stdout).toMatch(/registered\s+DeliveryStatus \(Keyword\)/);
      expect(first.stdout).toMatch(/registered\s+OrderTotal \(Int\)/);
      const second = await setup();
      expect(second.stdout.match(/already registered/g)).toHaveLength(7);
      expect(second.stdout).toContain('search attributes ready');
    } finally {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
