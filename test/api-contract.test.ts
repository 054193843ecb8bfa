/**
 * API.md as written, section by section: Conventions; Projects and users; Mobile workers (without
 * verification); Phone numbers (the lookup). Paths, field names, status codes and error codes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
type Res = { statusCode: number; body: string; json(): any };
let t: TestApp;

before(async () => {
  t = await createTestApp();
});
after(() => t.close());

function expectError(res: Res, status: number, code: string, what = ''): void {
  assert.equal(res.statusCode, status, `${what} ${res.body.slice(0, 300)}`);
  const body = res.json();
  assert.equal(body.error?.code, code, `${what} ${res.body.slice(0, 300)}`);
  assert.equal(typeof body.error.message, 'string');
}

async function created(res: Promise<Res>): Promise<Json> {
  const r = await res;
  assert.equal(r.statusCode, 201, r.body);
  return r.json();
}

/** Walks a list with `limit` and `cursor`, checking each page is {items, nextCursor}. */
async function walk(url: string, limit: number, token?: string): Promise<Json[]> {
  const out: Json[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const res = await t.request('GET', `${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token === undefined ? {} : { token });
    assert.equal(res.statusCode, 200, res.body);
    const page = res.json();
    assert.deepEqual(Object.keys(page).sort(), ['items', 'nextCursor']);
    assert.ok(page.items.length <= limit);
    assert.ok(page.nextCursor === null || typeof page.nextCursor === 'string');
    out.push(...page.items);
    cursor = page.nextCursor;
    assert.ok(++pages < 100);
  } while (cursor);
  return out;
}

describe('Conventions', () => {
  test('GET /healthz → 200 {"status":"ok"}, without a token', async () => {
    const res = await t.request('GET', '/healthz', { token: null });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^application\/json/);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  test('POST /api/v1/auth/tokens {"email","password"} → 201 {"token"}; the token is a Bearer token', async () => {
    const res = await t.request('POST', '/api/v1/auth/tokens', { token: null, body: { email: 'root@example.org', password: 'root-password' } });
    assert.equal(res.statusCode, 201);
    assert.ok(Object.keys(res.json()).includes('token'), 'the token, plus its id, name and expiry (issue 24)');
    const token = res.json().token as string;
    assert.ok(token.length >= 20);
    const me = await t.request('GET', '/api/v1/projects', { token: null, headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.statusCode, 200);
    // Tokens are stored hashed, passwords as scrypt hashes.
    const stored = await t.deps.db.selectFrom('auth_tokens').select('token_hash').execute();
    assert.ok(stored.every((r) => r.token_hash !== token && !r.token_hash.includes(token)));
    const users = await t.deps.db.selectFrom('users').select('password_hash').execute();
    assert.ok(users.every((u) => u.password_hash.startsWith('scrypt$')));
  });

  test('a wrong password or an unknown email → 401 UNAUTHORIZED with the same message; no token → 401', async () => {
    const wrong = await t.request('POST', '/api/v1/auth/tokens', { token: null, body: { email: 'root@example.org', password: 'nope-nope' } });
    const unknown = await t.request('POST', '/api/v1/auth/tokens', { token: null, body: { email: 'nobody@example.org', password: 'nope-nope' } });
    expectError(wrong, 401, 'UNAUTHORIZED');
    expectError(unknown, 401, 'UNAUTHORIZED');
    assert.equal(wrong.json().error.message, unknown.json().error.message);
    expectError(await t.request('POST', '/api/v1/auth/tokens', { token: null, body: { email: 'root@example.org' } }), 400, 'VALIDATION_ERROR');
    expectError(await t.request('GET', '/api/v1/projects', { token: null }), 401, 'UNAUTHORIZED');
  });

  test('errors are {"error":{"code","message"}}: bad JSON → 400 VALIDATION_ERROR, unknown resource → 404 NOT_FOUND', async () => {
    const bad = await t.request('POST', '/api/v1/projects', { body: '{"name":' });
    expectError(bad, 400, 'VALIDATION_ERROR');
    assert.deepEqual(Object.keys(bad.json()), ['error']);
    const invalid = await t.request('POST', '/api/v1/projects', { body: { name: 42 } });
    expectError(invalid, 400, 'VALIDATION_ERROR');
    expectError(await t.request('GET', '/api/v1/nothing-here'), 404, 'NOT_FOUND');
    expectError(await t.request('GET', '/api/v1/projects/no-such-project'), 404, 'NOT_FOUND');
  });

  test('GET /api/v1/errors → [{"code","description"}], the whole catalogue', async () => {
    const res = await t.request('GET', '/api/v1/errors', { token: null });
    assert.equal(res.statusCode, 200);
    const list = res.json() as Json[];
    assert.ok(list.length >= 20);
    for (const e of list) {
      assert.deepEqual(Object.keys(e).sort(), ['code', 'description']);
    }
    for (const code of ['VALIDATION_ERROR', 'NOT_FOUND', 'FORBIDDEN', 'UNAUTHORIZED', 'CONFLICT', 'INVALID_PHONE_NUMBER', 'INVALID_TIME_ZONE']) {
      assert.ok(list.some((e) => e.code === code), code);
    }
  });

  test('lists return {"items", "nextCursor"}; limit defaults to 50, at most 500', async () => {
    await t.createProject('lists', { defaultCountry: 'KE' });
    for (let i = 0; i < 51; i++) {
      await created(t.request('POST', '/api/v1/projects/lists/cases', { body: { caseType: 'row', name: `R${String(i).padStart(2, '0')}` } }));
    }
    const first = (await t.request('GET', '/api/v1/projects/lists/cases')).json();
    assert.equal(first.items.length, 50);
    assert.equal(typeof first.nextCursor, 'string');
    const second = (await t.request('GET', `/api/v1/projects/lists/cases?cursor=${encodeURIComponent(first.nextCursor)}`)).json();
    assert.deepEqual(second.items.map((c: Json) => c.name), ['R50']);
    assert.equal(second.nextCursor, null);
    assert.equal((await t.request('GET', '/api/v1/projects/lists/cases?limit=500')).json().items.length, 51);
    expectError(await t.request('GET', '/api/v1/projects/lists/cases?limit=501'), 400, 'VALIDATION_ERROR');
    for (const url of ['/api/v1/projects', '/api/v1/projects/lists/users', '/api/v1/projects/lists/cases', '/api/v1/projects/lists/mobile-workers', '/api/v1/projects/lists/messages', '/api/v1/projects/lists/gateways', '/api/v1/projects/lists/opt-outs']) {
      const res = await t.request('GET', url);
      assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 200)}`);
      assert.deepEqual(Object.keys(res.json()).sort(), ['items', 'nextCursor'], url);
      assert.ok(Array.isArray(res.json().items), url);
    }
  });
});

describe('Projects and users', () => {
  test('POST /api/v1/projects → 201 with the defaults: timeZone UTC, languages ["en"], defaultLanguage en', async () => {
    const p = await created(t.request('POST', '/api/v1/projects', { body: { name: 'demo' } }));
    assert.equal(p.name, 'demo');
    assert.equal(typeof p.id, 'string');
    assert.equal(p.timeZone, 'UTC');
    assert.deepEqual(p.languages, ['en']);
    assert.equal(p.defaultLanguage, 'en');
    assert.equal(p.phoneValidation, 'strict');
    assert.deepEqual((await t.request('GET', '/api/v1/projects/demo')).json(), p);
  });

  test('POST /api/v1/projects with every field', async () => {
    const p = await created(t.request('POST', '/api/v1/projects', { body: { name: 'nairobi', timeZone: 'Africa/Nairobi', defaultCountry: 'KE', languages: ['en', 'sw'], defaultLanguage: 'sw' } }));
    assert.deepEqual([p.timeZone, p.defaultCountry, p.languages, p.defaultLanguage], ['Africa/Nairobi', 'KE', ['en', 'sw'], 'sw']);
  });

  test('names are 2–63 of a-z 0-9 -, starting with a letter (else 400); unique (409 CONFLICT)', async () => {
    for (const name of ['ab', 'a-1', 'x1-y2-z3', `a${'b'.repeat(62)}`, 'ab-']) {
      await created(t.request('POST', '/api/v1/projects', { body: { name } }));
    }
    for (const name of ['', 'a', '1ab', '-ab', 'Ab', 'aB', 'a_b', 'a b', 'a.b', 'ab/', 'äb', `a${'b'.repeat(63)}`]) {
      expectError(await t.request('POST', '/api/v1/projects', { body: { name } }), 400, 'VALIDATION_ERROR', JSON.stringify(name));
    }
    expectError(await t.request('POST', '/api/v1/projects', { body: { name: 'ab' } }), 409, 'CONFLICT');
    const names = await t.deps.db.selectFrom('projects').select('name').where('name', '=', 'ab').execute();
    assert.equal(names.length, 1);
  });

  test('an invalid timeZone → 4xx INVALID_TIME_ZONE, on create and on PATCH', async () => {
    for (const timeZone of ['Mars/Olympus', 'UTC+25', 'Nowhere']) {
      const res = await t.request('POST', '/api/v1/projects', { body: { name: 'tz', timeZone } });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, res.body);
      assert.equal(res.json().error.code, 'INVALID_TIME_ZONE', timeZone);
    }
    assert.equal((await t.request('GET', '/api/v1/projects/tz')).statusCode, 404);
    await t.createProject('tz');
    const patch = await t.request('PATCH', '/api/v1/projects/tz', { body: { timeZone: 'Mars/Olympus' } });
    assert.ok(patch.statusCode >= 400 && patch.statusCode < 500);
    assert.equal(patch.json().error.code, 'INVALID_TIME_ZONE');
    assert.equal((await t.request('GET', '/api/v1/projects/tz')).json().timeZone, 'UTC');
  });

  test('GET and PATCH /api/v1/projects/{project}: selfRegistration, helpText, defaultSmsResponse, phoneValidation', async () => {
    await t.createProject('settings', { defaultCountry: 'KE' });
    const owner = await created(t.request('POST', '/api/v1/projects/settings/mobile-workers', { body: { username: 'owner' } }));
    const res = await t.request('PATCH', '/api/v1/projects/settings', {
      body: {
        timeZone: 'Africa/Nairobi',
        languages: ['en', 'sw'],
        defaultLanguage: 'sw',
        phoneValidation: 'possible',
        helpText: 'Reply with your name to register.',
        defaultSmsResponse: 'Thanks, we got your message.',
        selfRegistration: {
          caseEnabled: true,
          caseType: 'patient',
          caseOwnerId: owner.id,
          submitterId: owner.id,
          workerEnabled: true,
          welcomeMessageTo: 'all',
          welcomeMessage: 'Welcome!',
          welcomeSurveyId: null,
        },
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    const p = (await t.request('GET', '/api/v1/projects/settings')).json();
    assert.deepEqual(res.json(), p);
    assert.deepEqual([p.timeZone, p.languages, p.defaultLanguage, p.phoneValidation], ['Africa/Nairobi', ['en', 'sw'], 'sw', 'possible']);
    assert.equal(p.helpText, 'Reply with your name to register.');
    assert.equal(p.defaultSmsResponse, 'Thanks, we got your message.');
    assert.deepEqual(
      { caseEnabled: p.selfRegistration.caseEnabled, caseType: p.selfRegistration.caseType, caseOwnerId: p.selfRegistration.caseOwnerId, submitterId: p.selfRegistration.submitterId, workerEnabled: p.selfRegistration.workerEnabled, welcomeMessageTo: p.selfRegistration.welcomeMessageTo, welcomeMessage: p.selfRegistration.welcomeMessage },
      { caseEnabled: true, caseType: 'patient', caseOwnerId: owner.id, submitterId: owner.id, workerEnabled: true, welcomeMessageTo: 'all', welcomeMessage: 'Welcome!' },
    );
    // Each welcomeMessageTo value; a partial selfRegistration keeps the other settings.
    for (const to of ['none', 'cases', 'workers', 'all']) {
      const r = await t.request('PATCH', '/api/v1/projects/settings', { body: { selfRegistration: { welcomeMessageTo: to } } });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().selfRegistration.welcomeMessageTo, to);
      assert.equal(r.json().selfRegistration.caseType, 'patient');
      assert.equal(r.json().helpText, 'Reply with your name to register.');
    }
    expectError(await t.request('PATCH', '/api/v1/projects/settings', { body: { selfRegistration: { welcomeMessageTo: 'some' } } }), 400, 'VALIDATION_ERROR');
    expectError(await t.request('PATCH', '/api/v1/projects/settings', { body: { phoneValidation: 'lenient' } }), 400, 'VALIDATION_ERROR');
    const back = await t.request('PATCH', '/api/v1/projects/settings', { body: { phoneValidation: 'strict', helpText: null, defaultSmsResponse: null } });
    assert.equal(back.statusCode, 200);
    assert.deepEqual([back.json().phoneValidation, back.json().helpText, back.json().defaultSmsResponse], ['strict', null, null]);
    // PATCH is for project admins.
    const member = await t.createMember('settings', 'member');
    expectError(await t.request('PATCH', '/api/v1/projects/settings', { token: member, body: { helpText: 'x' } }), 403, 'FORBIDDEN');
    assert.equal((await t.request('GET', '/api/v1/projects/settings', { token: member })).statusCode, 200);
  });

  test('POST /api/v1/projects/{project}/users → 201; the user signs in and sees the project with its role', async () => {
    await t.createProject('team');
    for (const [email, role] of [['nurse@example.org', 'member'], ['lead@example.org', 'admin']] as const) {
      const user = await created(t.request('POST', '/api/v1/projects/team/users', { body: { email, password: `${role}-password`, role } }));
      assert.deepEqual([user.email, user.role], [email, role]);
      assert.equal(user.password, undefined);
      const tok = await t.request('POST', '/api/v1/auth/tokens', { token: null, body: { email, password: `${role}-password` } });
      assert.equal(tok.statusCode, 201);
      const token = tok.json().token as string;
      const list = (await t.request('GET', '/api/v1/projects', { token })).json();
      assert.deepEqual(list.items.map((x: Json) => [x.name, x.role]), [['team', role]]);
      assert.equal((await t.request('GET', '/api/v1/projects/team', { token })).statusCode, 200);
      const patch = await t.request('PATCH', '/api/v1/projects/team', { token, body: { helpText: `set by ${role}` } });
      assert.equal(patch.statusCode, role === 'admin' ? 200 : 403, patch.body);
      const add = await t.request('POST', '/api/v1/projects/team/users', { token, body: { email: `by-${role}@example.org`, password: 'another-password', role: 'member' } });
      assert.equal(add.statusCode, role === 'admin' ? 201 : 403, add.body);
    }
    const users = (await t.request('GET', '/api/v1/projects/team/users')).json();
    assert.deepEqual(users.items.map((u: Json) => [u.email, u.role]).sort(), [['by-admin@example.org', 'member'], ['lead@example.org', 'admin'], ['nurse@example.org', 'member']]);
    expectError(await t.request('POST', '/api/v1/projects/team/users', { body: { email: 'NURSE@example.org', password: 'nurse-password', role: 'admin' } }), 409, 'CONFLICT');
    expectError(await t.request('POST', '/api/v1/projects/team/users', { body: { email: 'x@example.org', password: 'short', role: 'member' } }), 400, 'VALIDATION_ERROR');
    expectError(await t.request('POST', '/api/v1/projects/team/users', { body: { email: 'x@example.org', password: 'long-enough', role: 'owner' } }), 400, 'VALIDATION_ERROR');
  });
});

describe('Mobile workers', () => {
  before(async () => {
    await t.createProject('field', { defaultCountry: 'KE' });
    await t.createProject('other', { defaultCountry: 'KE' });
  });

  test('POST → 201 {"id","username",…,"phoneNumbers":[]}; GET returns it', async () => {
    const w = await created(t.request('POST', '/api/v1/projects/field/mobile-workers', { body: { username: 'Wanjiru', password: 'secret-pw', language: 'en', timeZone: 'Africa/Nairobi', email: 'w@example.org' } }));
    assert.equal(typeof w.id, 'string');
    assert.equal(w.username, 'Wanjiru');
    assert.deepEqual(w.phoneNumbers, []);
    assert.deepEqual([w.language, w.timeZone, w.email], ['en', 'Africa/Nairobi', 'w@example.org']);
    assert.ok(!JSON.stringify(w).includes('secret-pw') && w.password === undefined && w.passwordHash === undefined);
    const got = await t.request('GET', `/api/v1/projects/field/mobile-workers/${w.id}`);
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json(), w);
    expectError(await t.request('GET', '/api/v1/projects/field/mobile-workers/00000000-0000-0000-0000-000000000000'), 404, 'NOT_FOUND');
  });

  test('usernames are unique in a project, in any letter case (409 CONFLICT); another project may reuse one', async () => {
    await created(t.request('POST', '/api/v1/projects/field/mobile-workers', { body: { username: 'Otieno' } }));
    for (const username of ['Otieno', 'otieno', 'OTIENO']) {
      expectError(await t.request('POST', '/api/v1/projects/field/mobile-workers', { body: { username } }), 409, 'CONFLICT', username);
    }
    await created(t.request('POST', '/api/v1/projects/other/mobile-workers', { body: { username: 'otieno' } }));
  });

  test('GET …/mobile-workers with limit and cursor walks every worker once', async () => {
    await t.createProject('crew');
    const names = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'];
    for (const username of names) {
      await created(t.request('POST', '/api/v1/projects/crew/mobile-workers', { body: { username } }));
    }
    for (const limit of [1, 2, 3, 7, 50]) {
      const all = await walk('/api/v1/projects/crew/mobile-workers', limit);
      assert.deepEqual(all.map((w) => w.username), names, `limit ${limit}`);
      assert.ok(all.every((w) => Array.isArray(w.phoneNumbers)));
    }
  });

  test('POST …/phone-numbers → 201 {"number","status":"unverified"} in E.164; invalid → 422 INVALID_PHONE_NUMBER', async () => {
    const w = await created(t.request('POST', '/api/v1/projects/field/mobile-workers', { body: { username: 'kamau' } }));
    const url = `/api/v1/projects/field/mobile-workers/${w.id}/phone-numbers`;
    for (const [input, e164] of [['0712 555 001', '+254712555001'], ['254712555002', '+254712555002'], ['+254712555003', '+254712555003']]) {
      const added = await created(t.request('POST', url, { body: { number: input } }));
      assert.equal(added.number, e164, input);
      assert.equal(added.status, 'unverified', input);
    }
    for (const number of ['1-800-FLOWERS', '12345', 'not a number']) {
      expectError(await t.request('POST', url, { body: { number } }), 422, 'INVALID_PHONE_NUMBER', number);
    }
    const got = (await t.request('GET', `/api/v1/projects/field/mobile-workers/${w.id}`)).json();
    assert.deepEqual(got.phoneNumbers.map((p: Json) => [p.number, p.status]).sort(), [['+254712555001', 'unverified'], ['+254712555002', 'unverified'], ['+254712555003', 'unverified']]);
    for (const p of got.phoneNumbers) {
      assert.ok(['unverified', 'pending', 'verified', 'already-in-use'].includes(p.status));
    }
  });

  test('DELETE …/phone-numbers/{number} → 204, with %2B or as digits; then 404', async () => {
    const w = await created(t.request('POST', '/api/v1/projects/field/mobile-workers', { body: { username: 'njeri' } }));
    const url = `/api/v1/projects/field/mobile-workers/${w.id}/phone-numbers`;
    await created(t.request('POST', url, { body: { number: '+254712555011' } }));
    await created(t.request('POST', url, { body: { number: '+254712555012' } }));
    const plus = await t.request('DELETE', `${url}/%2B254712555011`);
    assert.equal(plus.statusCode, 204);
    assert.equal(plus.body, '');
    assert.equal((await t.request('DELETE', `${url}/254712555012`)).statusCode, 204);
    expectError(await t.request('DELETE', `${url}/254712555012`), 404, 'NOT_FOUND');
    assert.deepEqual((await t.request('GET', `/api/v1/projects/field/mobile-workers/${w.id}`)).json().phoneNumbers, []);
    // Removed numbers are free again.
    assert.equal((await created(t.request('POST', url, { body: { number: '254712555011' } }))).status, 'unverified');
  });
});

describe('Phone numbers: GET /api/v1/projects/{project}/phone-numbers/{number}', () => {
  before(async () => {
    await t.createProject('look', { defaultCountry: 'KE' });
    await t.createProject('clinic', { defaultCountry: 'KE' });
  });

  test('a worker number, looked up with %2B and as digits', async () => {
    const w = await created(t.request('POST', '/api/v1/projects/look/mobile-workers', { body: { username: 'asha' } }));
    await created(t.request('POST', `/api/v1/projects/look/mobile-workers/${w.id}/phone-numbers`, { body: { number: '+254712555101' } }));
    const plus = await t.request('GET', '/api/v1/projects/look/phone-numbers/%2B254712555101');
    const digits = await t.request('GET', '/api/v1/projects/look/phone-numbers/254712555101');
    assert.equal(plus.statusCode, 200);
    assert.equal(digits.statusCode, 200);
    assert.deepEqual(plus.json(), digits.json());
    assert.deepEqual(plus.json(), { number: '+254712555101', optedOut: false, entries: [{ ownerType: 'mobile-worker', ownerId: w.id, state: 'one-way' }], twoWayElsewhere: false });
  });

  test('entries are this project\'s only; twoWayElsewhere is true when another project\'s case holds the number two-way', async () => {
    const number = '+254712555201';
    const w = await created(t.request('POST', '/api/v1/projects/look/mobile-workers', { body: { username: 'baraka' } }));
    await created(t.request('POST', `/api/v1/projects/look/mobile-workers/${w.id}/phone-numbers`, { body: { number } }));
    const before = (await t.request('GET', `/api/v1/projects/look/phone-numbers/${encodeURIComponent(number)}`)).json();
    assert.equal(before.twoWayElsewhere, false);

    const c = await created(t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType: 'patient', name: 'Zawadi', properties: { contact_phone_number: number, contact_phone_number_is_verified: 1 } } }));
    assert.equal(c.contact.phoneStatus, 'two-way', JSON.stringify(c.contact));

    const seenHere = (await t.request('GET', '/api/v1/projects/look/phone-numbers/%2B254712555201')).json();
    assert.deepEqual(seenHere, { number, optedOut: false, entries: [{ ownerType: 'mobile-worker', ownerId: w.id, state: 'one-way' }], twoWayElsewhere: true });
    const seenThere = (await t.request('GET', '/api/v1/projects/clinic/phone-numbers/254712555201')).json();
    assert.deepEqual(seenThere, { number, optedOut: false, entries: [{ ownerType: 'case', ownerId: c.id, state: 'two-way' }], twoWayElsewhere: false });
    // The worker's number is held two-way elsewhere, so it shows as already in use.
    const worker = (await t.request('GET', `/api/v1/projects/look/mobile-workers/${w.id}`)).json();
    assert.deepEqual(worker.phoneNumbers.map((p: Json) => [p.number, p.status]), [[number, 'already-in-use']]);
  });

  test('a one-way case number; a number nobody holds; an invalid number → 422 INVALID_PHONE_NUMBER', async () => {
    const c = await created(t.request('POST', '/api/v1/projects/look/cases', { body: { caseType: 'patient', name: 'Imani', properties: { contact_phone_number: '0712555301' } } }));
    assert.deepEqual((await t.request('GET', '/api/v1/projects/look/phone-numbers/254712555301')).json().entries, [{ ownerType: 'case', ownerId: c.id, state: 'one-way' }]);
    const nobody = await t.request('GET', '/api/v1/projects/look/phone-numbers/%2B254712555399');
    assert.equal(nobody.statusCode, 200);
    assert.deepEqual(nobody.json(), { number: '+254712555399', optedOut: false, entries: [], twoWayElsewhere: false });
    expectError(await t.request('GET', '/api/v1/projects/look/phone-numbers/abc'), 422, 'INVALID_PHONE_NUMBER');
  });
});
