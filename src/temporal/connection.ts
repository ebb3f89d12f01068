import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config.js';
import { installSdkRuntime } from './sdk-runtime.js';

type TemporalSettings = Config['temporal'];

/** TLS client certificates or an API key (Temporal Cloud); neither for a local dev server. */
async function security(settings: TemporalSettings) {
  const tls = settings.tls
    ? { clientCertPair: { crt: await readFile(settings.tls.certPath), key: await readFile(settings.tls.keyPath) } }
    : settings.apiKey ? true : undefined;
  return { tls, ...(settings.apiKey ? { apiKey: settings.apiKey } : {}) };
}

export async function connectClient(settings: TemporalSettings, address: string): Promise<Client> {
  const connection = await Connection.connect({ address, ...(await security(settings)) });
  return new Client({ connection, namespace: settings.namespace });
}

export async function connectWorker(settings: TemporalSettings, address: string): Promise<NativeConnection> {
  installSdkRuntime(); // a no-op where the process's entry point installed it with its own options
  return NativeConnection.connect({ address, ...(await security(settings)) });
}
