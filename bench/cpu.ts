import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { Role, RolePids } from './rss.js';

/**
 * CPU seconds per role during a phase, from /proc (Linux; elsewhere nothing is recorded). On a
 * 2-core machine every process competes for the same two cores, so "who burnt the CPU" is often the
 * answer to "why is it not faster". `other` is whatever else ran on the machine meanwhile (other
 * users' processes): a large value means the run was disturbed and its numbers are not clean.
 */
const TICK = 100; // USER_HZ: /proc counts CPU time in 1/100 s on Linux

interface Snapshot { at: number; machine: number; roles: Record<string, number> }
export type CpuUse = Record<string, number>;

function ticksOf(pid: number, withChildren: boolean): number {
  try {
    // Fields after the command name (which may contain spaces): state is field 3, utime 14 … cstime 17.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    return utime! + stime! + (withChildren ? cutime! + cstime! : 0);
  } catch {
    return 0;
  }
}

/** Σ over the process and its descendants, plus what its exited children used (PostgreSQL backends). */
function treeTicks(root: number): number {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      parent.set(Number(name), Number(readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]));
    } catch {
      // gone
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parent) if (!tree.has(pid) && tree.has(ppid)) { tree.add(pid); grew = true; }
  }
  return [...tree].reduce((sum, pid) => sum + ticksOf(pid, pid === root), 0);
}

function machineTicks(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return user! + nice! + system! + irq! + softirq! + steal!;
}

export class CpuMeter {
  private readonly marks = new Map<string, Snapshot>();
  readonly phases: Record<string, CpuUse> = {};

  constructor(private readonly pids: () => RolePids) {}

  private snapshot(): Snapshot | undefined {
    if (process.platform !== 'linux') return undefined;
    const roles: Record<string, number> = {};
    for (const [role, pid] of Object.entries(this.pids()) as [Role, number | undefined][]) {
      if (pid !== undefined) roles[role] = role === 'postgres' ? treeTicks(pid) : ticksOf(pid, false);
    }
    // The bench itself with its exited children: the load generators.
    roles.bench_and_load_generator = ticksOf(process.pid, true);
    return { at: performance.now(), machine: machineTicks(), roles };
  }

  start(phase: string): void {
    const s = this.snapshot();
    if (s) this.marks.set(phase, s);
  }

  /** Records the phase's CPU seconds per role, plus `other` and `capacity` (cores × seconds). */
  stop(phase: string): void {
    const [a, b] = [this.marks.get(phase), this.snapshot()];
    if (!a || !b) return;
    const use: CpuUse = {};
    let ours = 0;
    for (const [role, ticks] of Object.entries(b.roles)) {
      const spent = ticks - (a.roles[role] ?? ticks);
      use[role] = round(spent / TICK);
      ours += spent;
    }
    use.other = round(Math.max(0, b.machine - a.machine - ours) / TICK);
    use.capacity = round((os.cpus().length * (b.at - a.at)) / 1000);
    this.phases[phase] = use;
  }
}

/** To the tick (1/100 s), so that CPU per order or per floor workflow is not rounded away. */
const round = (x: number) => Math.round(x * 100) / 100;

/** CPU milliseconds per unit of work of each role (null: not measured, as for an external server). */
export type CpuPerUnit = Record<string, number | null>;

/**
 * CPU milliseconds per unit of work done in a phase (an order, a transition, a floor workflow, an
 * Update), for each of `roles` and their sum (`total`); all null when nothing was done, a role
 * null when it was not measured (not started by the bench, or not on Linux).
 */
export function cpuMsPer(use: CpuUse | undefined, units: number, roles: readonly string[]): CpuPerUnit {
  const out: CpuPerUnit = {};
  let total: number | null = 0;
  for (const role of roles) {
    const s = use?.[role];
    out[role] = s === undefined || units <= 0 ? null : Math.round((s * 1e5) / units) / 100;
    total = out[role] === null || total === null ? null : total + s!;
  }
  out.total = total === null || units <= 0 ? null : Math.round((total * 1e5) / units) / 100;
  return out;
}
