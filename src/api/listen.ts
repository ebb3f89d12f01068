import { serve, type ServerType } from '@hono/node-server';

/** Node answers headers past this with a bare 431; below it, the app answers in the envelope. */
export const NODE_MAX_HEADER_BYTES = 64 * 1024;

export function listen(fetch: (req: Request) => Response | Promise<Response>, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname: '0.0.0.0', serverOptions: { maxHeaderSize: NODE_MAX_HEADER_BYTES } }, () => resolve(server));
    server.once('error', reject);
  });
}

export function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive sockets would hold close() open; in-flight requests had their chance already.
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}
