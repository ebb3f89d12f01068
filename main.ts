import { loadConfigOrExit } from './src/config.js';
import { createLogger } from './src/logger.js';
import { startSystem } from './src/system.js';

/** `npm start`: the whole system with embedded defaults, stopped in order on Ctrl-C. */
const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'main', config.logFormat);
const system = await startSystem(config, log);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info(`${signal}: stopping HTTP, worker, Temporal, then PostgreSQL`);
  system.stop().then(() => process.exit(0), (err: unknown) => {
    log.error('shutdown failed', { err: String(err) });
    process.exit(1);
  });
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

process.stdout.write(`
  Marketplace orders is running.
    API:          ${system.apiUrl}/api/v1
    Health:       ${system.apiUrl}/health
    Docs:         ${system.apiUrl}/docs
    Temporal UI:  ${system.temporalUiUrl ?? '(external cluster: use its own UI)'}
    Admin token:  ${system.adminToken}
  Press Ctrl-C to stop.
`);
