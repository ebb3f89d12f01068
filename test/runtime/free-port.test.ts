import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, isPortFree } from '../../src/runtime/free-port.js';

const listen = (port: number) => new Promise<net.Server>((resolve, reject) => {
  const server = net.createServer();
  server.once('error', reject);
  server.listen({ host: '127.0.0.1', port }, () => resolve(server));
});

describe('freePort and isPortFree', () => {
  it('hands out distinct ports in a row, each free on the loopback interface', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 20; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) expect(await isPortFree(port)).toBe(true);
  });

  it('sees a port taken once something listens on it', async () => {
    const port = await freePort();
    const server = await listen(port);
    try {
      expect(await isPortFree(port)).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await isPortFree(port)).toBe(true);
  });
});
