import { pino, type Logger as Pino } from 'pino';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'pretty';
type Fields = Record<string, unknown>;

/** The project's logger: `log.info(message, fields)`, and `child(fields)` for a request's lines. */
export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

/**
 * pino underneath: one JSON object per line in production (for a log pipeline), readable lines in
 * development (pino-pretty, in pino's own worker thread so the event loop never waits on it).
 */
export function createLogger(level: Level, name = 'app', format: LogFormat = defaultFormat()): Logger {
  const base = pino({
    name,
    level,
    ...(format === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: 2 } } }
      : {}),
  }, format === 'json' ? pino.destination(2) : undefined);
  return wrap(base);
}

function wrap(p: Pino): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    child: (fields) => wrap(p.child(fields)),
  };
}

/** Pretty for a person at a terminal, JSON for everything else (CI, containers, files). */
function defaultFormat(): LogFormat {
  return process.stderr.isTTY ? 'pretty' : 'json';
}
