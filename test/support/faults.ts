import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Test-only fault hook: every activity waits before it runs, so a test can kill or restart a
 * component while work is in flight. Exists only under test/, never in the product.
 */
export function slowed<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T, ms: number): T {
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, async (...args: never[]) => {
    await sleep(ms);
    return fn(...args);
  }])) as T;
}
