import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';

/** A Temporal client for assertions on workflow state; the caller closes it in afterAll. */
export async function temporalClient(): Promise<Client> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return new Client({ connection });
}
