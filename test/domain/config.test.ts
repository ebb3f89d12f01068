import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('has a default for every setting of the embedded setup', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000, dataDir: '.data', database: { url: undefined, embeddedPort: 5433 },
      temporal: { address: undefined, devServerPort: 7233, uiPort: 8233, namespace: 'default', taskQueue: 'orders' },
      money: { taxRateBp: 1500, platformFeeBp: 2000, currency: 'SAR' },
      delivery: { acceptTimeoutMs: 48 * 3_600_000, reviewTimeoutMs: 72 * 3_600_000 },
      logLevel: 'info',
    });
  });

  it('reads durations such as 4s and 250ms', () => {
    const config = loadConfig({ DELIVERY_ACCEPT_TIMEOUT: '4s', DELIVERY_REVIEW_TIMEOUT: '250ms' });
    expect(config.delivery).toEqual({ acceptTimeoutMs: 4_000, reviewTimeoutMs: 250 });
  });

  it('refuses half a TLS client certificate rather than connecting in plain text', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT_PATH: '/etc/tls/client.pem' })).toThrow(/set both TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH/);
    expect(loadConfig({ TEMPORAL_TLS_CERT_PATH: '/c.pem', TEMPORAL_TLS_KEY_PATH: '/k.pem' }).temporal.tls).toEqual({ certPath: '/c.pem', keyPath: '/k.pem' });
  });

  it('lists every invalid setting at once', () => {
    expect(() => loadConfig({ PORT: 'abc', TAX_RATE_BP: '-1', DELIVERY_ACCEPT_TIMEOUT: 'soon' }))
      .toThrow(/PORT[\s\S]*TAX_RATE_BP[\s\S]*DELIVERY_ACCEPT_TIMEOUT/);
  });

  it.each(['main.ts', 'worker.ts', 'api.ts', 'src/cli/temporal-setup.ts', 'src/cli/reconcile.ts'])('%s prints the problems and exits 1, with no stack trace', async (entry) => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile('node_modules/.bin/tsx', [entry], { env: { ...process.env, ADMIN_TOKEN: 'short', LOG_LEVEL: 'error' } },
        (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }));
    });
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: '', stderr: 'Invalid configuration:\n  ADMIN_TOKEN: must be at least 16 characters\n' });
  });
});
