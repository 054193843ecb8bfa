/**
 * The admin UI's routes without a browser: redirects when signed out, the session cookie, CSRF on
 * every POST (and the double-submit token of the sign-in form), sign-out revoking the session,
 * roles on the settings page, escaping, and forms that keep what was typed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createKenyaApp, type TestApp } from './support/test-app.ts';
import { cookieOf, csrfIn, encodeForm, type UiSession, uiSession } from './support/ui-session.ts';

let t: TestApp;
before(async () => {
  t = await createKenyaApp();
});
after(() => t.close());

type Session = Pick<UiSession, 'cookie' | 'csrf'>;

function get(s: Session | null, url: string) {
  return t.app.inject({ method: 'GET', url, headers: s ? { cookie: s.cookie } : {} });
}

function post(s: Session | null, url: string, fields: Record<string, string>) {
  return t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', ...(s ? { cookie: s.cookie } : {}) }, payload: encodeForm(fields) });
}

describe('admin UI routes', () => {
  test('/ goes to /ui; a signed-out visitor is sent to sign in with the page to come back to', async () => {
    const root = await get(null, '/');
    assert.equal(root.statusCode, 302);
    assert.equal(root.headers.location, '/ui');
    const cases = await get(null, '/ui/p/kenya/cases?search=amina');
    assert.equal(cases.statusCode, 302);
    assert.equal(cases.headers.location, `/ui/sign-in?next=${encodeURIComponent('/ui/p/kenya/cases?search=amina')}`);
    const posted = await post(null, '/ui/p/kenya/cases', { name: 'x', caseType: 'y' });
    assert.equal(posted.statusCode, 302);
    assert.match(String(posted.headers.location), /^\/ui\/sign-in/);
  });

  test('an API token is not a UI session', async () => {
    const res = await get({ cookie: `rollcall_session=${t.adminToken}`, csrf: '' }, '/ui/projects');
    assert.equal(res.statusCode, 302);
    assert.match(String(res.headers.location), /^\/ui\/sign-in/);
  });

  test('a UI session token is not an API bearer: 401 UNAUTHORIZED on the API, the session itself still works', async () => {
    const s = await uiSession(t);
    const sessionToken = s.cookie.slice('rollcall_session='.length);
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/projects', headers: { authorization: `Bearer ${sessionToken}` } });
    assert.equal(res.statusCode, 401, res.body);
    assert.equal(res.json().error.code, 'UNAUTHORIZED');
    assert.match(res.json().error.message, /admin UI session/);
    assert.equal((await get(s, '/ui/projects')).statusCode, 200);
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/projects', headers: { authorization: `Bearer ${t.adminToken}` } });
    assert.equal(api.statusCode, 200);
  });

  test('the opt-outs page exports the consent ledger through the UI session, for project admins only', async () => {
    const admin = await uiSession(t);
    const page = await get(admin, '/ui/p/kenya/opt-outs');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /href="\/ui\/p\/kenya\/consent-events\.csv"/);
    const csv = await get(admin, '/ui/p/kenya/consent-events.csv');
    assert.equal(csv.statusCode, 200, csv.body);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.equal(csv.headers['content-disposition'], 'attachment; filename="kenya-consent.csv"');
    assert.ok(csv.body.startsWith('"at","number"'), csv.body.slice(0, 80));
    const member = await uiSession(t, 'member@example.org', 'member-password');
    const refused = await get(member, '/ui/p/kenya/consent-events.csv');
    assert.equal(refused.statusCode, 403);
    assert.doesNotMatch(refused.body, /"at","number"/);
  });

  test('sign-in: the session cookie is HttpOnly, SameSite=Lax, Path=/; pages are text/html; charset=utf-8', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/ui/sign-in' });
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(page.body, /^<!doctype html>/);
    const pre = cookieOf(page, 'rollcall_signin');
    const res = await t.app.inject({
      method: 'POST',
      url: '/ui/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `rollcall_signin=${pre?.value}` },
      payload: encodeForm({ _csrf: csrfIn(page.body), email: 'root@example.org', password: 'root-password', next: '/ui/p/kenya/cases' }),
    });
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers.location, '/ui/p/kenya/cases');
    const session = cookieOf(res, 'rollcall_session');
    assert.equal(session?.httpOnly, true);
    assert.equal(session?.sameSite, 'Lax');
    assert.equal(session?.path, '/');
    assert.equal(session?.maxAge, t.config.sessionHours * 3600);
  });

  test('sign-in: a wrong password is refused in words; a missing or wrong form token is refused; next cannot leave the UI', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/ui/sign-in' });
    const pre = cookieOf(page, 'rollcall_signin');
    const csrf = csrfIn(page.body);
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/ui/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `rollcall_signin=${pre?.value}` },
      payload: encodeForm({ _csrf: csrf, email: 'root@example.org', password: 'not-the-password' }),
    });
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.body, /email or password is not right/);
    assert.match(wrong.body, /value="root@example.org"/, 'the email typed is kept');
    assert.equal(cookieOf(wrong, 'rollcall_session'), undefined);

    const noCookie = await post(null, '/ui/sign-in', { _csrf: csrf, email: 'root@example.org', password: 'root-password' });
    assert.equal(noCookie.statusCode, 403);
    assert.equal(cookieOf(noCookie, 'rollcall_session'), undefined);

    const offsite = await t.app.inject({
      method: 'POST',
      url: '/ui/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `rollcall_signin=${pre?.value}` },
      payload: encodeForm({ _csrf: csrf, email: 'root@example.org', password: 'root-password', next: '//evil.example/ui/' }),
    });
    assert.equal(offsite.statusCode, 302);
    assert.equal(offsite.headers.location, '/ui/projects');
  });

  test('every POST needs the session’s CSRF token: missing or wrong is a 403 page and changes nothing', async () => {
    const s = await uiSession(t);
    for (const token of [undefined, 'wrong-token', `${s.csrf}x`]) {
      const res = await post(s, '/ui/p/kenya/cases', { ...(token === undefined ? {} : { _csrf: token }), name: 'Sneaky', caseType: 'patient' });
      assert.equal(res.statusCode, 403);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(res.body, /did not come from this site/);
    }
    const rows = await t.deps.db.selectFrom('cases').select('id').where('name', '=', 'Sneaky').execute();
    assert.equal(rows.length, 0);
    // Another session's token does not work either.
    const other = await uiSession(t);
    const crossed = await post(s, '/ui/p/kenya/cases', { _csrf: other.csrf, name: 'Sneaky', caseType: 'patient' });
    assert.equal(crossed.statusCode, 403);
    const signOut = await post(s, '/ui/sign-out', {});
    assert.equal(signOut.statusCode, 403, 'sign-out needs the token too');
  });

  test('sign-out revokes the session', async () => {
    const s = await uiSession(t);
    const res = await post(s, '/ui/sign-out', { _csrf: s.csrf });
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers.location, '/ui/sign-in');
    const after = await get(s, '/ui/projects');
    assert.equal(after.statusCode, 302, 'the old cookie no longer works');
  });

  test('a new case with a bad number is created and its page says what is wrong and what to do', async () => {
    const s = await uiSession(t);
    const res = await post(s, '/ui/p/kenya/cases', { _csrf: s.csrf, name: 'Baraka', caseType: 'patient', contact_phone_number: '12345', commcare_email_address: 'not-an-email' });
    assert.equal(res.statusCode, 302);
    const page = await get(s, String(res.headers.location));
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /INVALID_PHONE_NUMBER/);
    assert.match(page.body, /country code first/);
    assert.match(page.body, /INVALID_EMAIL_ADDRESS/);
    assert.match(page.body, /name@example\.org/);
    assert.match(page.body, /class="badge bad">invalid</);
    const list = await get(s, '/ui/p/kenya/cases?search=Baraka');
    assert.match(list.body, /number not valid/);
  });

  test('the new-case form keeps what was typed when it is refused', async () => {
    const s = await uiSession(t);
    const res = await post(s, '/ui/p/kenya/cases', { _csrf: s.csrf, name: '', caseType: 'patient', contact_phone_number: '0712 000 999', contact_phone_number_is_verified: '1', extraName: 'village', extraValue: 'Kisumu' });
    assert.equal(res.statusCode, 422);
    assert.match(res.body, /role="alert"/);
    assert.match(res.body, /value="0712 000 999"/);
    assert.match(res.body, /value="Kisumu"/);
    assert.match(res.body, /name="contact_phone_number_is_verified" value="1" checked/);
    assert.match(res.body, /Give the case a name/);
    const badKey = await post(s, '/ui/p/kenya/cases', { _csrf: s.csrf, name: 'Zawadi', caseType: 'patient', extraName: '__proto__', extraValue: 'x' });
    assert.equal(badKey.statusCode, 422);
    assert.match(badKey.body, /cannot be a property name/);
    const noType = await post(s, '/ui/p/kenya/cases', { _csrf: s.csrf, name: 'Zawadi', caseType: '  ' });
    assert.equal(noType.statusCode, 422);
    assert.match(noType.body, /Give the case type/);
    const rows = await t.deps.db.selectFrom('cases').select('id').where('name', '=', 'Zawadi').execute();
    assert.equal(rows.length, 0);
  });

  test('cases list: filters live in the URL; an empty result says what to do', async () => {
    const s = await uiSession(t);
    const empty = await get(s, '/ui/p/kenya/cases?search=nobody-by-this-name');
    assert.equal(empty.statusCode, 200);
    assert.match(empty.body, /No case matches these filters/);
    assert.match(empty.body, /value="nobody-by-this-name"/);
  });

  test('user text is escaped in every page that shows it', async () => {
    const s = await uiSession(t);
    const evil = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">';
    const created = await t.request('POST', '/api/v1/projects/kenya/cases', { body: { caseType: evil, name: evil, properties: { note: evil, time_zone: evil, language_code: evil, commcare_email_address: evil } } });
    assert.equal(created.statusCode, 201, created.body);
    const worker = await t.request('POST', '/api/v1/projects/kenya/mobile-workers', { body: { username: 'ok-name' } });
    assert.equal(worker.statusCode, 201, worker.body);
    for (const url of [`/ui/p/kenya/cases/${created.json().id}`, '/ui/p/kenya/cases', `/ui/p/kenya/cases?search=${encodeURIComponent(evil)}`]) {
      const page = await get(s, url);
      assert.equal(page.statusCode, 200, url);
      // Inside a double-quoted attribute (a form field's value) `<` is inert; a `"` must be escaped.
      assert.ok(!/="[^"]*"window/.test(page.body), `${url} escapes quotes in attributes`);
      const outsideAttributes = page.body.replace(/="[^"]*"/g, '=""');
      assert.ok(!outsideAttributes.includes('<script>window'), `${url} escapes the script`);
      assert.ok(!outsideAttributes.includes('<img src=x'), `${url} escapes the img`);
      assert.ok(outsideAttributes.includes('&lt;script>window'), `${url} shows the name as text`);
    }
  });

  test('settings: a member sees them read-only and cannot save; an admin can', async () => {
    const member = await uiSession(t, 'member@example.org', 'member-password');
    const page = await get(member, '/ui/p/kenya/settings');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Only project admins can change these settings/);
    const refused = await post(member, '/ui/p/kenya/settings', { _csrf: member.csrf, timeZone: 'UTC', languages: 'en', defaultLanguage: 'en', phoneValidation: 'strict' });
    assert.equal(refused.statusCode, 403);
    const projects = await get(member, '/ui/projects');
    assert.ok(!projects.body.includes('Create project'), 'only superusers create projects');

    const root = await uiSession(t);
    const bad = await post(root, '/ui/p/kenya/settings', { _csrf: root.csrf, timeZone: 'Mars/Olympus', defaultCountry: 'KE', languages: 'en', defaultLanguage: 'en', phoneValidation: 'strict' });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /value="Mars\/Olympus"/);
    const saved = await post(root, '/ui/p/kenya/settings', { _csrf: root.csrf, timeZone: 'Africa/Nairobi', defaultCountry: 'KE', languages: 'en, sw', defaultLanguage: 'sw', phoneValidation: 'strict' });
    assert.equal(saved.statusCode, 302);
    const project = await t.request('GET', '/api/v1/projects/kenya');
    assert.deepEqual(project.json().languages, ['en', 'sw']);
    assert.equal(project.json().defaultLanguage, 'sw');
  });

  test('settings: self-registered cases cannot be given an owner from another project', async () => {
    const root = await uiSession(t);
    await t.createProject('bravo');
    const stranger = await t.request('POST', '/api/v1/projects/bravo/mobile-workers', { body: { username: 'stranger' } });
    assert.equal(stranger.statusCode, 201, stranger.body);
    const res = await post(root, '/ui/p/kenya/settings/messaging', { _csrf: root.csrf, caseEnabled: '1', caseType: 'patient', caseOwnerId: stranger.json().id, welcomeMessageTo: 'none' });
    assert.equal(res.statusCode, 422);
    assert.match(res.body, /one of this project’s mobile workers/);
    const project = await t.request('GET', '/api/v1/projects/kenya');
    assert.equal(project.json().selfRegistration.caseOwnerId, null);
  });

  test('a superuser creates a project from the projects page', async () => {
    const s = await uiSession(t);
    const res = await post(s, '/ui/projects', { _csrf: s.csrf, name: 'uganda', timeZone: 'Africa/Kampala', defaultCountry: 'UG' });
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers.location, '/ui/p/uganda/dashboard');
    const list = await get(s, '/ui/projects');
    assert.match(list.body, /uganda/);
  });

  test('mobile worker: an invalid number is explained next to the field, with the typed value kept', async () => {
    const s = await uiSession(t);
    const created = await post(s, '/ui/p/kenya/mobile-workers', { _csrf: s.csrf, username: 'otieno' });
    assert.equal(created.statusCode, 302);
    const url = String(created.headers.location);
    const bad = await post(s, `${url}/phone-numbers`, { _csrf: s.csrf, number: '1-800-FLOWERS' });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /contains letters/);
    assert.match(bad.body, /value="1-800-FLOWERS"/);
    assert.match(bad.body, /country code first/);
    const good = await post(s, `${url}/phone-numbers`, { _csrf: s.csrf, number: '254733000222' });
    assert.equal(good.statusCode, 302);
    const page = await get(s, url);
    assert.match(page.body, /\+254733000222/);
    assert.match(page.body, />unverified</);
    const removed = await post(s, `${url}/phone-numbers/remove`, { _csrf: s.csrf, number: '+254733000222' });
    assert.equal(removed.statusCode, 302);
    assert.ok(!(await get(s, url)).body.includes('+254733000222'));
  });

  test('a page of another project or an unknown case is a page in words, not JSON', async () => {
    const member = await uiSession(t, 'member@example.org', 'member-password');
    const other = await get(member, '/ui/p/uganda-nope/cases');
    assert.ok(other.statusCode === 404 || other.statusCode === 403, String(other.statusCode));
    assert.equal(other.headers['content-type'], 'text/html; charset=utf-8');
    const missing = await get(member, '/ui/p/kenya/cases/00000000-0000-4000-8000-000000000000');
    assert.equal(missing.statusCode, 404);
    assert.match(missing.body, /Not found/);
  });
});
