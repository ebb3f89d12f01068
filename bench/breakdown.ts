import { Client, type Connection } from '@temporalio/client';
import { percentile } from './load.js';

/**
 * Where the time of a workflow goes, read from the event timestamps of its history. Every gap
 * between two consecutive events is charged to a step named after the later event: a workflow task
 * waiting in the server's queue ("workflow task: queued"), running in the worker ("workflow task:
 * run"), an activity waiting for a worker or running (by activity name), and everything else as
 * "A → B". The gaps add up to the workflow's whole duration, so nothing is left out.
 */
export interface BreakdownRow { step: string; mean_ms: number; p50_ms: number; per_workflow: number }
export interface Breakdown { workflows: number; total_mean_ms: number; total_p50_ms: number; rows: BreakdownRow[] }

/** The parts of a history event used here, taken from the protobuf object the client answers. */
interface Event { id: string; type: string; at: number; activity?: string; scheduledId?: string }

type Long = { toString(): string };
interface RawEvent {
  eventId?: Long | null;
  eventTime?: { seconds?: Long | null; nanos?: number | null } | null;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
  activityTaskStartedEventAttributes?: { scheduledEventId?: Long | null } | null;
  activityTaskCompletedEventAttributes?: { scheduledEventId?: Long | null } | null;
  [attributes: string]: unknown;
}

/**
 * Each event carries exactly one `<type>EventAttributes` field; its name is the event type, which
 * spares a lookup in the protobuf enums (historyToJSON would do it, but trips over the two copies
 * of protobufjs in this dependency tree: "type must be a Type").
 */
function eventOf(raw: RawEvent): Event {
  const key = Object.keys(raw).find((k) => k.endsWith('EventAttributes') && raw[k] != null) ?? 'unknownEventAttributes';
  const time = raw.eventTime;
  return {
    id: String(raw.eventId),
    type: key.replace(/EventAttributes$/, '').replace(/^./, (c) => c.toUpperCase()),
    at: Number(String(time?.seconds ?? 0)) * 1000 + (time?.nanos ?? 0) / 1e6,
    activity: raw.activityTaskScheduledEventAttributes?.activityType?.name ?? undefined,
    scheduledId: String(raw.activityTaskStartedEventAttributes?.scheduledEventId ?? raw.activityTaskCompletedEventAttributes?.scheduledEventId ?? ''),
  };
}

function stepOf(prev: Event, cur: Event, activityNames: Map<string, string>): string {
  const activity = (id?: string) => activityNames.get(id ?? '') ?? 'activity';
  switch (cur.type) {
    case 'WorkflowTaskStarted': return 'workflow task: queued';
    case 'WorkflowTaskCompleted': return 'workflow task: run in worker';
    case 'ActivityTaskStarted': return `activity ${activity(cur.scheduledId)}: queued`;
    case 'ActivityTaskCompleted': return `activity ${activity(cur.scheduledId)}: run`;
    default: return `${prev.type} → ${cur.type}`;
  }
}

/** Per workflow: the time charged to each step (summed where a step occurs several times). */
function stepsOf(events: Event[], untilType?: string): Map<string, { ms: number; n: number }> {
  const names = new Map<string, string>();
  for (const e of events) if (e.activity) names.set(e.id, e.activity);
  const end = untilType ? events.findIndex((e) => e.type === untilType) : -1;
  const upto = end >= 0 ? events.slice(0, end + 1) : events;
  const steps = new Map<string, { ms: number; n: number }>();
  for (let i = 1; i < upto.length; i++) {
    const [prev, cur] = [upto[i - 1]!, upto[i]!];
    const step = stepOf(prev, cur, names);
    const s = steps.get(step) ?? { ms: 0, n: 0 };
    s.ms += cur.at - prev.at;
    s.n += 1;
    steps.set(step, s);
  }
  return steps;
}

/**
 * Reads the histories of `workflowIds` and averages their steps. `untilType` cuts each history at
 * the first event of that type (a workflow that runs on for days may have a prefix that matters).
 */
export async function breakdown(connection: Connection, namespace: string, workflowIds: string[], untilType?: string): Promise<Breakdown> {
  const client = new Client({ connection, namespace });
  const perWorkflow = await Promise.all(workflowIds.map(async (id) => {
    const history = await client.workflow.getHandle(id).fetchHistory();
    return stepsOf((history.events ?? []).map((e) => eventOf(e as RawEvent)), untilType);
  }));
  const order: string[] = [];
  for (const steps of perWorkflow) for (const step of steps.keys()) if (!order.includes(step)) order.push(step);
  const rows = order.map((step) => {
    const values = perWorkflow.map((s) => s.get(step)?.ms ?? 0);
    const occurrences = perWorkflow.map((s) => s.get(step)?.n ?? 0);
    return {
      step,
      mean_ms: round(values.reduce((a, b) => a + b, 0) / values.length),
      p50_ms: round(percentile([...values].sort((a, b) => a - b), 50)),
      per_workflow: round(occurrences.reduce((a, b) => a + b, 0) / occurrences.length),
    };
  });
  const totals = perWorkflow.map((s) => [...s.values()].reduce((a, b) => a + b.ms, 0)).sort((a, b) => a - b);
  return {
    workflows: workflowIds.length,
    total_mean_ms: round(totals.reduce((a, b) => a + b, 0) / Math.max(1, totals.length)),
    total_p50_ms: round(percentile(totals, 50)),
    rows,
  };
}

const round = (x: number) => Math.round(x * 10) / 10;

/** `count` ids spread evenly over `ids` (not only the first ones, which ran on a cold system). */
export function sample<T>(ids: T[], count: number): T[] {
  if (ids.length <= count) return ids;
  return Array.from({ length: count }, (_, i) => ids[Math.floor(((i + 0.5) * ids.length) / count)]!);
}
