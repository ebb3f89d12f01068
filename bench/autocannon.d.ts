// autocannon ships no types; this is the part of its programmatic API that bench/loadgen.ts uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Called once for every request sent with this definition; answers the request to send. */
    setupRequest?: (req: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
    onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
  }

  interface AutocannonOptions {
    url: string;
    amount?: number;
    connections?: number;
    /** Seconds. */
    timeout?: number;
    /** Milliseconds between its internal samples; it notices the end of a run only at one. */
    sampleInt?: number;
    requests?: AutocannonRequest[];
  }

  interface Instance extends EventEmitter { stop(): void }

  function autocannon(options: AutocannonOptions, done: (err: Error | null, result: unknown) => void): Instance;
  export default autocannon;
}
