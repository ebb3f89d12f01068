import { readdirSync, readFileSync } from 'node:fs';

/**
 * Peak memory per role, read from /proc (Linux only; elsewhere every value stays null).
 *
 * A single process's peak is its VmHWM, which the kernel keeps for the whole life of the process,
 * so sampling only has to catch it before the process exits. PostgreSQL is a tree of processes
 * (postmaster, backends, background workers) whose peaks fall at different moments, so its peak
 * is the largest sampled sum. Their RSS cannot simply be added: shared_buffers and the binary's
 * pages appear in the RSS of every backend. The sum of PSS (each shared page divided among the
 * processes sharing it) is what the tree really occupies, so that is what is summed.
 */
export type Role = 'api' | 'worker' | 'temporal' | 'postgres' | 'baseline' | 'floor_worker';
export type RolePids = Partial<Record<Role, number>>;

interface Status { pid: number; ppid: number; hwmKb: number }

const field = (text: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);

function readStatus(pid: number): Status | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { pid, ppid: field(text, 'PPid'), hwmKb: field(text, 'VmHWM') };
  } catch {
    return undefined; // exited between the directory listing and the read
  }
}

function pssKb(pid: number): number {
  try {
    return field(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
  } catch {
    return 0;
  }
}

/** The process and all its descendants (PostgreSQL forks one backend per connection). */
function processTree(root: number): Status[] {
  const all = new Map<number, Status>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const status = readStatus(Number(name));
    if (status) all.set(Number(name), status);
  }
  const tree: Status[] = [];
  const wanted = new Set([root]);
  // /proc lists pids in ascending order and children usually have larger pids, but not always
  // (pid wrap-around): repeat until no new descendant turns up.
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, status] of all) {
      if (!wanted.has(pid) && wanted.has(status.ppid)) { wanted.add(pid); grew = true; }
    }
  }
  for (const pid of wanted) { const s = all.get(pid); if (s) tree.push(s); }
  return tree;
}

export class RssSampler {
  private readonly peakKb = new Map<Role, number>();
  private timer: NodeJS.Timeout | undefined;

  /** `pids` is asked on every sample, so roles started later (the baseline) are picked up. */
  constructor(private readonly pids: () => RolePids, private readonly treeRoles: Role[] = ['postgres']) {}

  start(intervalMs = 500): void {
    if (process.platform !== 'linux') return;
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    for (const [role, pid] of Object.entries(this.pids()) as [Role, number | undefined][]) {
      if (pid === undefined) continue;
      const kb = this.treeRoles.includes(role) ? treeKb(pid) : readStatus(pid)?.hwmKb;
      if (kb !== undefined && kb > (this.peakKb.get(role) ?? 0)) this.peakKb.set(role, kb);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (process.platform === 'linux') this.sample();
  }

  /** Peak in MiB per role; null for a role that never had a process here (an external server). */
  peaksMb(roles: Role[]): Record<Role, number | null> {
    const out = {} as Record<Role, number | null>;
    for (const role of roles) {
      const kb = this.peakKb.get(role);
      out[role] = kb === undefined ? null : Math.round(kb / 1024);
    }
    return out;
  }
}

function treeKb(root: number): number | undefined {
  const tree = processTree(root);
  if (tree.length === 0) return undefined;
  return tree.reduce((sum, s) => sum + pssKb(s.pid), 0);
}

/** Pids of our own children whose command line contains every one of `needles`. */
export function findChildPid(parent: number, needles: string[]): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const status = readStatus(Number(name));
    if (status?.ppid !== parent) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      if (needles.every((n) => cmdline.includes(n))) return Number(name);
    } catch {
      // gone
    }
  }
  return undefined;
}
