import net from 'node:net';
import getPort from 'get-port';

/**
 * An unused TCP port on the loopback interface, from the kernel (get-port). get-port also keeps
 * a port it has handed out from being handed out again by this process for 15–30 s, so the
 * several ports a caller asks for in a row (a test system's API, PostgreSQL, Temporal and its UI)
 * are distinct.
 *
 * There is an unavoidable race between closing the probe socket and the real server binding the
 * port, so callers should treat this as "very likely free", which is good enough for dev servers
 * and tests on one machine.
 */
export async function freePort(): Promise<number> {
  return await getPort({ host: '127.0.0.1' });
}

/**
 * True when nothing is listening on 127.0.0.1:<port>. Used to give a clear error up front instead
 * of a server dying with an obscure bind failure.
 *
 * Not get-port's `getPort({ port }) === port`: get-port refuses a port it has itself just handed
 * out (above), which is exactly the port a caller checks here after `freePort()`; so this stays a
 * plain bind probe.
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
