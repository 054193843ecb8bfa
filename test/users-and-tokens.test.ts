/**
 * Web users and roles, and API tokens (issue 24), through the API and the admin UI's forms:
 * tokens created with a name and an expiry, listed without their secret with when they were last
 * used (written at most once a minute), revoked one by one and refused at once (also from the token
 * cache), refused after they expire — each refusal saying why; a member's role changed, a project
 * never left without an admin and an admin unable to lock themselves out; a membership deactivated
 * (access to that project only goes) and reactivated; an account deactivated server-wide (it cannot
 * sign in and its sessions and tokens stop at once); and an admin of one project unable to touch
 * another's users.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { LightMyRequestResponse } from 'fastify';

import { findUserByEmail } from '../src/store/user.store.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { signInResponse, uiSession } from './support/ui-session.ts';

type Json = Record<string, any>;

let t: TestApp;
let offset = 0;
const DAY = 86_400_000;

before(async () => {
  t = await createTestApp({ clock: () => new Date(Date.now() + offset) });
  await t.createProject('alpha', { timeZone: 'Africa/Nairobi' });
  await t.createProject('bravo');
});
after(() => t.close());

async function userId(email: string): Promise<string> {
  const u = await findUserByEmail(t.deps.db, email);
  assert.ok(u, email);
  return u.id;
}

async function newToken(email: string, password: string, extra: Json = {}): Promise<Json> {
  const res = await t.request('POST', '/api/v1/auth/tokens', { token: null, body: { email, password, ...extra } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function me(token: string): Promise<LightMyRequestResponse> {
  return t.request('GET', '/api/v1/auth/me', { token });
}

async function tokens(token: string): Promise<Json[]> {
  const res = await t.request('GET', '/api/v1/auth/tokens', { token });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().items;
}

// --- The admin UI without a browser: sign in through the form, post forms with the session's token.

describe('API tokens (API)', () => {
  test('created with a name and an expiry; without them it never expires, as before; the old label still names it', async () => {
    const before = Date.now();
    const named = await newToken('root@example.org', 'root-password', { name: 'nightly export', expiresInDays: 30 });
    assert.match(named.token, /^rc_/);
    assert.equal(named.name, 'nightly export');
    assert.ok(named.id);
    const expires = Date.parse(named.expiresAt);
    assert.ok(expires >= before + 30 * DAY - 1000 && expires <= Date.now() + 30 * DAY + 1000, named.expiresAt);
    assert.equal((await me(named.token)).statusCode, 200);

    const plain = await newToken('root@example.org', 'root-password');
    assert.equal(plain.expiresAt, null, 'the default is unchanged: no expiry');
    assert.equal(plain.name, null);
    assert.equal((await newToken('root@example.org', 'root-password', { label: 'old client' })).name, 'old client');

    for (const bad of [0, 3651, 1.5]) {
      const res = await t.request('POST', '/api/v1/auth/tokens', { token: null, body: { email: 'root@example.org', password: 'root-password', expiresInDays: bad } });
      assert.equal(res.statusCode, 400, `${bad}: ${res.body}`);
      assert.equal(res.json().error.code, 'VALIDATION_ERROR');
    }
  });

  test('the list is the user’s own tokens, without their secret, with the one in use marked', async () => {
    const other = await t.createMember('alpha', 'member', 'lister-other@example.org');
    const mine = await newToken('root@example.org', 'root-password', { name: 'listing' });
    const res = await t.request('GET', '/api/v1/auth/tokens', { token: mine.token });
    assert.equal(res.statusCode, 200);
    assert.ok(!res.body.includes(mine.token), 'no secret in the list');
    assert.ok(!res.body.includes(t.adminToken), 'no secret of another token either');
    assert.ok(!/token_hash|tokenHash|"token"/.test(res.body));
    const items: Json[] = res.json().items;
    const listed = items.find((i) => i.id === mine.id);
    assert.ok(listed);
    assert.deepEqual(Object.keys(listed).sort(), ['createdAt', 'current', 'expired', 'expiresAt', 'id', 'lastUsedAt', 'name']);
    assert.equal(listed.current, true);
    assert.ok(items.filter((i) => i.current).length === 1);
    const theirs = await tokens(other);
    assert.equal(theirs.length, 1, 'another user sees only their own token');
    assert.ok(!theirs.some((i) => i.id === mine.id));
    // Sessions are not API tokens: signing in to the UI adds nothing to the list.
    await uiSession(t);
    assert.equal((await tokens(mine.token)).length, items.length);
  });

  test('last used: set on first use, not rewritten within a minute, updated after', async () => {
    const lister = await newToken('root@example.org', 'root-password', { name: 'lister' });
    const used = await newToken('root@example.org', 'root-password', { name: 'used' });
    const find = async () => (await tokens(lister.token)).find((i) => i.id === used.id) as Json;
    assert.equal((await find()).lastUsedAt, null, 'never used');
    assert.equal((await me(used.token)).statusCode, 200);
    const first = (await find()).lastUsedAt;
    assert.ok(first);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await me(used.token)).statusCode, 200);
    assert.equal((await find()).lastUsedAt, first, 'a second use within the minute writes nothing');
    offset = 61_000;
    try {
      assert.equal((await me(used.token)).statusCode, 200);
      const later = (await find()).lastUsedAt;
      assert.ok(Date.parse(later) >= Date.parse(first) + 60_000, `${first} → ${later}`);
    } finally {
      offset = 0;
    }
  });

  test('revoked by id: refused at once, saying so; only one’s own tokens; the others keep working', async () => {
    const keeper = await newToken('root@example.org', 'root-password', { name: 'keeper' });
    const doomed = await newToken('root@example.org', 'root-password', { name: 'doomed' });
    assert.equal((await me(doomed.token)).statusCode, 200);
    const del = await t.request('DELETE', `/api/v1/auth/tokens/${doomed.id}`, { token: keeper.token });
    assert.equal(del.statusCode, 204, del.body);
    const refused = await me(doomed.token);
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.json().error.code, 'UNAUTHORIZED');
    assert.match(refused.json().error.message, /This API token was revoked on .*; create a new token/);
    assert.ok(!(await tokens(keeper.token)).some((i) => i.id === doomed.id), 'a revoked token leaves the list');
    assert.equal((await t.request('DELETE', `/api/v1/auth/tokens/${doomed.id}`, { token: keeper.token })).statusCode, 404, 'revoked already');
    assert.equal((await t.request('DELETE', '/api/v1/auth/tokens/not-a-uuid', { token: keeper.token })).statusCode, 404);

    // Another user cannot revoke it (404, as for a token that does not exist), and it still works.
    const stranger = await t.createMember('bravo', 'admin', 'stranger@example.org');
    const res = await t.request('DELETE', `/api/v1/auth/tokens/${keeper.id}`, { token: stranger });
    assert.equal(res.statusCode, 404, res.body);
    assert.equal((await me(keeper.token)).statusCode, 200);
  });

  test('expired: refused with a message saying when it expired', async () => {
    const short = await newToken('root@example.org', 'root-password', { name: 'short', expiresInDays: 1 });
    assert.equal((await me(short.token)).statusCode, 200);
    offset = 2 * DAY;
    try {
      const res = await me(short.token);
      assert.equal(res.statusCode, 401);
      assert.match(res.json().error.message, new RegExp(`This API token expired on ${short.expiresAt.slice(0, 16)}`));
      const listed = (await tokens(t.adminToken)).find((i) => i.id === short.id);
      assert.equal(listed?.expired, true, 'listed as expired');
    } finally {
      offset = 0;
    }
    const unknown = await me('rc_this-token-was-never-issued-0000000000');
    assert.equal(unknown.statusCode, 401);
    assert.match(unknown.json().error.message, /not valid, has expired or was revoked/);
  });

  test('revocation and deactivation are immediate even with the token cache on', async () => {
    const cached = await createTestApp({ cacheTtlMs: 60_000 });
    try {
      await cached.createProject('gamma');
      const res = await cached.request('POST', '/api/v1/auth/tokens', { token: null, body: { email: 'root@example.org', password: 'root-password', name: 'cached' } });
      const tok = res.json();
      assert.equal((await cached.request('GET', '/api/v1/auth/me', { token: tok.token })).statusCode, 200, 'resolved and cached');
      assert.equal((await cached.request('DELETE', `/api/v1/auth/tokens/${tok.id}`)).statusCode, 204);
      assert.equal((await cached.request('GET', '/api/v1/auth/me', { token: tok.token })).statusCode, 401);

      const member = await cached.createMember('gamma', 'member', 'cached-member@example.org');
      assert.equal((await cached.request('GET', '/api/v1/projects/gamma', { token: member })).statusCode, 200);
      const id = (await findUserByEmail(cached.deps.db, 'cached-member@example.org'))?.id;
      assert.equal((await cached.request('PATCH', `/api/v1/users/${id}`, { body: { active: false } })).statusCode, 200);
      assert.equal((await cached.request('GET', '/api/v1/projects/gamma', { token: member })).statusCode, 401);
    } finally {
      await cached.close();
    }
  });

  test('the new endpoints and fields are in the OpenAPI document', async () => {
    const doc = (await t.request('GET', '/openapi.json', { token: null })).json();
    assert.ok(doc.paths['/api/v1/auth/tokens'].get);
    assert.ok(doc.paths['/api/v1/auth/tokens/{id}'].delete);
    assert.ok(doc.paths['/api/v1/projects/{project}/users/{id}'].patch);
    assert.ok(doc.paths['/api/v1/users/{id}'].patch);
    const body = doc.paths['/api/v1/auth/tokens'].post.requestBody.content['application/json'].schema;
    assert.ok(body.properties.name && body.properties.expiresInDays);
  });
});

describe('web users and roles (API)', () => {
  test('a project admin changes a member’s role; a member cannot', async () => {
    const adminTok = await t.createMember('alpha', 'admin', 'alpha-admin@example.org');
    const memberTok = await t.createMember('alpha', 'member', 'alpha-member@example.org');
    const id = await userId('alpha-member@example.org');
    const denied = await t.request('PATCH', `/api/v1/projects/alpha/users/${id}`, { token: memberTok, body: { role: 'admin' } });
    assert.equal(denied.statusCode, 403);
    const res = await t.request('PATCH', `/api/v1/projects/alpha/users/${id}`, { token: adminTok, body: { role: 'admin' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().role, 'admin');
    assert.equal(res.json().active, true);
    // Now an admin: they can open admin-only actions.
    assert.equal((await t.request('PATCH', '/api/v1/projects/alpha', { token: memberTok, body: { helpText: 'Reply HELP' } })).statusCode, 200);
    const back = await t.request('PATCH', `/api/v1/projects/alpha/users/${id}`, { token: adminTok, body: { role: 'member' } });
    assert.equal(back.json().role, 'member');
    const nothing = await t.request('PATCH', `/api/v1/projects/alpha/users/${id}`, { token: adminTok, body: {} });
    assert.deepEqual([nothing.statusCode, nothing.json().role, nothing.json().active], [200, 'member', true], 'an empty patch changes nothing');
    assert.equal((await t.request('PATCH', `/api/v1/projects/alpha/users/${id}`, { token: adminTok, body: { role: 'owner' } })).statusCode, 400);
    assert.equal((await t.request('PATCH', '/api/v1/projects/alpha/users/not-a-uuid', { token: adminTok, body: { role: 'member' } })).statusCode, 404);
  });

  test('the list shows role, access and last sign-in', async () => {
    await t.createMember('alpha', 'member', 'signs-in@example.org');
    await uiSession(t, 'signs-in@example.org', 'member-password');
    const res = await t.request('GET', '/api/v1/projects/alpha/users');
    const items: Json[] = res.json().items;
    const u = items.find((i) => i.email === 'signs-in@example.org');
    assert.ok(u);
    assert.equal(u.role, 'member');
    assert.equal(u.active, true);
    assert.equal(u.accountActive, true);
    assert.ok(u.lastSignInAt, 'signed in through the UI');
    assert.equal(items.find((i) => i.email === 'alpha-admin@example.org')?.lastSignInAt, null, 'API tokens are not sign-ins');
  });

  test('the last admin cannot be demoted or deactivated, and an admin cannot lock themselves out', async () => {
    await t.createProject('solo');
    const only = await t.createMember('solo', 'admin', 'solo-admin@example.org');
    const id = await userId('solo-admin@example.org');
    for (const body of [{ role: 'member' }, { active: false }]) {
      const self = await t.request('PATCH', `/api/v1/projects/solo/users/${id}`, { token: only, body });
      assert.equal(self.statusCode, 409, self.body);
      assert.equal(self.json().error.code, 'CONFLICT');
      assert.match(self.json().error.message, /You cannot (take away your own admin role|deactivate yourself)/);
      const bySuperuser = await t.request('PATCH', `/api/v1/projects/solo/users/${id}`, { body });
      assert.equal(bySuperuser.statusCode, 409, bySuperuser.body);
      assert.match(bySuperuser.json().error.message, /only admin: make another user an admin first/);
    }
    // With a second admin, either can go — but still not by their own hand.
    const second = await t.createMember('solo', 'admin', 'solo-second@example.org');
    const secondId = await userId('solo-second@example.org');
    assert.equal((await t.request('PATCH', `/api/v1/projects/solo/users/${id}`, { token: only, body: { role: 'member' } })).statusCode, 409, 'not yourself');
    const demoted = await t.request('PATCH', `/api/v1/projects/solo/users/${id}`, { token: second, body: { role: 'member' } });
    assert.equal(demoted.statusCode, 200, demoted.body);
    const last = await t.request('PATCH', `/api/v1/projects/solo/users/${secondId}`, { body: { active: false } });
    assert.equal(last.statusCode, 409, 'now the second is the only admin');
    // A member may be deactivated, and promoting a deactivated user does not count as an admin.
    assert.equal((await t.request('PATCH', `/api/v1/projects/solo/users/${id}`, { body: { active: false } })).statusCode, 200);
    assert.equal((await t.request('PATCH', `/api/v1/projects/solo/users/${id}`, { body: { role: 'admin' } })).json().active, false);
    assert.equal((await t.request('PATCH', `/api/v1/projects/solo/users/${secondId}`, { body: { role: 'member' } })).statusCode, 409);
  });

  test('a deactivated membership loses that project only; reactivated, it comes back with its role', async () => {
    await t.createProject('delta');
    const tok = await t.createMember('alpha', 'admin', 'two-projects@example.org');
    const id = await userId('two-projects@example.org');
    const delta = await findUserByEmail(t.deps.db, 'two-projects@example.org');
    assert.ok(delta);
    const deltaProject = await t.request('GET', '/api/v1/projects/delta');
    assert.equal(deltaProject.statusCode, 200);
    assert.equal((await t.request('POST', '/api/v1/projects/delta/users', { body: { email: 'two-projects@example.org', password: 'whatever-123', role: 'member' } })).statusCode, 201);
    const session = await uiSession(t, 'two-projects@example.org', 'member-password');
    assert.equal((await session.get('/ui/p/alpha/cases')).statusCode, 200);

    const off = await t.request('PATCH', `/api/v1/projects/alpha/users/${id}`, { body: { active: false } });
    assert.equal(off.statusCode, 200, off.body);
    assert.equal(off.json().active, false);
    assert.equal(off.json().role, 'admin', 'the role is kept');
    assert.ok(off.json().deactivatedAt);

    assert.equal((await t.request('GET', '/api/v1/projects/alpha', { token: tok })).statusCode, 404, 'no access to alpha');
    assert.equal((await t.request('GET', '/api/v1/projects/alpha/cases', { token: tok })).statusCode, 404);
    assert.equal((await session.get('/ui/p/alpha/cases')).statusCode, 404, 'nor through the UI session');
    assert.equal((await t.request('GET', '/api/v1/projects/delta', { token: tok })).statusCode, 200, 'delta still works');
    assert.equal((await session.get('/ui/p/delta/cases')).statusCode, 200);
    assert.equal((await me(tok)).statusCode, 200, 'the token itself still works');
    const visible = (await t.request('GET', '/api/v1/projects', { token: tok })).json().items.map((p: Json) => p.name);
    assert.deepEqual(visible, ['delta']);
    const listed = (await t.request('GET', '/api/v1/projects/alpha/users')).json().items.find((i: Json) => i.id === id);
    assert.equal(listed.active, false);

    const readd = await t.request('POST', '/api/v1/projects/alpha/users', { body: { email: 'two-projects@example.org', password: 'whatever-123', role: 'member' } });
    assert.equal(readd.statusCode, 409);
    assert.match(readd.json().error.message, /reactivate them/);

    const on = await t.request('PATCH', `/api/v1/projects/alpha/users/${id}`, { body: { active: true } });
    assert.equal(on.json().active, true);
    assert.equal(on.json().role, 'admin');
    assert.equal((await t.request('PATCH', '/api/v1/projects/alpha', { token: tok, body: { helpText: 'back' } })).statusCode, 200, 'admin again');
  });

  test('server-wide deactivation: no sign-in, sessions and tokens refused at once; superusers only; not oneself', async () => {
    const tok = await t.createMember('alpha', 'member', 'leaver@example.org');
    const id = await userId('leaver@example.org');
    const session = await uiSession(t, 'leaver@example.org', 'member-password');
    assert.equal((await session.get('/ui/p/alpha/cases')).statusCode, 200);

    const adminTok = await t.createMember('alpha', 'admin', 'not-super@example.org');
    assert.equal((await t.request('PATCH', `/api/v1/users/${id}`, { token: adminTok, body: { active: false } })).statusCode, 403, 'a project admin is not a superuser');
    const root = await userId('root@example.org');
    const self = await t.request('PATCH', `/api/v1/users/${root}`, { body: { active: false } });
    assert.equal(self.statusCode, 409);
    assert.match(self.json().error.message, /your own account/);
    assert.equal((await t.request('PATCH', '/api/v1/users/00000000-0000-4000-8000-000000000000', { body: { active: false } })).statusCode, 404);

    const off = await t.request('PATCH', `/api/v1/users/${id}`, { body: { active: false } });
    assert.equal(off.statusCode, 200, off.body);
    assert.deepEqual({ email: off.json().email, active: off.json().active }, { email: 'leaver@example.org', active: false });
    const refused = await me(tok);
    assert.equal(refused.statusCode, 401);
    assert.match(refused.json().error.message, /deactivated/);
    const page = await session.get('/ui/p/alpha/cases');
    assert.equal(page.statusCode, 302, 'the session is gone');
    assert.match(String(page.headers.location), /^\/ui\/sign-in/);
    assert.equal((await signInResponse(t, 'leaver@example.org', 'member-password')).statusCode, 401, 'cannot sign in');
    assert.equal((await t.request('POST', '/api/v1/auth/tokens', { token: null, body: { email: 'leaver@example.org', password: 'member-password' } })).statusCode, 401);
    const listed = (await t.request('GET', '/api/v1/projects/alpha/users')).json().items.find((i: Json) => i.id === id);
    assert.equal(listed.accountActive, false);
    assert.equal(listed.active, true, 'the membership itself is untouched');

    const on = await t.request('PATCH', `/api/v1/users/${id}`, { body: { active: true } });
    assert.equal(on.json().active, true);
    assert.equal((await signInResponse(t, 'leaver@example.org', 'member-password')).statusCode, 302, 'can sign in again');
    assert.equal((await me(tok)).statusCode, 401, 'the old token stays revoked');
  });

  test('isolation: an admin of bravo cannot change alpha’s users, nor reach them through bravo', async () => {
    const bravoAdmin = await t.createMember('bravo', 'admin', 'bravo-boss@example.org');
    await t.createMember('alpha', 'admin', 'alpha-target@example.org');
    const id = await userId('alpha-target@example.org');
    const direct = await t.request('PATCH', `/api/v1/projects/alpha/users/${id}`, { token: bravoAdmin, body: { active: false } });
    assert.equal(direct.statusCode, 404, direct.body);
    const via = await t.request('PATCH', `/api/v1/projects/bravo/users/${id}`, { token: bravoAdmin, body: { active: false } });
    assert.equal(via.statusCode, 404, via.body);
    assert.match(via.json().error.message, /No such user in this project/);
    assert.equal((await t.request('GET', '/api/v1/projects/alpha/users', { token: bravoAdmin })).statusCode, 404);
    const target = (await t.request('GET', '/api/v1/projects/alpha/users')).json().items.find((i: Json) => i.id === id);
    assert.deepEqual({ role: target.role, active: target.active }, { role: 'admin', active: true });
    // Through the UI as well.
    await t.createMember('bravo', 'admin', 'bravo-ui@example.org');
    const s = await uiSession(t, 'bravo-ui@example.org', 'member-password');
    assert.equal((await s.post(`/ui/p/alpha/users/${id}/deactivate`, {})).statusCode, 404);
    assert.equal((await s.post(`/ui/p/bravo/users/${id}/deactivate`, {})).statusCode, 404);
    assert.equal((await s.get('/ui/p/alpha/users')).statusCode, 404);
  });
});

describe('web users page and API tokens page (forms)', () => {
  test('a member sees the list but no forms; an admin adds a user with a one-time password shown once', async () => {
    await t.createProject('echo', { timeZone: 'Africa/Nairobi' });
    await t.createMember('echo', 'admin', 'echo-admin@example.org');
    await t.createMember('echo', 'member', 'echo-member@example.org');
    const member = await uiSession(t, 'echo-member@example.org', 'member-password');
    const seen = await member.get('/ui/p/echo/users');
    assert.equal(seen.statusCode, 200);
    assert.match(seen.body, /echo-admin@example\.org/);
    assert.doesNotMatch(seen.body, /Add a user|Change role|Deactivate/);
    assert.match(seen.body, /Only a project admin can add users/);
    assert.equal((await member.post('/ui/p/echo/users', { email: 'x@example.org', role: 'member' })).statusCode, 403);

    const admin = await uiSession(t, 'echo-admin@example.org', 'member-password');
    const bad = await admin.post('/ui/p/echo/users', { email: 'not-an-email', role: 'member', password: 'short' });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /Email: This is not an email address/);
    assert.match(bad.body, /Password: At least 8 characters/);
    assert.match(bad.body, /value="not-an-email"/, 'what was typed is kept');

    const added = await admin.post('/ui/p/echo/users', { email: 'new-person@example.org', role: 'member', password: '' });
    assert.equal(added.statusCode, 200, added.body.slice(0, 300));
    const m = /id="new-password" type="text" readonly value="([^"]+)"/.exec(added.body);
    assert.ok(m?.[1], 'the one-time password is on the page');
    const password = m[1];
    assert.match(added.body, /data-copy="new-password"/);
    assert.ok(!String(added.headers.location ?? '').includes(password));
    assert.ok(!(await admin.get('/ui/p/echo/users')).body.includes(password), 'shown once only');
    assert.equal((await signInResponse(t, 'new-person@example.org', password)).statusCode, 302, 'the person signs in with it');

    const dup = await admin.post('/ui/p/echo/users', { email: 'new-person@example.org', role: 'member', password: '' });
    assert.equal(dup.statusCode, 409);
    assert.match(dup.body, /Email: new-person@example\.org is already a member/);
  });

  test('an admin changes a role, deactivates and reactivates through the forms; refusals show the reason and its code', async () => {
    const admin = await uiSession(t, 'echo-admin@example.org', 'member-password');
    const id = await userId('echo-member@example.org');
    const role = await admin.post(`/ui/p/echo/users/${id}/role`, { role: 'admin' });
    assert.equal(role.statusCode, 302);
    assert.equal(role.headers.location, '/ui/p/echo/users?notice=role');
    const listed = (await t.request('GET', '/api/v1/projects/echo/users')).json().items.find((i: Json) => i.id === id);
    assert.equal(listed.role, 'admin');

    const off = await admin.post(`/ui/p/echo/users/${id}/deactivate`, {});
    assert.equal(off.headers.location, '/ui/p/echo/users?notice=deactivated');
    const page = await admin.get('/ui/p/echo/users?notice=deactivated');
    assert.match(page.body, /User deactivated/);
    assert.match(page.body, /Deactivated<\/span>/);
    assert.match(page.body, /data-confirm="Deactivate /, 'deactivation asks first');
    assert.match(page.body, new RegExp(`action="/ui/p/echo/users/${id}/reactivate"`));
    assert.equal((await admin.post(`/ui/p/echo/users/${id}/reactivate`, {})).headers.location, '/ui/p/echo/users?notice=reactivated');

    const self = await userId('echo-admin@example.org');
    await admin.post(`/ui/p/echo/users/${id}/role`, { role: 'member' });
    const refused = await admin.post(`/ui/p/echo/users/${self}/deactivate`, {});
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, /You cannot deactivate yourself/);
    assert.match(refused.body, /<code class="code">CONFLICT<\/code>/);
    const notSuper = await admin.post(`/ui/users/${id}/account`, { active: 'false', project: 'echo' });
    assert.equal(notSuper.statusCode, 403, 'only a superuser deactivates an account');
    assert.doesNotMatch((await admin.get('/ui/p/echo/users')).body, /Deactivate account/, 'nor is it offered to an admin');

    // A superuser does, from the same page.
    const root = await uiSession(t);
    const page2 = await root.get('/ui/p/echo/users');
    assert.match(page2.body, new RegExp(`action="/ui/users/${id}/account" data-confirm="Deactivate the account of echo-member@example.org`));
    const acc = await root.post(`/ui/users/${id}/account`, { active: 'false', project: 'echo' });
    assert.equal(acc.headers.location, '/ui/p/echo/users?notice=account-off');
    assert.match((await root.get('/ui/p/echo/users')).body, /Account deactivated<\/span>/);
    assert.equal((await signInResponse(t, 'echo-member@example.org', 'member-password')).statusCode, 401);
    assert.equal((await root.post(`/ui/users/${id}/account`, { active: 'true', project: 'echo' })).headers.location, '/ui/p/echo/users?notice=account-on');
    const selfAcc = await root.post(`/ui/users/${await userId('root@example.org')}/account`, { active: 'false', project: 'echo' });
    assert.equal(selfAcc.statusCode, 409);
    assert.match(selfAcc.body, /your own account/);
  });

  test('tokens page: create with a name and expiry, shown once, works, listed, revoked → refused', async () => {
    // Added through the API with a password (no token yet, unlike createMember's users).
    const added = await t.request('POST', '/api/v1/projects/echo/users', { body: { email: 'scripter@example.org', password: 'scripter-password', role: 'member' } });
    assert.equal(added.statusCode, 201, added.body);
    const s = await uiSession(t, 'scripter@example.org', 'scripter-password');
    const empty = await s.get('/ui/tokens');
    assert.equal(empty.statusCode, 200);
    assert.match(empty.body, /You have no API tokens — create one below/);
    const bad = await s.post('/ui/tokens', { name: '  ', expires: '12' });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /Name: Give the token a name/);
    assert.match(bad.body, /Expires: Choose when the token expires/);

    const created = await s.post('/ui/tokens', { name: 'report script', expires: '30' });
    assert.equal(created.statusCode, 201);
    const m = /id="new-token" type="text" readonly value="(rc_[^"]+)"/.exec(created.body);
    assert.ok(m?.[1]);
    const token = m[1];
    assert.match(created.body, /data-copy="new-token"/);
    assert.equal((await me(token)).statusCode, 200);
    const list = await s.get('/ui/tokens');
    assert.ok(!list.body.includes(token), 'never shown again');
    assert.match(list.body, /report script/);
    const item = (await tokens(token)).find((i) => i.name === 'report script') as Json;
    assert.ok(Math.abs(Date.parse(item.expiresAt) - Date.now() - 30 * DAY) < 60_000);
    assert.match(list.body, new RegExp(`action="/ui/tokens/${item.id}/revoke" data-confirm=`));

    // Someone else's session cannot revoke it.
    const other = await uiSession(t);
    assert.equal((await other.post(`/ui/tokens/${item.id}/revoke`, {})).statusCode, 404);
    assert.equal((await me(token)).statusCode, 200);

    const revoked = await s.post(`/ui/tokens/${item.id}/revoke`, {});
    assert.equal(revoked.statusCode, 302);
    assert.equal(revoked.headers.location, '/ui/tokens?notice=revoked');
    assert.equal((await me(token)).statusCode, 401);
    assert.match((await s.get('/ui/tokens?notice=revoked')).body, /Token revoked/);
    assert.equal((await t.app.inject({ method: 'GET', url: '/ui/tokens' })).statusCode, 302, 'signed out: to the sign-in page');
  });
});
