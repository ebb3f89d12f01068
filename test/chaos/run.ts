/**
 * `npm run chaos`: starts a system of its own, checks the hand-written totals, then runs generated
 * commands and faults until CHAOS_STEPS have run, then, once, waits out the workflow check's start-up
 * grace and checks reconciliation again. Exits 1 with a replayable report on the first failure.
 * docs/chaos.md says what it checks.
 *
 *   CHAOS_SEED        the first run's seed (default: fresh, printed)
 *   CHAOS_STEPS       commands to run in all (default 200)
 *   CHAOS_RUN_STEPS   the most commands of one generated run (default 150; each run has its own users)
 *   CHAOS_FAULT_RATE  the share of steps that are faults (default 0.05)
 *   CHAOS_SHRINK_MS   how long a failure may be shrunk, in real time (default 600000)
 *   CHAOS_PATH, CHAOS_REPLAY_PATH   replay a failure's shrunk case (printed with it): runs it once, no shrinking
 *   CHAOS_REPLAY_TRIES  with CHAOS_PATH: run the case up to this many times, stopping at the first failure (default 1)
 *   CHAOS_BREAK       short-refund: break the build on purpose, to see the run catch it
 */
import { breakBuild, type Breakage } from './break-build.js';
import { checkFixedCases, finalReconciliation, runChaos } from './chaos.js';
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
const replay = env.CHAOS_PATH
  ? { path: env.CHAOS_PATH, tries: num('CHAOS_REPLAY_TRIES', 1), ...(env.CHAOS_REPLAY_PATH ? { replayPath: env.CHAOS_REPLAY_PATH } : {}) }
  : undefined;
const breakage = (env.CHAOS_BREAK || undefined) as Breakage | undefined;
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

log(`chaos run: CHAOS_SEED=${seed} CHAOS_STEPS=${steps} CHAOS_RUN_STEPS=${runSteps} CHAOS_FAULT_RATE=${faultRate}${replay ? ` replaying path ${replay.path}` : ''}${breakage ? ` CHAOS_BREAK=${breakage}` : ''}`);
const system = await startChaosSystem({ log: env.CHAOS_VERBOSE ? log : undefined });
let failed = true;
try {
  log(`system up: API ${system.apiUrl}, Temporal ${system.temporalAddress}`);
  if (breakage) await breakBuild(system.databaseUrl, breakage, log);
  await checkFixedCases(system, log);
  const result = await runChaos({ system, seed, steps, runSteps, faultRate, shrinkMs, ...(replay ? { replay } : {}), ...(breakage ? { breakage } : {}), log });
  // Once per process, after a pass (a failure has its report already): what the workflow check's grace hid.
  const final = result.ok ? await finalReconciliation(system, result.tolerated, log) : undefined;
  const ok = result.ok && final === undefined;
  log(`${ok ? 'PASSED' : 'FAILED'}: ${result.steps} steps in ${result.runs} runs (seeds ${result.seeds[0]}..${result.seeds.at(-1)}), ${Math.round(result.durationMs / 1000)} s${result.ok ? `, final reconciliation ${final === undefined ? 'ok' : 'NOT ok'}` : ''}`);
  log(`faults: ${JSON.stringify(result.faults)}`);
  log(`retries after a fault: ${JSON.stringify(result.retries)}`);
  log(`commands: ${JSON.stringify(result.counts)}`);
  if (result.report) process.stdout.write(`${result.report}\n`);
  if (final) process.stdout.write(`CHAOS RUN FAILED\n  ${final.replaceAll('\n', '\n  ')}\n`);
  failed = !ok;
} finally {
  await system.stop();
}
process.exit(failed ? 1 : 0);
