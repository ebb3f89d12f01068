import { createMiddleware } from 'hono/factory';
import type { Sql } from '../db/client.js';
import { userByToken, type User } from '../db/users.js';
import type { Role } from '../domain/vocabularies.js';
import { DomainError, MESSAGES } from '../domain/errors.js';

export interface AuthEnv {
  Variables: {
    user: User;
    requestId: string;
    /** The workflow a request started or signalled, for its log line. */
    workflowId?: string;
  };
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/;

/** Bearer-token authentication: a missing, unknown or revoked token is 401 `Unauthenticated.` */
export function authenticate(sql: Sql) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const token = BEARER.exec(c.req.header('authorization') ?? '')?.[1];
    const user = token ? await userByToken(sql, token) : undefined;
    if (!user) throw new DomainError('UNAUTHENTICATED', MESSAGES.UNAUTHENTICATED);
    c.set('user', user);
    await next();
  });
}

/** Role gate: a known user with the wrong role is 403 `This action is unauthorized.` */
export function allow(...roles: Role[]) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    if (!roles.includes(c.get('user').role)) throw new DomainError('FORBIDDEN', MESSAGES.FORBIDDEN);
    await next();
  });
}
