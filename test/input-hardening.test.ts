/**
 * Issue 23 (items 12, 13, 15): bad input gets a 4xx naming the problem, never a 500 nor a silent
 * reinterpretation. Impossible calendar dates in sendAt (API messages and broadcasts, the case page's
 * send form) and in date filters are refused with VALIDATION_ERROR naming the field; JSON nested
 * thousands of levels deep is refused before anything recurses on it (also unauthenticated);
 * query values that only pick known words (?notice=, ?surveyError=) never reach
 * Object.prototype or echo URL text; names may not hold bidirectional controls (API, UI, imports).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';

import { errorCatalogue } from '../src/errors.ts';
import { hasLoneSurrogate, jsonNestingExceeds, MAX_JSON_DEPTH, parseJsonBody } from '../src/http/json-body.ts';
import { csv, multipart } from './support/import-files.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;
let caseId: string;
let workerId: string;

const RLO = '\u202E';
const BIDI = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];
const IMPOSSIBLE = ['2027-02-30T09:00', '2027-13-01T10:00', '2027-01-15T25:00', '2027-02-29T09:00', '2027-04-31T08:00', '2027-01-15T09:60', '2027-02-30T09:00Z', '2027-01-15T09:00+25:00'];

before(async () => {
  t = await createTestApp({ jobs: true });
  await t.createProject('hard', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  assert.equal((await t.request('POST', '/api/v1/projects/hard/gateways', { body: { name: 'TEST1', type: 'test' } })).statusCode, 201);
  assert.equal((await t.request('PUT', '/api/v1/projects/hard/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST1' }] })).statusCode, 200);
  const c = await t.request('POST', '/api/v1/projects/hard/cases', { body: { caseType: 'patient', name: 'Amina', properties: { contact_phone_number: '+254712000101', contact_phone_number_is_verified: '1' } } });
  assert.equal(c.statusCode, 201, c.body);
  caseId = c.json().id;
  const w = await t.request('POST', '/api/v1/projects/hard/mobile-workers', { body: { username: 'worker1' } });
  assert.equal(w.statusCode, 201, w.body);
  workerId = w.json().id;
  ui = await signIn();
});
after(() => t.close());

async function messageCount(): Promise<number> {
  const r = await sql<{ n: string }>`select count(*) as n from messages`.execute(t.deps.db);
  return Number(r.rows[0]?.n);
}

function assertRefused(res: LightMyRequestResponse, field: string | RegExp): Json {
  assert.equal(res.statusCode, 400, res.body);
  const error = res.json().error as Json;
  assert.equal(error.code, 'VALIDATION_ERROR');
  assert.ok(error.code in errorCatalogue);
  assert.match(error.message, typeof field === 'string' ? new RegExp(`\\b${field}\\b`) : field);
  return error;
}

// ---- the admin UI, signed in --------------------------------------------------------------------

interface Session {
  cookie: string;
  csrf: string;
}
let ui: Session;

function csrfIn(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m?.[1], 'the page has a form with a CSRF token');
  return m[1];
}

function cookieOf(res: LightMyRequestResponse, name: string): string {
  const c = (res.cookies as Array<{ name: string; value: string }>).find((x) => x.name === name);
  assert.ok(c, `cookie ${name}`);
  return c.value;
}

async function signIn(): Promise<Session> {
  const page = await t.app.inject({ method: 'GET', url: '/ui/sign-in' });
  const res = await t.app.inject({
    method: 'POST',
    url: '/ui/sign-in',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `rollcall_signin=${cookieOf(page, 'rollcall_signin')}` },
    payload: new URLSearchParams({ _csrf: csrfIn(page.body), email: 'root@example.org', password: 'root-password', next: '/ui/projects' }).toString(),
  });
  assert.equal(res.statusCode, 302, res.body);
  const cookie = `rollcall_session=${cookieOf(res, 'rollcall_session')}`;
  const projects = await t.app.inject({ method: 'GET', url: '/ui/projects', headers: { cookie } });
  return { cookie, csrf: csrfIn(projects.body) };
}

function get(url: string): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'GET', url, headers: { cookie: ui.cookie } });
}

function post(url: string, fields: Record<string, string>): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: ui.cookie }, payload: new URLSearchParams({ _csrf: ui.csrf, ...fields }).toString() });
}

describe('item 12: impossible dates are refused, naming the field', () => {
  test('POST …/messages with a sendAt that is no real date and time: 400 naming sendAt, nothing queued or sent', async () => {
    const before = await messageCount();
    for (const sendAt of IMPOSSIBLE) {
      const res = await t.request('POST', '/api/v1/projects/hard/messages', { body: { recipient: { caseId }, text: 'hello', sendAt } });
      const error = assertRefused(res, 'sendAt');
      assert.deepEqual(error.details, { field: 'sendAt' }, sendAt);
    }
    assert.equal(await messageCount(), before, 'no message was recorded');
    // Real dates still schedule, a leap day included.
    const ok = await t.request('POST', '/api/v1/projects/hard/messages', { body: { recipient: { caseId }, text: 'hello', sendAt: '2028-02-29T09:00' } });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json().status, 'scheduled');
    assert.equal(ok.json().scheduledFor, '2028-02-29T06:00:00.000Z');
  });

  test('POST …/broadcasts with an impossible sendAt: 400 naming sendAt, no broadcast stored', async () => {
    for (const sendAt of ['2027-02-30T09:00', '2027-13-01T10:00', '2027-01-15T25:00']) {
      const res = await t.request('POST', '/api/v1/projects/hard/broadcasts', { body: { recipients: { caseIds: [caseId] }, text: 'hello', sendAt } });
      assertRefused(res, 'sendAt');
    }
    const r = await sql<{ n: string }>`select count(*) as n from broadcasts`.execute(t.deps.db);
    assert.equal(Number(r.rows[0]?.n), 0);
  });

  test('the message log filters: an impossible from/to is 400 in the API and ignored (not a 500) on the page', async () => {
    for (const q of ['from=2027-02-30', 'to=2027-13-01', 'from=2027-02-30T00:00:00Z', 'to=2027-01-15T25:00:00Z']) {
      assertRefused(await t.request('GET', `/api/v1/projects/hard/messages?${q}`), /\b(from|to)\b/);
    }
    assert.equal((await t.request('GET', '/api/v1/projects/hard/messages?from=2027-02-28&to=2028-02-29T23:59:59Z')).statusCode, 200);
    for (const q of ['from=2027-02-32', 'to=2027-13-45', 'from=2027-02-30&to=2027-02-31']) {
      const page = await get(`/ui/p/hard/messages?${q}`);
      assert.equal(page.statusCode, 200, `${q}: ${page.body.slice(0, 300)}`);
    }
  });

  test('the case page send form: an impossible "Send at" is answered with the form again (422), the field named and marked, what was typed kept, nothing sent, no text in a URL', async () => {
    const before = await messageCount();
    const res = await post(`/ui/p/hard/cases/${caseId}/messages`, { text: 'hello from the form', sendAt: '2027-02-30T09:00' });
    assert.equal(res.statusCode, 422, res.body.slice(0, 300));
    assert.equal(res.headers.location, undefined, 'no redirect: the text would be in its URL');
    assert.match(res.body, /<a href="#f-sendAt">Send at: [^<]+<\/a>/, 'the error names the field by its label');
    assert.match(res.body, /<input[^>]*id="f-sendAt"[^>]*aria-invalid="true"/);
    assert.match(res.body, /<input[^>]*type="datetime-local"[^>]*id="f-sendAt"|<input[^>]*id="f-sendAt"[^>]*type="datetime-local"/, 'a date-time picker');
    assert.match(res.body, /value="2027-02-30T09:00"/, 'the time typed is kept');
    assert.match(res.body, /<textarea[^>]*id="f-text"[^>]*>hello from the form<\/textarea>/, 'the text typed is kept');
    assert.equal(await messageCount(), before);
  });
});

describe('item 13: deep JSON and query values are refused or ignored, never a 500', () => {
  const deep = (levels: number, inner: string) => '{"a":'.repeat(levels) + inner + '}'.repeat(levels);

  test('JSON nested 20,000 deep with a surrogate escape: 400 VALIDATION_ERROR, also on the unauthenticated token route', async () => {
    for (const body of [deep(20_000, '"\\ud800"'), deep(20_000, '"\\ud83d\\ude00"'), '['.repeat(20_000) + ']'.repeat(20_000), deep(20_000, '1')]) {
      const tokens = await t.request('POST', '/api/v1/auth/tokens', { token: null, body });
      const error = assertRefused(tokens, /levels deep/);
      assert.deepEqual(error.details, { maxDepth: MAX_JSON_DEPTH });
      assertRefused(await t.request('POST', '/api/v1/projects/hard/cases', { body }), /levels deep/);
    }
  });

  test('the limit is 64 levels; brackets inside strings do not count; the surrogate check no longer recurses', () => {
    assert.equal(MAX_JSON_DEPTH, 64);
    assert.doesNotThrow(() => parseJsonBody(Buffer.from(deep(64, '"x"'))));
    assert.throws(() => parseJsonBody(Buffer.from(deep(65, '"x"'))), (err: any) => err.code === 'VALIDATION_ERROR' && /64 levels/.test(err.message));
    assert.equal(jsonNestingExceeds(JSON.stringify({ a: '[[[[[[{{{{{{'.repeat(100), b: '\\"[[[' }), 3), false);
    assert.equal(jsonNestingExceeds('[[[["a\\"]]"]]]]', 4), false);
    assert.equal(jsonNestingExceeds('[[[[["]"]]]]]', 4), true);
    // Random shapes: the text scan agrees with the real depth, whatever brackets and escapes the strings hold.
    let seed = 23;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const noise = ['[', ']', '{', '}', '"', '\\', '\\"', 'x', '\u2028'];
    const str = () => Array.from({ length: Math.floor(rand() * 6) }, () => noise[Math.floor(rand() * noise.length)]).join('');
    for (let i = 0; i < 2000; i++) {
      const depth = Math.floor(rand() * 80);
      let v: unknown = rand() < 0.5 ? str() : Math.floor(rand() * 100);
      for (let d = 0; d < depth; d++) {
        v = rand() < 0.5 ? [str(), v, str()] : { [str()]: str(), k: v };
      }
      const text = JSON.stringify(v);
      assert.equal(jsonNestingExceeds(text, MAX_JSON_DEPTH), depth > MAX_JSON_DEPTH, text.slice(0, 100));
      assert.equal(jsonNestingExceeds(text, depth), false);
    }
    // The iterative check handles what the recursive one overflowed on.
    let value: unknown = '\ud800';
    for (let i = 0; i < 100_000; i++) {
      value = i % 2 ? [value] : { k: value };
    }
    assert.equal(hasLoneSurrogate(value), true);
    assert.equal(hasLoneSurrogate({ a: ['\ud83d\ude00', { b: 'ok' }], c: new Array(200_000).fill('x') }), false);
  });

  test('?notice=constructor (and other Object.prototype names) on the gateway, case, worker and possible opt-out pages: 200, no notice', async () => {
    const pages = ['/ui/p/hard/gateways', `/ui/p/hard/cases/${caseId}`, `/ui/p/hard/mobile-workers/${workerId}`, '/ui/p/hard/possible-opt-outs'];
    for (const url of pages) {
      for (const notice of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
        const res = await get(`${url}?notice=${notice}`);
        assert.equal(res.statusCode, 200, `${url}?notice=${notice}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        assert.doesNotMatch(res.body, /class="notice"/, `${url}?notice=${notice} shows no notice`);
        assert.doesNotMatch(res.body, /\[native code\]|function Object/);
      }
    }
    // A known notice still shows.
    assert.match((await get(`/ui/p/hard/cases/${caseId}?notice=saved`)).body, /Changes saved\./);
  });

  test('?surveyError= shows only the words of a catalogue code, never text from the URL; ?sendError= and ?text= are not read', async () => {
    const url = `/ui/p/hard/cases/${caseId}`;
    for (const q of ['sendError=NO_SUITABLE_GATEWAY', 'text=Your+account+is+suspended', 'surveyError=Call+%2B1-555-0100+now', 'surveyError=constructor']) {
      const res = await get(`${url}?${q}`);
      assert.equal(res.statusCode, 200, q);
      assert.doesNotMatch(res.body, /suspended|555-0100|\[native code\]|No gateway is set up/, q);
      assert.doesNotMatch(res.body, /role="alert"/, `${q}: no alert`);
    }
    assert.ok((await get(`${url}?surveyError=NOT_FOUND`)).body.includes('No such resource, or you cannot see it.'));
  });
});

describe('item 15: names may not hold bidirectional controls', () => {
  test('case names and case types (API create and update): 400 naming the field, nothing saved', async () => {
    for (const ch of BIDI) {
      const created = await t.request('POST', '/api/v1/projects/hard/cases', { body: { caseType: 'patient', name: `Alice${ch}gnp.exe` } });
      const error = assertRefused(created, 'name');
      assert.deepEqual(error.details, { field: 'name' });
      assert.match(error.message, new RegExp(`U\\+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase()}`));
    }
    assertRefused(await t.request('POST', '/api/v1/projects/hard/cases', { body: { caseType: `pat${RLO}ient`, name: 'Bob' } }), 'caseType');
    assertRefused(await t.request('PATCH', `/api/v1/projects/hard/cases/${caseId}`, { body: { name: `Amina${RLO}` } }), 'name');
    assert.equal((await t.request('GET', `/api/v1/projects/hard/cases/${caseId}`)).json().name, 'Amina');
    const cases = (await t.request('GET', '/api/v1/projects/hard/cases?limit=500')).json().items as Json[];
    assert.ok(!cases.some((c) => /[\u202A-\u202E\u2066-\u2069]/.test(c.name + c.caseType)));
    // Right-to-left names themselves are fine, as are the direction marks U+200E/U+200F.
    const arabic = await t.request('POST', '/api/v1/projects/hard/cases', { body: { caseType: 'patient', name: 'أمينة\u200f Amina' } });
    assert.equal(arabic.statusCode, 201, arabic.body);
  });

  test('survey names: 400 with an issue on name', async () => {
    const survey = { name: `Intake${RLO}`, questions: [{ id: 'age', text: 'How old are you?', type: 'number', saveAs: 'age' }] };
    const res = await t.request('POST', '/api/v1/projects/hard/surveys', { body: survey });
    const error = assertRefused(res, 'name');
    assert.ok((error.details.issues as Json[]).some((i) => i.field === 'name' && /U\+202E/.test(i.message)));
    const ok = await t.request('POST', '/api/v1/projects/hard/surveys', { body: { ...survey, name: 'Intake' } });
    assert.equal(ok.statusCode, 201, ok.body);
    assertRefused(await t.request('PATCH', `/api/v1/projects/hard/surveys/${ok.json().id}`, { body: { name: `\u2067Intake` } }), 'name');
  });

  test('project, gateway and mobile worker names refuse them too', async () => {
    assertRefused(await t.request('POST', '/api/v1/projects', { body: { name: `alpha${RLO}` } }), 'name');
    assert.equal((await t.request('POST', '/api/v1/projects/hard/gateways', { body: { name: `GW${RLO}`, type: 'test' } })).statusCode, 400);
    assertRefused(await t.request('POST', '/api/v1/projects/hard/mobile-workers', { body: { username: `bob${RLO}` } }), 'username');
  });

  test('the new-case form: refused with the field named, nothing saved', async () => {
    const res = await post('/ui/p/hard/cases', { caseType: 'patient', name: `Mallory${RLO}gnp.exe` });
    assert.equal(res.statusCode, 422, res.body.slice(0, 300));
    assert.match(res.body, /name contains the invisible direction control U\+202E/);
    const r = await sql<{ n: string }>`select count(*) as n from cases where name like ${'Mallory%'}`.execute(t.deps.db);
    assert.equal(Number(r.rows[0]?.n), 0);
  });

  test('imports: a name cell with a bidi control fails its row (dry run and real run agree), naming the column', async () => {
    const rows = [
      ['Case Name', 'contact_phone_number'],
      ['Plain', '+254712000201'],
      [`Evil${RLO}gnp.exe`, '+254712000202'],
    ];
    const form = multipart({ name: 'names.csv', bytes: csv(rows) });
    const up = await t.request('POST', '/api/v1/projects/hard/imports', { body: form.body, headers: form.headers });
    assert.equal(up.statusCode, 201, up.body);
    const i = up.json();
    const body = { caseType: 'imported', matchBy: i.suggestedMatchBy, matchColumn: i.suggestedMatchColumn, createNew: true, mapping: i.suggestedMapping };
    const dry = (await t.request('POST', `/api/v1/projects/hard/imports/${i.id}/run`, { body: { ...body, dryRun: true } })).json();
    const expected = [[3, 'Case Name', 'VALIDATION_ERROR']];
    assert.deepEqual(
      dry.result.errors.map((e: Json) => [e.row, e.column, e.code]),
      expected,
    );
    assert.equal(dry.result.failed, 1);
    const started = await t.request('POST', `/api/v1/projects/hard/imports/${i.id}/run`, { body });
    assert.equal(started.statusCode, 202, started.body);
    let done: Json = {};
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      done = (await t.request('GET', `/api/v1/projects/hard/imports/${i.id}`)).json();
      if (done.status === 'done' || done.status === 'failed') {
        break;
      }
    }
    assert.equal(done.status, 'done');
    assert.equal(done.result.created, 1);
    assert.equal(done.result.failed, 1);
    assert.deepEqual(
      done.result.errors.map((e: Json) => [e.row, e.column, e.code]),
      expected,
    );
    assert.match(done.result.errors[0].message, /U\+202E/);
  });
});

describe('column names from a file are only names', () => {
  test('columns named constructor, __proto__ and toString are offered, mapped and imported like any other', async () => {
    const form = multipart({ name: 'proto.csv', bytes: csv([['Case Name', 'constructor', '__proto__', 'toString'], ['Proto case', 'a', 'b', 'c']]) });
    const up = await t.request('POST', '/api/v1/projects/hard/imports', { body: form.body, headers: form.headers });
    assert.equal(up.statusCode, 201, up.body);
    const id = up.json().id as string;
    const page = await get(`/ui/p/hard/imports/${id}`);
    assert.equal(page.statusCode, 200, page.body.slice(0, 300));
    assert.doesNotMatch(page.body, /function Object|\[native code\]/);
    const mapping = { 'Case Name': 'name', constructor: 'p_constructor', toString: 'p_tostring' };
    // JSON text with a "__proto__" key (an object literal cannot make one): the API's parser refuses it outright.
    const body = JSON.stringify({ target: 'cases', caseType: 'patient', mapping }).replace('"toString"', '"__proto__":"p_proto","toString"');
    const run = await t.app.inject({ method: 'POST', url: `/api/v1/projects/hard/imports/${id}/run`, headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' }, payload: body });
    assert.equal(run.statusCode, 400, run.body);
    const ok = await t.request('POST', `/api/v1/projects/hard/imports/${id}/run`, { body: { target: 'cases', caseType: 'patient', mapping } });
    assert.ok(ok.statusCode < 300, ok.body);
  });
});
