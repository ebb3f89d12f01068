import { beforeAll, describe, expect, inject, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/api/app.js';
import { newUser, type TestUser } from '../support/api.js';

// A body far over the limit: the server answers before the client has finished sending it, which
// is where a server that closes the connection too early makes the client see a reset, not a 413.
const TWO_MB = 2 * 1024 * 1024;
const UPLOADS = 30;

let customer: TestUser;
beforeAll(async () => { customer = await newUser('customer'); });

interface Outcome { status: number | string; body?: { success?: boolean; code?: string; data?: unknown; message?: unknown } }

async function upload(body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Promise<Outcome> {
  try {
    const res = await fetch(`${inject('apiUrl')}/api/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${customer.token}`, 'content-type': 'application/json', ...headers },
      body,
      duplex: 'half',
    } as RequestInit);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  } catch (err) {
    // A reset or a closed socket: what the client sees when the answer never arrived.
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { status: `${e.message}: ${e.cause?.code ?? e.cause?.message ?? ''}` };
  }
}

function tally(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o.status === 413 && o.body?.success === false && o.body.code === 'PAYLOAD_TOO_LARGE' ? '413 PAYLOAD_TOO_LARGE' : String(o.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** A 2 MB body sent in 64 KiB pieces without a Content-Length (Transfer-Encoding: chunked). */
function chunkedBody(): ReadableStream<Uint8Array> {
  const piece = new Uint8Array(64 * 1024).fill(0x20);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= TWO_MB) return controller.close();
      controller.enqueue(piece);
      sent += piece.length;
    },
  });
}

describe('a body over the limit', () => {
  it(`answers ${UPLOADS} uploads of 2 MB (with a Content-Length) each with 413 in the envelope, never a reset`, async () => {
    const body = JSON.stringify({ service_id: 1, method_type: 'wallet', pad: 'x'.repeat(TWO_MB) });
    expect(body.length).toBeGreaterThan(MAX_BODY_BYTES);
    const outcomes: Outcome[] = [];
    for (let i = 0; i < UPLOADS; i++) outcomes.push(await upload(body));
    expect(tally(outcomes)).toEqual({ '413 PAYLOAD_TOO_LARGE': UPLOADS });
    for (const o of outcomes) expect(o.body).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE', data: null, message: expect.any(String) });
  }, 120_000);

  it(`answers ${UPLOADS} chunked uploads of 2 MB (no Content-Length) each with 413 in the envelope`, async () => {
    const outcomes: Outcome[] = [];
    for (let i = 0; i < UPLOADS; i++) outcomes.push(await upload(chunkedBody()));
    expect(tally(outcomes)).toEqual({ '413 PAYLOAD_TOO_LARGE': UPLOADS });
  }, 120_000);

  it('answers uploads sent at the same time, each with 413', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(TWO_MB) });
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => upload(body)));
    expect(tally(outcomes)).toEqual({ '413 PAYLOAD_TOO_LARGE': 10 });
  }, 120_000);
});
