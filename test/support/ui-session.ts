/**
 * A signed-in admin UI session for tests without a browser: signs in through the sign-in form (the
 * double-submit cookie and all), then GETs pages and POSTs forms with the session's form token.
 */
import assert from 'node:assert/strict';

import type { LightMyRequestResponse } from 'fastify';

import type { TestApp } from './test-app.ts';

export interface UiSession {
  cookie: string;
  csrf: string;
  get(url: string): Promise<LightMyRequestResponse>;
  /** Posts a urlencoded form; `_csrf` is added unless given. Repeated fields as arrays. */
  post(url: string, fields: Record<string, string | string[]>): Promise<LightMyRequestResponse>;
}

/** The `_csrf` value of the page's (first) form. */
export function csrfIn(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m?.[1], 'the page has a form with a CSRF token');
  return m[1];
}

export interface ResponseCookie {
  name: string;
  value: string;
  httpOnly?: boolean;
  sameSite?: string;
  path?: string;
  maxAge?: number;
}

/** The cookie the response sets under this name, if any. */
export function cookieOf(res: LightMyRequestResponse, name: string): ResponseCookie | undefined {
  return (res.cookies as ResponseCookie[]).find((x) => x.name === name);
}

function cookieValue(res: LightMyRequestResponse, name: string): string {
  const c = cookieOf(res, name);
  assert.ok(c, `a ${name} cookie`);
  return c.value;
}

export function encodeForm(fields: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    for (const one of Array.isArray(v) ? v : [v]) {
      params.append(k, one);
    }
  }
  return params.toString();
}

/** Fills in and posts the sign-in form (with its double-submit cookie); the raw answer: a 302 with a session cookie when it worked. */
export async function signInResponse(t: TestApp, email = 'root@example.org', password = 'root-password'): Promise<LightMyRequestResponse> {
  const page = await t.app.inject({ method: 'GET', url: '/ui/sign-in' });
  return t.app.inject({
    method: 'POST',
    url: '/ui/sign-in',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `rollcall_signin=${cookieValue(page, 'rollcall_signin')}` },
    payload: encodeForm({ _csrf: csrfIn(page.body), email, password, next: '/ui/projects' }),
  });
}

export async function uiSession(t: TestApp, email = 'root@example.org', password = 'root-password'): Promise<UiSession> {
  const res = await signInResponse(t, email, password);
  assert.equal(res.statusCode, 302, res.body);
  const cookie = `rollcall_session=${cookieValue(res, 'rollcall_session')}`;
  const csrf = csrfIn((await t.app.inject({ method: 'GET', url: '/ui/projects', headers: { cookie } })).body);
  return {
    cookie,
    csrf,
    get: (url) => t.app.inject({ method: 'GET', url, headers: { cookie } }),
    post: (url, fields) =>
      t.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: encodeForm({ _csrf: csrf, ...fields }) }),
  };
}
