import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/**
 * Call-site options that only add the one-line summary the Web UI shows on the timeline.
 * executeWithOptions deep-merges them over the proxy's preset, so the preset's timeouts and retry
 * policy still hold; the cast is there because its type asks for a complete options object.
 */
export const summary = (text: string) => ({ summary: text }) as ActivityOptions & LocalActivityOptions;
