/**
 * @module http/auth — reads the bearer token of API requests and puts the actor on the request.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

import { AppError } from '../errors.ts';
import { type Actor, resolveToken, tokenRefusal } from '../services/auth.service.ts';
import type { ServiceDeps } from '../services/deps.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) {
    return null;
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * An onRequest hook that requires a valid API token (before the body is read or validated). Only
 * API tokens count: a UI session's token (the admin UI's HttpOnly cookie) is not an API bearer, as
 * an API token is not a UI session (http/admin/session.ts).
 */
export function requireApiActor(deps: ServiceDeps) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearerToken(request);
    const actor = token ? await resolveToken(deps, token) : null;
    if (actor?.kind === 'session') {
      throw new AppError('UNAUTHORIZED', 'This is the token of an admin UI session, which the API does not take; POST /api/v1/auth/tokens gives an API token.');
    }
    if (!actor) {
      // An expired, revoked or deactivated account's token is told which (tokenRefusal).
      throw new AppError('UNAUTHORIZED', token ? await tokenRefusal(deps, token) : 'Send Authorization: Bearer <token> (POST /api/v1/auth/tokens gives one).');
    }
    request.actor = actor;
  };
}

/** The actor of a request that passed requireApiActor. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) {
    throw new AppError('UNAUTHORIZED');
  }
  return request.actor;
}
