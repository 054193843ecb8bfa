/**
 * @module http/admin/session — UI sessions (HttpOnly, SameSite=Lax cookie holding a session token
 * stored hashed) and CSRF: every form carries the session's token, checked on every POST. The
 * sign-in form, before there is a session, uses a double-submit cookie.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

import type { FastifyReply, FastifyRequest } from 'fastify';

import { AppError } from '../../errors.ts';
import { type Actor, resolveToken } from '../../services/auth.service.ts';
import type { ServiceDeps } from '../../services/deps.ts';

export const SESSION_COOKIE = 'rollcall_session';
export const PRE_CSRF_COOKIE = 'rollcall_signin';

export function sameToken(a: string | undefined, b: string | null | undefined): boolean {
  if (!a || !b || a.length !== b.length) {
    return false;
  }
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export function setSessionCookie(reply: FastifyReply, token: string, hours: number, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', path: '/', maxAge: hours * 3600, secure });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/** A fresh token for the sign-in form, also set as a cookie (double submit). */
export function preSignInToken(reply: FastifyReply, secure: boolean): string {
  const token = randomBytes(18).toString('base64url');
  reply.setCookie(PRE_CSRF_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/ui', maxAge: 3600, secure });
  return token;
}

/** The signed-in actor of a UI request, or null. Only session tokens count (not API tokens). */
export async function uiActor(deps: ServiceDeps, request: FastifyRequest): Promise<Actor | null> {
  const token = request.cookies[SESSION_COOKIE];
  if (!token) {
    return null;
  }
  const actor = await resolveToken(deps, token);
  return actor?.kind === 'session' ? actor : null;
}

/** Throws FORBIDDEN unless the form's _csrf field matches the session's token. */
export function checkCsrf(actor: Actor, body: unknown): void {
  const sent = (body as Record<string, unknown> | null)?._csrf;
  if (typeof sent !== 'string' || !sameToken(sent, actor.csrfToken)) {
    throw new AppError('FORBIDDEN', 'This form has expired or did not come from this site. Reload the page and try again.');
  }
}
