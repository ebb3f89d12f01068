import { DefaultLogger, Runtime } from '@temporalio/worker';

export type SdkLogLevel = 'WARN' | 'ERROR';
let installed = false;

/**
 * Once per process, before the first native connection, bundle or worker: the SDK's own logs at
 * warn level (info is a line per state change), and no signal handlers of its own, so the
 * process's shutdown order (HTTP, worker, Temporal, PostgreSQL) stays ours.
 */
export function installRuntime(level: SdkLogLevel = 'WARN'): void {
  if (installed) return;
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger(level) });
  installed = true;
}

/** The SDK logs each refused order as a failed workflow at WARN; LOG_LEVEL=error quiets that too. */
export const sdkLogLevelFor = (logLevel: string): SdkLogLevel => (logLevel === 'error' ? 'ERROR' : 'WARN');
