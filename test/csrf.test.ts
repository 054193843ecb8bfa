/**
 * CSRF on every UI form: every POST route under /ui (recorded from the app, so a new form is covered
 * without editing this test) is posted by a signed-in superuser without `_csrf`, with a wrong one
 * and with another session's, each with fields that would change something, and from a cross-site
 * Origin. Each is refused with the 403 page (code FORBIDDEN) and no table changes. The upload form
 * (multipart) is posted as multipart with a real file. The sign-in form's double-submit token is
 * checked the same way. The app does not check Origin: the form token is what refuses a cross-site
 * post (and the session cookie is SameSite=Lax).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { LightMyRequestResponse } from 'fastify';

import { unsubscribeToken } from '../src/services/unsubscribe.service.ts';
import { multipart } from './support/import-files.ts';
import type { RecordedRoute } from './support/routes.ts';
import { createSecurityFixture, fill, type SecurityFixture, snapshotAll } from './support/security-fixture.ts';

let f: SecurityFixture;
let posts: RecordedRoute[] = [];
before(async () => {
  f = await createSecurityFixture();
  posts = f.routes.filter((r) => r.method === 'POST' && r.url.startsWith('/ui/') && r.url !== '/ui/sign-in');
});
after(() => f.t.close());

/** Fields that, accepted, would create or change something on most forms. */
const FIELDS = {
  name: 'csrf-probe', caseType: 'patient', username: 'csrfprobe', number: '+254712000777', text: 'csrf probe', helpText: 'csrf probe',
  type: 'test', prefix: '*', gateway: 'GW', from: '+254712000777', caseId: '', surveyId: '', mapping: '{}', target: 'cases', createNew: 'true',
};

function post(r: RecordedRoute, cookie: string, csrf: string | undefined, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const url = fill(r.url, f.alpha);
  const fields: Record<string, string> = { ...FIELDS, ...(csrf === undefined ? {} : { _csrf: csrf }) };
  if (r.url.endsWith('/imports')) {
    const form = multipart({ name: 'csrf.csv', bytes: Buffer.from('Case Name\nCSRF upload\n') }, fields);
    return f.t.app.inject({ method: 'POST', url, headers: { ...form.headers, cookie, ...headers }, payload: form.body });
  }
  return f.t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers }, payload: new URLSearchParams(fields).toString() });
}

function assertRefused(r: RecordedRoute, res: LightMyRequestResponse, how: string): void {
  const what = `${r.url} ${how}: ${res.statusCode} ${res.body.slice(0, 300)}`;
  assert.equal(res.statusCode, 403, what);
  assert.match(String(res.headers['content-type']), /^text\/html/, what);
  assert.match(res.body, /<p class="code">FORBIDDEN<\/p>/, what);
  assert.match(res.body, /did not come from this site/, what);
}

describe('CSRF on every UI form', () => {
  test('the recorded UI forms include every section', () => {
    assert.ok(posts.length >= 25, `${posts.length} POST routes under /ui`);
    for (const must of ['/ui/sign-out', '/ui/projects', '/ui/p/:project/settings', '/ui/p/:project/cases', '/ui/p/:project/gateways', '/ui/p/:project/imports', '/ui/p/:project/surveys']) {
      assert.ok(posts.some((r) => r.url === must), must);
    }
  });

  test('no _csrf, a wrong one, another session’s, or a cross-site Origin: 403 FORBIDDEN, nothing changes', async () => {
    const s = f.creds.superuser;
    const other = await f.fresh('superuser');
    const cookie = s.cookie as string;
    const before = await snapshotAll(f.t);
    const crossSite = { origin: 'https://evil.example', referer: 'https://evil.example/form.html', 'sec-fetch-site': 'cross-site' };
    for (const r of posts) {
      assertRefused(r, await post(r, cookie, undefined), 'without _csrf');
      assertRefused(r, await post(r, cookie, 'wrong-token'), 'with a wrong _csrf');
      assertRefused(r, await post(r, cookie, `${s.csrf}x`), 'with the token and one more character');
      assertRefused(r, await post(r, cookie, ''), 'with an empty _csrf');
      assertRefused(r, await post(r, cookie, other.csrf), 'with another session’s _csrf');
      assertRefused(r, await post(r, cookie, undefined, crossSite), 'from a cross-site Origin');
    }
    assert.deepEqual(await snapshotAll(f.t), before, 'no table changed');
    console.log(`# ${posts.length} UI forms × 6 forged posts refused; every table unchanged`);
  });

  test('with the right token the same forms work (the refusals above were the token, not the fields)', async () => {
    const s = f.creds.superuser;
    const cookie = s.cookie as string;
    const byUrl = (url: string) => posts.find((r) => r.url === url) as RecordedRoute;
    const created = await post(byUrl('/ui/p/:project/cases'), cookie, s.csrf);
    assert.equal(created.statusCode, 302, created.body.slice(0, 300));
    const uploaded = await post(byUrl('/ui/p/:project/imports'), cookie, s.csrf);
    assert.equal(uploaded.statusCode, 302, uploaded.body.slice(0, 300));
    const cases = await f.t.deps.db.selectFrom('cases').select('name').where('name', '=', 'csrf-probe').execute();
    assert.equal(cases.length, 1);
    assert.equal((await f.t.deps.db.selectFrom('imports').select('id').where('file_name', '=', 'csrf.csv').execute()).length, 1);
  });

  test('the sign-in form: no pre-sign-in cookie, a wrong or missing _csrf, or a cross-site post is refused and no session is issued', async () => {
    const page = await f.t.app.inject({ method: 'GET', url: '/ui/sign-in' });
    const pre = (page.cookies as Array<{ name: string; value: string }>).find((c) => c.name === 'rollcall_signin');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(pre && csrf);
    const sessionsBefore = await f.t.deps.db.selectFrom('auth_tokens').select('id').where('kind', '=', 'session').execute();
    const attempts: Array<[string, Record<string, string>, string | undefined]> = [
      ['no cookie', {}, csrf],
      ['no _csrf', { cookie: `rollcall_signin=${pre.value}` }, undefined],
      ['a wrong _csrf', { cookie: `rollcall_signin=${pre.value}` }, 'wrong'],
      ['a cross-site post without the token', { cookie: `rollcall_signin=${pre.value}`, origin: 'https://evil.example' }, undefined],
    ];
    for (const [how, headers, token] of attempts) {
      const fields = { email: 'root@example.org', password: 'root-password', ...(token === undefined ? {} : { _csrf: token }) };
      const res = await f.t.app.inject({ method: 'POST', url: '/ui/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: new URLSearchParams(fields).toString() });
      assert.equal(res.statusCode, 403, how);
      assert.match(res.body, /This form expired/, how);
      assert.ok(!String(res.headers['set-cookie'] ?? '').includes('rollcall_session='), `${how}: no session cookie`);
    }
    const sessionsAfter = await f.t.deps.db.selectFrom('auth_tokens').select('id').where('kind', '=', 'session').execute();
    assert.equal(sessionsAfter.length, sessionsBefore.length, 'no session was created');
  });
});

describe('constant-time compares of tokens with non-ASCII characters (4xx, never 500)', () => {
  // 'é' is one UTF-16 unit but two UTF-8 bytes: a string of the token's length has more bytes, and
  // crypto.timingSafeEqual throws on Buffers of different lengths.
  test('a UI form whose _csrf has the token’s length in non-ASCII characters: 403 FORBIDDEN', async () => {
    const s = f.creds.superuser;
    const r = posts.find((p) => p.url === '/ui/p/:project/cases') as RecordedRoute;
    const res = await post(r, s.cookie as string, 'é'.repeat(s.csrf.length));
    assertRefused(r, res, 'with a non-ASCII _csrf of the same length');
  });

  test('the sign-in form with such a _csrf: 403 with the form again', async () => {
    const page = await f.t.app.inject({ method: 'GET', url: '/ui/sign-in' });
    const pre = (page.cookies as Array<{ name: string; value: string }>).find((c) => c.name === 'rollcall_signin');
    assert.ok(pre);
    const fields = { email: 'root@example.org', password: 'root-password', _csrf: 'é'.repeat(pre.value.length) };
    const res = await f.t.app.inject({ method: 'POST', url: '/ui/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `rollcall_signin=${pre.value}` }, payload: new URLSearchParams(fields).toString() });
    assert.equal(res.statusCode, 403, res.body.slice(0, 300));
    assert.match(res.body, /This form expired/);
  });

  test('an unsubscribe link whose MAC has the right length in non-ASCII characters: 404, GET and POST', async () => {
    const token = unsubscribeToken(f.t.deps, 'someone@example.org', null);
    const [body, mac = ''] = token.split('.');
    const forged = `${body}.${encodeURIComponent('é'.repeat(mac.length))}`;
    for (const method of ['GET', 'POST'] as const) {
      const res = await f.t.app.inject({ method, url: `/unsubscribe/${forged}` });
      assert.equal(res.statusCode, 404, `${method}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    const real = await f.t.app.inject({ method: 'GET', url: `/unsubscribe/${token}` });
    assert.equal(real.statusCode, 200, 'the real link still works');
    // The page cannot be framed (a hidden button clicked unseen) and runs no inline code.
    assert.match(String(real.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(real.headers['x-frame-options'], 'DENY');
    assert.doesNotMatch(real.body, /style=|<script/);
  });
});
