/**
 * Brute-force limits on token creation and UI sign-in: after 10 failures for one account, attempts
 * are refused with 429 RATE_LIMITED (and Retry-After) even with the right password, until the window
 * (15 minutes) ends.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let now = new Date('2031-03-01T10:00:00Z').getTime();
before(async () => {
  t = await createTestApp({ clock: () => new Date(now) });
});
after(() => t.close());

const token = (email: string, password: string) => t.request('POST', '/api/v1/auth/tokens', { token: null, body: { email, password } });

test('token creation: 10 wrong passwords, then 429 RATE_LIMITED with Retry-After even for the right one; later it works', async () => {
  for (let i = 0; i < 10; i++) {
    const res = await token('root@example.org', `wrong-${i}`);
    assert.equal(res.statusCode, 401, res.body);
  }
  const blocked = await token('root@example.org', 'root-password');
  assert.equal(blocked.statusCode, 429, blocked.body);
  assert.equal(blocked.json().error.code, 'RATE_LIMITED');
  assert.match(blocked.json().error.message, /try again in 15 minutes/);
  assert.equal(blocked.headers['retry-after'], '900');
  now += 15 * 60_000;
  const ok = await token('root@example.org', 'root-password');
  assert.equal(ok.statusCode, 201, ok.body);
});

test('UI sign-in: the same limit, shown in words on the form', async () => {
  const attempt = async (password: string) => {
    const page = await t.app.inject({ method: 'GET', url: '/ui/sign-in' });
    const pre = (page.cookies as Array<{ name: string; value: string }>).find((c) => c.name === 'rollcall_signin');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    return t.app.inject({
      method: 'POST',
      url: '/ui/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `rollcall_signin=${pre?.value}` },
      payload: new URLSearchParams({ _csrf: csrf, email: 'root@example.org', password, next: '/ui/projects' }).toString(),
    });
  };
  for (let i = 0; i < 10; i++) {
    assert.equal((await attempt(`nope-${i}`)).statusCode, 401);
  }
  const blocked = await attempt('root-password');
  assert.equal(blocked.statusCode, 429);
  assert.match(blocked.body, /Too many failed sign-ins/);
  assert.equal(blocked.headers['set-cookie']?.toString().includes('rollcall_session='), false, 'no session is issued');
});
