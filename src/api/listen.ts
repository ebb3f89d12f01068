import { serve, type ServerType } from '@hono/node-server';

/** Node answers headers past this with a bare 431; below it, the app answers in the envelope. */
const NODE_MAX_HEADER_BYTES = 64 * 1024;

export function listen(fetch: (req: Request) => Response | Promise<Response>, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname: '0.0.0.0', serverOptions: { maxHeaderSize: NODE_MAX_HEADER_BYTES } }, () => resolve(server));
    server.once('error', reject);
  });
}

/** How long requests already in flight (an order waiting for its payment) may take to finish. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Stops accepting connections, closes idle keep-alive ones at once, and lets requests in flight
 * answer for up to SHUTDOWN_GRACE_MS before cutting what is left.
 */
export function closeServer(server: ServerType, graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
  const http = server as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
  return new Promise((resolve) => {
    const cutoff = setTimeout(() => http.closeAllConnections?.(), graceMs);
    server.close(() => {
      clearTimeout(cutoff);
      resolve();
    });
    http.closeIdleConnections?.();
  });
}
