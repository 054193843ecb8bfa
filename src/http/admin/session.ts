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

/** Constant-time equality of two tokens; compares their UTF-8 bytes (a non-ASCII string may have as many characters as the token but more bytes). */
export function sameToken(a: string | undefined, b: string | null | undefined): boolean {
  if (!a || !b) {
    return false;
  }
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether cookies get the Secure flag: the public URL is https, or a trusted proxy says the request came over https. */
export function secureCookies(publicUrl: string | undefined, request: FastifyRequest): boolean {
  return /^https:/i.test(publicUrl ?? '') || request.protocol === 'https';
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
