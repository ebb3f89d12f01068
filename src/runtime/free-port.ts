import net from 'node:net';

/**
 * Ask the kernel for an unused TCP port on the loopback interface.
 *
 * There is an unavoidable race between closing our probe socket and the real
 * server binding the port, so callers should treat this as "very likely free",
 * which is good enough for dev servers and tests on one machine.
 */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: could not read the port the kernel assigned'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/**
 * True when nothing is listening on 127.0.0.1:<port>. Used to give a clear
 * error up front instead of a server dying with an obscure bind failure.
 */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}
