import { cpuMsPer, type CpuMeter, type CpuPerUnit } from './cpu.js';
import type { FloorOutput, FloorSpec } from './floor-load.js';
import { runScript } from './load.js';
import type { Ctx } from './phases.js';
import type { BenchSystem } from './system.js';

/** What the engine itself does on this machine, with the product's worker options and no product code. */
export interface Floor {
  /** A no-op workflow one at a time: p50 of start + result. */
  workflow_p50_ms: number;
  /** No-op workflows per second at the saturation phase's count and concurrency. */
  workflows_per_s: number;
  /** Parents that start a child (ABANDON) and complete, per second, likewise. */
  parent_child_per_s: number;
  /** Updates per second on running, cached workflows, likewise. */
  updates_per_s: number;
}

/** CPU milliseconds of the dev server (`temporal`) and the floor worker per unit of each shape, and their `total`. */
export interface FloorCpu {
  /** Per no-op workflow (start + result). */
  workflow: CpuPerUnit;
  /** Per parent that starts a no-op child (ABANDON), the child included. */
  parent_child: CpuPerUnit;
  /** Per Update on a running, cached workflow. */
  update: CpuPerUnit;
}

/** The CPU phase of each measured shape (in results.json's `cpu_s`). */
export const FLOOR_CPU_PHASES = { workflow: 'floor_workflows', parent_child: 'floor_parent_child', update: 'floor_updates' } as const;

/**
 * The engine floor phase: a bench-only worker process (bench/floor-worker.ts, built by the product's
 * createWorker) on its own task queue on the same Temporal server, driven by a Temporal client in
 * another process (bench/floor-load.ts). `measure` wraps the measurement alone (not the worker's
 * start, which bundles the workflow code), for the run's per-phase CPU; within it each shape (no-op
 * workflows, parents + children, Updates) is a CPU phase of its own on `cpu`, marked by the load
 * driver, for the floor's CPU per shape. The worker is stopped afterwards, so it takes nothing from
 * the product's phases.
 */
export async function floorPhase(ctx: Ctx, system: BenchSystem, measure: <T>(run: () => Promise<T>) => Promise<T>, cpu: CpuMeter): Promise<{ floor: Floor; detail: FloorOutput; cpu_ms: FloorCpu }> {
  // On a shared external cluster other bench runs may be going on: keep our tasks to our worker.
  const taskQueue = system.pids.temporal !== undefined ? 'bench-floor' : `bench-floor-${process.pid}`;
  const worker = await system.startFloorWorker(taskQueue);
  try {
    const { opts } = ctx;
    const spec: FloorSpec = {
      address: system.temporalAddress, namespace: system.namespace, taskQueue, prefix: `floor-${process.pid}-${Date.now()}`,
      count: opts.orders, concurrency: opts.concurrency, sequential: opts.sequential,
      warmup: opts.warmup, warmupConcurrency: Math.min(16, opts.concurrency), maxDurationMs: opts.phaseMaxMs,
    };
    ctx.log(`engine floor: worker on task queue ${taskQueue}; ${spec.sequential} no-op workflows one at a time, then ${spec.count} each of no-op workflows, `
      + `parent + child and Updates at concurrency ${spec.concurrency}`);
    const phaseOf: Record<string, string> = { workflows: FLOOR_CPU_PHASES.workflow, parent_child: FLOOR_CPU_PHASES.parent_child, updates: FLOOR_CPU_PHASES.update };
    const detail = await measure(() => runScript<FloorOutput>('bench/floor-load.ts', spec, ctx.workDir, 'floor', ({ part, edge }) => {
      const name = phaseOf[part];
      if (name && edge === 'start') cpu.start(name);
      else if (name) cpu.stop(name);
    }));
    const floor: Floor = {
      workflow_p50_ms: detail.one_at_a_time.p50_ms,
      workflows_per_s: detail.workflows.per_s,
      parent_child_per_s: detail.parent_child.per_s,
      updates_per_s: detail.updates.per_s,
    };
    const roles = ['temporal', 'floor_worker'];
    const cpuMs: FloorCpu = {
      workflow: cpuMsPer(cpu.phases[FLOOR_CPU_PHASES.workflow], detail.workflows.ok, roles),
      parent_child: cpuMsPer(cpu.phases[FLOOR_CPU_PHASES.parent_child], detail.parent_child.ok, roles),
      update: cpuMsPer(cpu.phases[FLOOR_CPU_PHASES.update], detail.updates.ok, roles),
    };
    const errors = Object.values(detail).reduce((a, p) => a + p.errors, 0);
    ctx.log(`engine floor: no-op workflow p50 ${floor.workflow_p50_ms} ms, ${floor.workflows_per_s} workflows/s, `
      + `${floor.parent_child_per_s} parent + child/s, ${floor.updates_per_s} Updates/s${errors > 0 ? `, ${errors} ERRORS` : ''}`);
    ctx.log(`engine floor CPU (dev server + floor worker) per no-op workflow ${cpuMs.workflow.total ?? 'n/a'} ms, `
      + `per parent + child ${cpuMs.parent_child.total ?? 'n/a'} ms, per Update ${cpuMs.update.total ?? 'n/a'} ms`);
    for (const [part, p] of Object.entries(detail)) for (const e of p.sample_errors) ctx.log(`  floor ${part} error sample: ${e}`);
    return { floor, detail, cpu_ms: cpuMs };
  } finally {
    await worker.stop();
  }
}
