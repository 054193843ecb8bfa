/**
 * Brute-force limits on token creation and UI sign-in (lib/sign-in-throttle.ts): after 5
 * failures for one account from one address, attempts from that address wait (429 RATE_LIMITED with
 * Retry-After, even with the right password), the wait doubling with each further failure up to 15
 * minutes; the same account from another address is not slowed; the address is the socket's unless
 * ROLLCALL_TRUST_PROXY trusts the peer, and then X-Forwarded-For's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';

let now = new Date('2031-03-01T10:00:00Z').getTime();
const clock = () => new Date(now);

function tokenRequest(t: TestApp, email: string, password: string, options: { remoteAddress?: string; forwardedFor?: string } = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/tokens',
    payload: { email, password },
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
    headers: options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {},
  });
}

describe('sign-in limits (no proxy trusted)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock });
  });
  after(() => t.close());

  test('token creation: 5 wrong passwords, then 429 RATE_LIMITED with Retry-After even for the right one; waits double; later it works', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await tokenRequest(t, 'root@example.org', `wrong-${i}`);
      assert.equal(res.statusCode, 401, res.body);
    }
    const blocked = await tokenRequest(t, 'root@example.org', 'root-password');
    assert.equal(blocked.statusCode, 429, blocked.body);
    assert.equal(blocked.json().error.code, 'RATE_LIMITED');
    assert.match(blocked.json().error.message, /try again in 1 second/);
    assert.equal(blocked.headers['retry-after'], '1');
    // Each further failure doubles the wait: 2 s, 4 s, 8 s …
    for (const expected of ['2', '4', '8']) {
      now += Number(blocked.headers['retry-after']) * 1000 * 10;
      assert.equal((await tokenRequest(t, 'root@example.org', 'still-wrong')).statusCode, 401);
      const again = await tokenRequest(t, 'root@example.org', 'root-password');
      assert.equal(again.statusCode, 429);
      assert.equal(again.headers['retry-after'], expected);
    }
    now += 8_000;
    const ok = await tokenRequest(t, 'root@example.org', 'root-password');
    assert.equal(ok.statusCode, 201, ok.body);
  });

  test('a guesser failing 100 times against the superuser from one address does not slow the superuser elsewhere', async () => {
    const attacker = '203.0.113.50';
    const answers = new Map<number, number>();
    for (let i = 0; i < 100; i++) {
      const res = await tokenRequest(t, 'root@example.org', `guess-${i}`, { remoteAddress: attacker });
      answers.set(res.statusCode, (answers.get(res.statusCode) ?? 0) + 1);
    }
    assert.equal(answers.get(401), 5, 'five guesses were checked');
    assert.equal(answers.get(429), 95, 'the rest were refused before the password was checked');
    assert.equal((await tokenRequest(t, 'root@example.org', 'root-password', { remoteAddress: attacker })).statusCode, 429, 'the attacker address waits');
    const fromElsewhere = await tokenRequest(t, 'root@example.org', 'root-password', { remoteAddress: '198.51.100.7' });
    assert.equal(fromElsewhere.statusCode, 201, fromElsewhere.body);
  });

  test('X-Forwarded-For is ignored when no proxy is trusted: a guesser cannot pick a fresh address', async () => {
    for (let i = 0; i < 5; i++) {
      assert.equal((await tokenRequest(t, 'root@example.org', `xff-${i}`, { remoteAddress: '192.0.2.10', forwardedFor: `10.0.0.${i}` })).statusCode, 401);
    }
    const res = await tokenRequest(t, 'root@example.org', 'root-password', { remoteAddress: '192.0.2.10', forwardedFor: '10.0.0.99' });
    assert.equal(res.statusCode, 429, 'the socket address is what counts');
  });

  test('UI sign-in: the same limit, shown in words on the form with Retry-After', async () => {
    const attempt = async (password: string) => {
      const page = await t.app.inject({ method: 'GET', url: '/ui/sign-in', remoteAddress: '192.0.2.77' });
      const pre = (page.cookies as Array<{ name: string; value: string }>).find((c) => c.name === 'rollcall_signin');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
      return t.app.inject({
        method: 'POST',
        url: '/ui/sign-in',
        remoteAddress: '192.0.2.77',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `rollcall_signin=${pre?.value}` },
        payload: new URLSearchParams({ _csrf: csrf, email: 'root@example.org', password, next: '/ui/projects' }).toString(),
      });
    };
    for (let i = 0; i < 5; i++) {
      assert.equal((await attempt(`nope-${i}`)).statusCode, 401);
    }
    const blocked = await attempt('root-password');
    assert.equal(blocked.statusCode, 429);
    assert.match(blocked.body, /Too many failed sign-ins/);
    assert.equal(blocked.headers['retry-after'], '1');
    assert.equal(blocked.headers['set-cookie']?.toString().includes('rollcall_session='), false, 'no session is issued');
  });
});

describe('sign-in limits behind a trusted proxy (ROLLCALL_TRUST_PROXY)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock, config: { trustProxy: '127.0.0.1' } });
  });
  after(() => t.close());

  test('the client named by X-Forwarded-For is counted: 60 failures from one client do not slow another client of the proxy', async () => {
    for (let i = 0; i < 60; i++) {
      const res = await tokenRequest(t, `user${i}@example.org`, 'wrong-password', { forwardedFor: '203.0.113.7' });
      assert.ok(res.statusCode === 401 || res.statusCode === 429, String(res.statusCode));
    }
    assert.equal((await tokenRequest(t, 'root@example.org', 'root-password', { forwardedFor: '203.0.113.7' })).statusCode, 429, 'the guessing client waits');
    const other = await tokenRequest(t, 'root@example.org', 'root-password', { forwardedFor: '198.51.100.20' });
    assert.equal(other.statusCode, 201, other.body);
  });

  test('X-Forwarded-For from a peer that is not the trusted proxy is ignored', async () => {
    for (let i = 0; i < 5; i++) {
      await tokenRequest(t, 'root@example.org', `spoof-${i}`, { remoteAddress: '192.0.2.200', forwardedFor: `10.9.0.${i}` });
    }
    assert.equal((await tokenRequest(t, 'root@example.org', 'root-password', { remoteAddress: '192.0.2.200', forwardedFor: '10.9.0.200' })).statusCode, 429);
  });
});
