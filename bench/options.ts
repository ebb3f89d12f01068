/** The benchmark's knobs, all from the environment so `npm run bench` needs no arguments. */
export interface BenchOptions {
  orders: number;
  concurrency: number;
  /** Orders per second of the fixed-rate phase; undefined: half the saturation throughput measured in the same run. */
  rate: number | undefined;
  rateSeconds: number;
  /** How long the overload phase offers twice the saturation throughput (default: rateSeconds). */
  overloadSeconds: number;
  /** Orders placed one at a time first: the latency of an order on an idle system. */
  sequential: number;
  warmup: number;
  customers: number;
  providers: number;
  servicesPerProvider: number;
  /** Per-request timeout of the load generators; a request with no answer by then counts as an error. */
  requestTimeoutMs: number;
  /** Time limit of each closed-loop phase (orders at saturation, the delivery passes together,
   *  the baseline, each part of the engine floor): a slow system does fewer requests rather than
   *  overrun the 10-minute budget. */
  phaseMaxMs: number;
  /** How long a check waits for in-flight order workflows to finish before it reconciles. */
  quiesceMaxMs: number;
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
    concurrency: int(env, 'BENCH_CONCURRENCY', 32),
    rate: env.BENCH_RATE?.trim() ? int(env, 'BENCH_RATE', 1) : undefined,
    rateSeconds: int(env, 'BENCH_RATE_SECONDS', 20),
    overloadSeconds: int(env, 'BENCH_OVERLOAD_SECONDS', int(env, 'BENCH_RATE_SECONDS', 20)),
    sequential: int(env, 'BENCH_SEQUENTIAL', 30),
    warmup: int(env, 'BENCH_WARMUP', 100, 0),
    customers: int(env, 'BENCH_CUSTOMERS', 100),
    providers: int(env, 'BENCH_PROVIDERS', 8),
    servicesPerProvider: int(env, 'BENCH_SERVICES_PER_PROVIDER', 2),
    requestTimeoutMs: int(env, 'BENCH_REQUEST_TIMEOUT_MS', 60_000),
    phaseMaxMs: int(env, 'BENCH_PHASE_MAX_S', 120) * 1000,
    quiesceMaxMs: int(env, 'BENCH_QUIESCE_MAX_S', 60) * 1000,
    histories: int(env, 'BENCH_HISTORIES', 20, 0),
    deadlineMs: int(env, 'BENCH_DEADLINE_S', 15 * 60) * 1000,
  };
}
