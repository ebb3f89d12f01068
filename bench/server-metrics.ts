/**
 * The Temporal dev server's own view of where its time goes, from its Prometheus endpoint: time
 * spent in persistence (SQLite) per operation, in each RPC it serves, and waiting on its shard lock
 * and I/O semaphore. Read before and after the product's phases; the difference is what those
 * phases cost the server. (The worker's SDK metrics would need the product's Runtime to export
 * them; see bench/README.md.)
 */
type Totals = Map<string, { seconds: number; count: number }>;
export type Snapshot = Record<string, Totals>;

export interface MetricRow { metric: string; operation: string; count: number; total_s: number; mean_ms: number }

const METRICS = ['persistence_latency', 'service_latency', 'dd_shard_lock_latency', 'dd_shard_io_semaphore_latency', 'history_workflow_execution_cache_lock_hold_duration'];
// Long polls wait for work by design: their latency is idle time, not cost.
const IDLE_OPERATIONS = /^Poll|^GetWorkflowExecutionHistory$|^PollMutableState$/;

export async function scrape(url: string | undefined): Promise<Snapshot | undefined> {
  if (!url) return undefined;
  const text = await fetch(url, { signal: AbortSignal.timeout(5000) }).then((r) => r.text()).catch(() => undefined);
  if (!text) return undefined;
  const snapshot: Snapshot = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)_(sum|count)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || !METRICS.includes(m[1]!)) continue;
    const labels = Object.fromEntries([...m[3]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const key = `${labels.service_name ?? '?'} ${labels.operation ?? '?'}`;
    const totals = (snapshot[m[1]!] ??= new Map());
    const t = totals.get(key) ?? { seconds: 0, count: 0 };
    if (m[2] === 'sum') t.seconds += Number(m[4]); else t.count += Number(m[4]);
    totals.set(key, t);
  }
  return snapshot;
}

/** What happened between two snapshots: the operations that took the most time, per metric. */
export function between(before: Snapshot | undefined, after: Snapshot | undefined, top = 8): MetricRow[] {
  if (!before || !after) return [];
  const rows: MetricRow[] = [];
  for (const metric of METRICS) {
    const list: MetricRow[] = [];
    for (const [operation, t] of after[metric] ?? new Map()) {
      if (IDLE_OPERATIONS.test(operation.split(' ')[1] ?? '')) continue;
      const b = before[metric]?.get(operation) ?? { seconds: 0, count: 0 };
      const count = t.count - b.count;
      const seconds = t.seconds - b.seconds;
      if (count <= 0) continue;
      list.push({ metric, operation, count, total_s: round(seconds, 2), mean_ms: round((seconds / count) * 1000, 2) });
    }
    rows.push(...list.sort((x, y) => y.total_s - x.total_s).slice(0, top));
  }
  return rows;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
