import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { ensureTemporalCli } from '../../src/runtime/temporal-cli.js';

/** A Temporal client for assertions on workflow state; the caller closes it in afterAll. */
export async function temporalClient(): Promise<Client> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return new Client({ connection });
}

/** Runs the real `temporal` CLI against the test's dev server, as an operator (or the Web UI) would. */
export async function temporalCli() {
  const found = await ensureTemporalCli({ log: () => undefined });
  if (found.kind === 'sdk-download') throw new Error('the temporal CLI is needed for operator tests');
  return (...args: string[]) => promisify(execFile)(found.path, [...args, '--address', inject('temporalAddress')]);
}
