/**
 * Sign-in limits against a real `rollcall serve` process (issue 23 item 11): behind a proxy that
 * ROLLCALL_TRUST_PROXY trusts, a guesser failing 100 times against the superuser from one client
 * address is slowed (429 RATE_LIMITED with Retry-After) while the superuser signs in from another
 * address, by the API and by the UI form, and a client failing against many accounts does not slow
 * the proxy's other clients. Without ROLLCALL_TRUST_PROXY, X-Forwarded-For is ignored (a guesser
 * cannot pick a fresh address per request) and the server warns once that it is not believed.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { killAll, removeTempDirs, type Served, serve, stop, tempDir } from './support/process.ts';

after(async () => {
  await killAll();
  removeTempDirs();
});

const ADMIN = { email: 'root@example.org', password: 'root-password-123' };

async function tokenFrom(base: string, forwardedFor: string | null, email: string, password: string): Promise<{ status: number; retryAfter: string | null; code: string | undefined }> {
  const res = await fetch(`${base}/api/v1/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    body: JSON.stringify({ email, password }),
    signal: AbortSignal.timeout(30_000),
  });
  const json = (await res.json()) as { error?: { code?: string } };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), code: json.error?.code };
}

async function uiSignIn(base: string, forwardedFor: string, email: string, password: string): Promise<{ status: number; location: string | null; session: boolean }> {
  const page = await fetch(`${base}/ui/sign-in`, { headers: { 'x-forwarded-for': forwardedFor }, signal: AbortSignal.timeout(30_000) });
  const pre = /rollcall_signin=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1] ?? '';
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const res = await fetch(`${base}/ui/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `rollcall_signin=${pre}`, 'x-forwarded-for': forwardedFor },
    body: new URLSearchParams({ _csrf: csrf, email, password, next: '/ui/projects' }).toString(),
    signal: AbortSignal.timeout(30_000),
  });
  await res.arrayBuffer();
  return { status: res.status, location: res.headers.get('location'), session: (res.headers.get('set-cookie') ?? '').includes('rollcall_session=') };
}

describe('sign-in lockout against a real server', { timeout: 600_000 }, () => {
  test('behind a trusted proxy: 100 failures against the superuser from one address slow that address only', async () => {
    const server: Served = await serve({ DATA_DIR: tempDir('rollcall-lockout-'), ROLLCALL_ADMIN_EMAIL: ADMIN.email, ROLLCALL_ADMIN_PASSWORD: ADMIN.password, ROLLCALL_TRUST_PROXY: '127.0.0.1' }, 240_000);
    const attacker = '203.0.113.66';
    const counts = new Map<number, number>();
    let retryAfter: string | null = null;
    for (let i = 0; i < 100; i++) {
      const res = await tokenFrom(server.base, attacker, ADMIN.email, `guess-number-${i}`);
      counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
      if (res.status === 429) {
        assert.equal(res.code, 'RATE_LIMITED');
        retryAfter = res.retryAfter;
      }
    }
    assert.equal((counts.get(401) ?? 0) + (counts.get(429) ?? 0), 100, JSON.stringify([...counts]));
    assert.ok((counts.get(429) ?? 0) >= 80, `most guesses were refused unchecked: ${JSON.stringify([...counts])}`);
    assert.ok(retryAfter !== null && Number(retryAfter) >= 1, `Retry-After: ${retryAfter}`);
    // (That even the right password waits from the guessing address is shown with a fake clock in
    // test/sign-in-throttle.test.ts: here the real waits are seconds and may be over by the next request.)
    const victim = await tokenFrom(server.base, '198.51.100.23', ADMIN.email, ADMIN.password);
    assert.equal(victim.status, 201, `the superuser from another address is not locked out: ${JSON.stringify(victim)}`);
    const form = await uiSignIn(server.base, '198.51.100.24', ADMIN.email, ADMIN.password);
    assert.deepEqual(form, { status: 302, location: '/ui/projects', session: true }, 'the UI form too');

    // One client spraying many accounts is slowed (past 50 failures); the proxy's other clients are not.
    let sprayed = 0;
    let slowed = false;
    while (!slowed && sprayed < 80) {
      slowed = (await tokenFrom(server.base, '203.0.113.99', `nobody${sprayed}@example.org`, 'wrong-password')).status === 429;
      sprayed += 1;
    }
    assert.ok(slowed && sprayed > 50, `the spraying client was slowed after ${sprayed} attempts`);
    assert.equal((await tokenFrom(server.base, '198.51.100.25', ADMIN.email, ADMIN.password)).status, 201);
    assert.equal(await stop(server.child, 'SIGTERM', 30_000), 0);
  });

  test('without ROLLCALL_TRUST_PROXY, X-Forwarded-For is ignored and the server warns once', async () => {
    const server: Served = await serve({ DATA_DIR: tempDir('rollcall-lockout-'), ROLLCALL_ADMIN_EMAIL: ADMIN.email, ROLLCALL_ADMIN_PASSWORD: ADMIN.password }, 240_000);
    // Were X-Forwarded-For believed, each guess would come from a fresh address and all 100 be checked (401).
    let refused = 0;
    for (let i = 0; i < 100; i++) {
      const res = await tokenFrom(server.base, `10.77.0.${i}`, ADMIN.email, `guess-${i}`);
      assert.ok(res.status === 401 || res.status === 429, String(res.status));
      refused += res.status === 429 ? 1 : 0;
    }
    assert.ok(refused >= 50, `a made-up X-Forwarded-For is not a fresh address: ${refused} of 100 refused`);
    const output = server.child.stdout() + server.child.stderr();
    assert.equal(output.split('ROLLCALL_TRUST_PROXY does not trust').length - 1, 1, `one warning: ${output.slice(-2000)}`);
    assert.equal(await stop(server.child, 'SIGTERM', 30_000), 0);
  });
});
