import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../domain/errors.js';

export interface BodyLimitOptions {
  /** The largest body a handler may see. */
  maxBytes: number;
  /** How much of a body over the limit is read and thrown away so that its 413 reaches the client. */
  discardBytes: number;
  /** How long that reading may take. */
  discardMs: number;
}

/**
 * A body over the limit is answered 413 in the envelope, and the client always receives that answer.
 *
 * Answering while the client is still sending, then closing the connection, makes its kernel see a
 * reset: the client reports EPIPE / "other side closed" and never reads the 413 (hono's bodyLimit
 * leaves the body unread; @hono/node-server then drains it with a 500 ms cut-off, which stalls
 * because the request's web stream pauses the socket again, so it closes mid-upload). Here the rest
 * of the body is read and thrown away first (memory stays flat), up to `discardBytes` and
 * `discardMs`, so the answer goes out on a healthy keep-alive connection. Past those bounds the 413
 * is still sent, with `Connection: close`.
 */
export function limitBody(options: BodyLimitOptions): MiddlewareHandler {
  const tooLarge = () => new DomainError('PAYLOAD_TOO_LARGE', `The request body must not exceed ${options.maxBytes} bytes.`);
  return async (c, next) => {
    const stream = c.req.raw.body;
    if (!stream) return next();
    const declared = c.req.raw.headers.has('transfer-encoding') ? undefined : c.req.raw.headers.get('content-length');
    const length = declared == null ? undefined : Number(declared);
    // A declared length within the limit: the HTTP parser stops at it, nothing to count.
    if (length !== undefined && Number.isFinite(length) && length <= options.maxBytes) return next();
    if (length !== undefined && length > options.discardBytes) {
      c.header('connection', 'close');
      throw tooLarge();
    }

    const reader = stream.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > options.maxBytes) {
          if (!(await discardRest(reader, size, options))) c.header('connection', 'close');
          throw tooLarge();
        }
        chunks.push(value);
      }
    } finally {
      reader.releaseLock();
    }
    const body = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) { body.set(chunk, offset); offset += chunk.byteLength; }
    c.req.raw = new Request(c.req.raw, { body });
    return next();
  };
}

/** Reads to the end of the body, keeping nothing; false when it is longer or slower than allowed. */
async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>, seen: number, options: BodyLimitOptions): Promise<boolean> {
  let size = seen;
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<'stop'>((resolve) => { timer = setTimeout(() => resolve('stop'), options.discardMs); });
  try {
    for (;;) {
      // A client that gives up mid-upload ends the reading too: there is no one left to answer.
      const result = await Promise.race([reader.read(), timeUp]).catch(() => 'stop' as const);
      if (result === 'stop') return false;
      if (result.done) return true;
      size += result.value.byteLength;
      if (size > options.discardBytes) return false;
    }
  } finally {
    clearTimeout(timer);
  }
}
