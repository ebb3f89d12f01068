/**
 * `npm run chaos`: starts a system of its own, checks the hand-written totals, then runs generated
 * commands and faults until CHAOS_STEPS have run. Exits 1 with a replayable report on the first
 * failure. docs/chaos.md says what it checks.
 *
 *   CHAOS_SEED        the first run's seed (default: fresh, printed)
 *   CHAOS_STEPS       commands to run in all (default 200)
 *   CHAOS_RUN_STEPS   the most commands of one generated run (default 150; each run has its own users)
 *   CHAOS_FAULT_RATE  the share of steps that are faults (default 0.05)
 *   CHAOS_SHRINK_MS   how long a failure may be shrunk, in real time (default 600000)
 *   CHAOS_PATH, CHAOS_REPLAY_PATH   replay a failure's shrunk case (printed with it)
 *   CHAOS_BREAK       short-refund: break the build on purpose, to see the run catch it
 */
import { breakBuild, type Breakage } from './break-build.js';
import { checkFixedCases, runChaos } from './chaos.js';
import { startChaosSystem } from './system.js';

const env = process.env;
const num = (name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got ${raw}`);
  return n;
};

const seed = num('CHAOS_SEED', Math.floor(Math.random() * 2 ** 31));
const steps = num('CHAOS_STEPS', 200);
const runSteps = num('CHAOS_RUN_STEPS', 150);
const faultRate = num('CHAOS_FAULT_RATE', 0.05);
const shrinkMs = num('CHAOS_SHRINK_MS', 600_000);
const replay = env.CHAOS_PATH ? { path: env.CHAOS_PATH, ...(env.CHAOS_REPLAY_PATH ? { replayPath: env.CHAOS_REPLAY_PATH } : {}) } : undefined;
const breakage = env.CHAOS_BREAK as Breakage | undefined;
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

log(`chaos run: CHAOS_SEED=${seed} CHAOS_STEPS=${steps} CHAOS_RUN_STEPS=${runSteps} CHAOS_FAULT_RATE=${faultRate}${replay ? ` replaying path ${replay.path}` : ''}${breakage ? ` CHAOS_BREAK=${breakage}` : ''}`);
const system = await startChaosSystem({ log: env.CHAOS_VERBOSE ? log : undefined });
let failed = true;
try {
  log(`system up: API ${system.apiUrl}, Temporal ${system.temporalAddress}`);
  if (breakage) await breakBuild(system.databaseUrl, breakage, log);
  await checkFixedCases(system, log);
  const result = await runChaos({ system, seed, steps, runSteps, faultRate, shrinkMs, ...(replay ? { replay } : {}), log });
  log(`${result.ok ? 'PASSED' : 'FAILED'}: ${result.steps} steps in ${result.runs} runs (seeds ${result.seeds[0]}..${result.seeds.at(-1)}), ${Math.round(result.durationMs / 1000)} s`);
  log(`faults: ${JSON.stringify(result.faults)}`);
  log(`commands: ${JSON.stringify(result.counts)}`);
  if (result.report) process.stdout.write(`${result.report}\n`);
  failed = !result.ok;
} finally {
  await system.stop();
}
process.exit(failed ? 1 : 0);
