import { Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from '../logger.js';

export type SdkLogLevel = 'WARN' | 'ERROR';
let installed = false;
let metricsAddress: string | undefined;

export interface SdkRuntimeOptions {
  level?: SdkLogLevel;
  /** The project's logger: the SDK's lines go through it, so they share its format and fields. */
  logger?: Logger;
  /** `host:port` where the SDK serves its Prometheus metrics (`temporal_…`). */
  metricsBindAddress?: string;
}

/**
 * Once per process, before the first native connection, bundle or worker: the SDK's own logs at
 * warn level (info is a line per state change) through our logger, its metrics where asked, and
 * no signal handlers of its own, so the process's shutdown order (HTTP, worker, Temporal,
 * PostgreSQL) stays ours.
 */
export function installSdkRuntime(options: SdkRuntimeOptions = {}): void {
  if (installed) return;
  const threshold = options.level === 'ERROR' ? 4 : 3;
  Runtime.install({
    shutdownSignals: [],
    ...(options.logger ? { logger: sdkLogger(options.logger, threshold) } : {}),
    ...(options.metricsBindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsBindAddress } } } } : {}),
  });
  installed = true;
  metricsAddress = options.metricsBindAddress;
}

/** Where this process's SDK serves its `temporal_…` metrics, if installSdkRuntime was asked to. */
export function sdkMetricsUrl(): string | undefined {
  return metricsAddress ? `http://${metricsAddress}/metrics` : undefined;
}

const RANK: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

function sdkLogger(log: Logger, threshold: number) {
  const sdk = log.child({ component: 'temporal-sdk' });
  const at = (level: LogLevel) => (message: string, meta?: LogMetadata) => {
    if (RANK[level] < threshold) return;
    const fields = meta as Record<string, unknown> | undefined;
    if (level === 'ERROR') sdk.error(message, fields);
    else if (level === 'WARN') sdk.warn(message, fields);
    else sdk.info(message, fields);
  };
  return {
    log: (level: LogLevel, message: string, meta?: LogMetadata) => at(level)(message, meta),
    trace: at('TRACE'), debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR'),
  };
}

/** The SDK logs each refused order as a failed workflow at WARN; LOG_LEVEL=error quiets that too. */
export const sdkLogLevelFor = (logLevel: string): SdkLogLevel => (logLevel === 'error' ? 'ERROR' : 'WARN');
