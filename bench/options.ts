/** The benchmark's knobs, all from the environment so `npm run bench` needs no arguments. */
export interface BenchOptions {
  orders: number;
  concurrency: number;
  rate: number;
  rateSeconds: number;
  warmup: number;
  customers: number;
  providers: number;
  servicesPerProvider: number;
  /** Per-request timeout of the load generators; a request that takes longer counts as an error. */
  requestTimeoutMs: number;
  /** How many order workflow histories to read for the time breakdown. */
  histories: number;
  /** Hard limit for the whole run: past it everything is stopped and the run fails. */
  deadlineMs: number;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${raw}`);
  return value;
}

export function readOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  return {
    orders: int(env, 'BENCH_ORDERS', 2000),
    concurrency: int(env, 'BENCH_CONCURRENCY', 64),
    rate: int(env, 'BENCH_RATE', 50),
    rateSeconds: int(env, 'BENCH_RATE_SECONDS', 20),
    warmup: int(env, 'BENCH_WARMUP', 100, 0),
    customers: int(env, 'BENCH_CUSTOMERS', 100),
    providers: int(env, 'BENCH_PROVIDERS', 8),
    servicesPerProvider: int(env, 'BENCH_SERVICES_PER_PROVIDER', 2),
    requestTimeoutMs: int(env, 'BENCH_REQUEST_TIMEOUT_MS', 60_000),
    histories: int(env, 'BENCH_HISTORIES', 20, 0),
    deadlineMs: int(env, 'BENCH_DEADLINE_S', 15 * 60) * 1000,
  };
}
