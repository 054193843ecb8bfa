/**
 * API.md, sections Conventions, Projects and users, Mobile workers and Phone numbers, as written.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

describe('conventions', () => {
  test('healthz, tokens, errors', async () => {
    const health = await t.request('GET', '/healthz', { token: null });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    const tok = await t.request('POST', '/api/v1/auth/tokens', { token: null, body: { email: 'root@example.org', password: 'root-password' } });
    assert.equal(tok.statusCode, 201);
    assert.match(tok.json().token, /^rc_/);
    const bad = await t.request('POST', '/api/v1/auth/tokens', { token: null, body: { email: 'root@example.org', password: 'nope-nope' } });
    assert.equal(bad.statusCode, 401);
    assert.equal(bad.json().error.code, 'UNAUTHORIZED');
    const unknown = await t.request('GET', '/api/v1/nothing-here');
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'NOT_FOUND');
    const stored = await t.deps.db.selectFrom('auth_tokens').select('token_hash').execute();
    assert.ok(stored.every((r) => !r.token_hash.startsWith('rc_')), 'tokens are stored hashed');
    const users = await t.deps.db.selectFrom('users').select('password_hash').execute();
    assert.ok(users.every((u) => u.password_hash.startsWith('scrypt$')));
  });
});

describe('projects and users', () => {
  test('create with defaults; name rules; duplicates; invalid time zone', async () => {
    const res = await t.request('POST', '/api/v1/projects', { body: { name: 'demo' } });
    assert.equal(res.statusCode, 201);
    const p = res.json();
    assert.deepEqual([p.timeZone, p.languages, p.defaultLanguage, p.phoneValidation], ['UTC', ['en'], 'en', 'strict']);
    for (const name of ['a', 'Demo', '1demo', 'de mo', 'x'.repeat(64), 'demo_1']) {
      const r = await t.request('POST', '/api/v1/projects', { body: { name } });
      assert.equal(r.statusCode, 400, name);
      assert.equal(r.json().error.code, 'VALIDATION_ERROR');
    }
    const dup = await t.request('POST', '/api/v1/projects', { body: { name: 'demo' } });
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().error.code, 'CONFLICT');
    const tz = await t.request('POST', '/api/v1/projects', { body: { name: 'tz', timeZone: 'Mars/Base' } });
    assert.equal(tz.json().error.code, 'INVALID_TIME_ZONE');
    const country = await t.request('POST', '/api/v1/projects', { body: { name: 'cc', defaultCountry: 'XX' } });
    assert.equal(country.statusCode, 400);
    const lang = await t.request('POST', '/api/v1/projects', { body: { name: 'lang', languages: ['en', 'fr'], defaultLanguage: 'sw' } });
    assert.equal(lang.statusCode, 400);
  });

  test('GET and PATCH settings, including self-registration', async () => {
    await t.createProject('settings');
    const res = await t.request('PATCH', '/api/v1/projects/settings', {
      body: { timeZone: 'Africa/Nairobi', defaultCountry: 'ke', languages: ['en', 'sw'], defaultLanguage: 'sw', phoneValidation: 'possible', helpText: 'Help!', defaultSmsResponse: 'Thanks', selfRegistration: { caseEnabled: true, caseType: 'patient', welcomeMessageTo: 'cases' } },
    });
    assert.equal(res.statusCode, 200, res.body);
    const p = (await t.request('GET', '/api/v1/projects/settings')).json();
    assert.deepEqual([p.timeZone, p.defaultCountry, p.languages, p.defaultLanguage, p.phoneValidation, p.helpText, p.defaultSmsResponse], ['Africa/Nairobi', 'KE', ['en', 'sw'], 'sw', 'possible', 'Help!', 'Thanks']);
    assert.equal(p.selfRegistration.caseEnabled, true);
    assert.equal(p.selfRegistration.caseType, 'patient');
    assert.equal(p.selfRegistration.welcomeMessageTo, 'cases');
    const noType = await t.request('PATCH', '/api/v1/projects/settings', { body: { selfRegistration: { caseType: null } } });
    assert.equal(noType.statusCode, 400);
  });

  test('POST users: the new user signs in and sees the project with its role', async () => {
    await t.createProject('team');
    const res = await t.request('POST', '/api/v1/projects/team/users', { body: { email: 'nurse@example.org', password: 'nurse-password', role: 'member' } });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().role, 'member');
    const token = (await t.request('POST', '/api/v1/auth/tokens', { token: null, body: { email: 'nurse@example.org', password: 'nurse-password' } })).json().token;
    const list = (await t.request('GET', '/api/v1/projects', { token })).json();
    assert.deepEqual(list.items.map((x: Json) => [x.name, x.role]), [['team', 'member']]);
    const again = await t.request('POST', '/api/v1/projects/team/users', { body: { email: 'NURSE@example.org', password: 'nurse-password', role: 'admin' } });
    assert.equal(again.statusCode, 409);
    const short = await t.request('POST', '/api/v1/projects/team/users', { body: { email: 'x@example.org', password: 'short', role: 'member' } });
    assert.equal(short.statusCode, 400);
  });
});

describe('mobile workers and phone numbers', () => {
  before(async () => {
    await t.createProject('field', { defaultCountry: 'KE' });
  });

  test('create, duplicates (any case), read, list with cursors', async () => {
    const res = await t.request('POST', '/api/v1/projects/field/mobile-workers', { body: { username: 'Wanjiru', language: 'en', timeZone: 'Africa/Nairobi', email: 'w@example.org' } });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json().phoneNumbers, []);
    const dup = await t.request('POST', '/api/v1/projects/field/mobile-workers', { body: { username: 'wanjiru' } });
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().error.code, 'CONFLICT');
    for (let i = 0; i < 4; i++) {
      await t.request('POST', '/api/v1/projects/field/mobile-workers', { body: { username: `w${i}` } });
    }
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = (await t.request('GET', `/api/v1/projects/field/mobile-workers?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      names.push(...page.items.map((w: Json) => w.username));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(names, ['Wanjiru', 'w0', 'w1', 'w2', 'w3']);
    const got = (await t.request('GET', `/api/v1/projects/field/mobile-workers/${res.json().id}`)).json();
    assert.equal(got.username, 'Wanjiru');
  });

  test('numbers: add (201 unverified), invalid (422), remove by %2B or digits (204), lookup', async () => {
    const w = (await t.request('POST', '/api/v1/projects/field/mobile-workers', { body: { username: 'otieno' } })).json();
    const add = await t.request('POST', `/api/v1/projects/field/mobile-workers/${w.id}/phone-numbers`, { body: { number: '0712 555 001' } });
    assert.equal(add.statusCode, 201);
    assert.deepEqual([add.json().number, add.json().status], ['+254712555001', 'unverified']);
    const bad = await t.request('POST', `/api/v1/projects/field/mobile-workers/${w.id}/phone-numbers`, { body: { number: '1-800-FLOWERS' } });
    assert.equal(bad.statusCode, 422);
    assert.equal(bad.json().error.code, 'INVALID_PHONE_NUMBER');
    await t.request('POST', `/api/v1/projects/field/mobile-workers/${w.id}/phone-numbers`, { body: { number: '254712555002' } });
    const lookupPlus = (await t.request('GET', '/api/v1/projects/field/phone-numbers/%2B254712555001')).json();
    const lookupDigits = (await t.request('GET', '/api/v1/projects/field/phone-numbers/254712555001')).json();
    assert.deepEqual(lookupPlus, lookupDigits);
    assert.deepEqual(lookupPlus, { number: '+254712555001', optedOut: false, entries: [{ ownerType: 'mobile-worker', ownerId: w.id, state: 'one-way' }], twoWayElsewhere: false });
    assert.equal((await t.request('DELETE', `/api/v1/projects/field/mobile-workers/${w.id}/phone-numbers/%2B254712555001`)).statusCode, 204);
    assert.equal((await t.request('DELETE', `/api/v1/projects/field/mobile-workers/${w.id}/phone-numbers/254712555002`)).statusCode, 204);
    assert.equal((await t.request('DELETE', `/api/v1/projects/field/mobile-workers/${w.id}/phone-numbers/254712555002`)).statusCode, 404);
    assert.deepEqual((await t.request('GET', `/api/v1/projects/field/mobile-workers/${w.id}`)).json().phoneNumbers, []);
    const invalidLookup = await t.request('GET', '/api/v1/projects/field/phone-numbers/abc');
    assert.equal(invalidLookup.statusCode, 422);
  });
});
