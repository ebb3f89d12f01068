/**
 * What reconciliation reports and remembers (docs/reconciliation.md): its checks, its modes and
 * the checkpoint a run verified. Shapes only, so that the checks, the checkpoint and the workflow
 * check's queries share them without importing one another in a circle.
 */
export interface Check { name: string; ok: boolean; detail: string }
export const RECONCILIATION_MODES = ['incremental', 'full'] as const;
export type ReconciliationMode = (typeof RECONCILIATION_MODES)[number];
export interface Reconciliation { ok: boolean; mode: ReconciliationMode; checks: Check[] }

/** Where the last passing run verified the ledger up to (migrations/006). */
export interface Checkpoint {
  transferId: number;
  transferCount: number;
  eventId: number;
  mode: ReconciliationMode;
  verifiedAt: Date;
  fullTransferId: number | null;
  fullVerifiedAt: Date | null;
}

/** The report of a list of checks: ok when every one is. Checks made above the database append to the list. */
export function summarise(checks: Check[], mode: ReconciliationMode): Reconciliation {
  return { ok: checks.every((c) => c.ok), mode, checks };
}
