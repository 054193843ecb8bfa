/**
 * Issue 24, item 3: the contacts list. Each filter (case type, phone status, consent, opted out,
 * problems, owner, created date) changes the count; search finds by name and by number; newest
 * first by default and sortable; pages by cursor; the same filters on the API; another project's
 * cases never appear. Bulk close reports per-case outcomes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { sql } from 'kysely';

import { recordOptOut } from '../src/services/consent.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { type UiSession, uiSession } from './support/ui-session.ts';

type Json = any;

let t: TestApp;
let ui: UiSession;
let now = new Date('2026-03-01T09:00:00Z');
let ownerId: string;
const ids: Record<string, string> = {};

async function make(project: string, caseType: string, name: string, properties: Record<string, string>, extra: Record<string, unknown> = {}) {
  const res = await t.request('POST', `/api/v1/projects/${project}/cases`, { body: { caseType, name, properties, ...extra } });
  assert.equal(res.statusCode, 201, res.body);
  ids[name] = res.json().id;
  now = new Date(now.getTime() + 24 * 3600_000);
  // Created one day apart (the order of seq is the order of creation, as in real use).
  await sql`update cases set created_at = ${now} where id = ${res.json().id as string}`.execute(t.deps.db);
}

before(async () => {
  t = await createTestApp();
  await t.createProject('kenya', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  await t.createProject('other', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  ui = await uiSession(t);
  const w = await t.request('POST', '/api/v1/projects/kenya/mobile-workers', { body: { username: 'chw-otieno' } });
  ownerId = w.json().id;
  // Created one day apart, from 2 March 2026 (Nairobi) on.
  await make('kenya', 'patient', 'Amina Otieno', { contact_phone_number: '+254712000001', contact_phone_number_is_verified: '1' }, { ownerId });
  await make('kenya', 'patient', 'Baraka Mwangi', { contact_phone_number: '0712000002' }, { ownerId });
  await make('kenya', 'patient', 'Chausiku Njeri', { contact_phone_number: '12345' });
  await make('kenya', 'patient', 'Dalmas Kip', {});
  await make('kenya', 'household', 'Household Echo', { contact_phone_number: '+254712000005', contact_phone_number_is_verified: 'true' });
  await make('kenya', 'patient', 'Faith Stop', { contact_phone_number: '+254712000006', contact_phone_number_is_verified: '1' });
  await make('other', 'patient', 'Amina Elsewhere', { contact_phone_number: '+254712000099', contact_phone_number_is_verified: '1' });
  await t.deps.db.transaction().execute((trx) => recordOptOut(trx, { channel: 'sms', address: '+254712000006' }, { method: 'keyword', source: {}, projectId: null, contact: null, gateway: null }, now));
});
after(() => t.close());

function total(html: string): string {
  const m = /<strong id="total">([^<]+)<\/strong>/.exec(html);
  assert.ok(m?.[1], 'the list shows its count');
  return m[1];
}

function names(html: string): string[] {
  return [...html.matchAll(/<td><a href="\/ui\/p\/kenya\/cases\/[0-9a-f-]{36}">([^<]+)<\/a>/g)].map((m) => m[1] as string);
}

async function list(query: string) {
  const res = await ui.get(`/ui/p/kenya/cases${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return { count: total(res.body), names: names(res.body), body: res.body };
}

describe('contacts list filters', () => {
  test('no filter: every case of the project, newest first, with the count', async () => {
    const l = await list('');
    assert.equal(l.count, '6 cases');
    assert.deepEqual(l.names, ['Faith Stop', 'Household Echo', 'Dalmas Kip', 'Chausiku Njeri', 'Baraka Mwangi', 'Amina Otieno']);
  });

  test('each filter changes the count', async () => {
    const cases: Array<[string, string, string[]]> = [
      ['?caseType=household', '1 case', ['Household Echo']],
      ['?phoneStatus=two-way', '3 cases', ['Faith Stop', 'Household Echo', 'Amina Otieno']],
      ['?phoneStatus=one-way', '1 case', ['Baraka Mwangi']],
      ['?phoneStatus=invalid', '1 case', ['Chausiku Njeri']],
      ['?phoneStatus=none', '1 case', ['Dalmas Kip']],
      ['?consent=yes', '3 cases', ['Faith Stop', 'Household Echo', 'Amina Otieno']],
      ['?consent=no', '3 cases', ['Dalmas Kip', 'Chausiku Njeri', 'Baraka Mwangi']],
      ['?optedOut=yes', '1 case', ['Faith Stop']],
      ['?optedOut=no', '5 cases', ['Household Echo', 'Dalmas Kip', 'Chausiku Njeri', 'Baraka Mwangi', 'Amina Otieno']],
      ['?problems=yes', '1 case', ['Chausiku Njeri']],
      [`?owner=${ownerId}`, '2 cases', ['Baraka Mwangi', 'Amina Otieno']],
      ['?createdFrom=2026-03-05', '3 cases', ['Faith Stop', 'Household Echo', 'Dalmas Kip']],
      ['?createdTo=2026-03-03', '2 cases', ['Baraka Mwangi', 'Amina Otieno']],
      ['?createdFrom=2026-03-04&createdTo=2026-03-05', '2 cases', ['Dalmas Kip', 'Chausiku Njeri']],
      ['?caseType=patient&consent=yes&optedOut=no', '1 case', ['Amina Otieno']],
      ['?caseType=nobody', '0 cases', []],
    ];
    for (const [q, count, expected] of cases) {
      const l = await list(q);
      assert.equal(l.count, count, q);
      assert.deepEqual(l.names, expected, q);
    }
  });

  test('the filters are kept in the form, the sort links and the export links (bookmarkable)', async () => {
    const l = await list('?caseType=patient&consent=yes');
    assert.match(l.body, /<option value="yes" selected>yes<\/option>/);
    assert.match(l.body, /href="\/ui\/p\/kenya\/cases\?caseType=patient&(amp;)?consent=yes&(amp;)?sort=name"/);
    assert.match(l.body, /href="\/ui\/p\/kenya\/cases\/export.csv\?caseType=patient&(amp;)?consent=yes"/);
  });

  test('search by part of the name (any case) and by number (national, international, digits)', async () => {
    assert.deepEqual((await list('?search=otien')).names, ['Amina Otieno']);
    assert.deepEqual((await list('?search=0712000002')).names, ['Baraka Mwangi']);
    assert.deepEqual((await list(`?search=${encodeURIComponent('+254 712 000 001')}`)).names, ['Amina Otieno']);
    assert.deepEqual((await list('?search=000005')).names, ['Household Echo']);
    assert.deepEqual((await list('?search=Elsewhere')).names, [], 'another project’s case is never found');
    assert.deepEqual((await list('?search=%25')).names, [], 'a % is a character, not a wildcard');
  });

  test('sort: oldest first and by name', async () => {
    assert.deepEqual((await list('?sort=oldest')).names, ['Amina Otieno', 'Baraka Mwangi', 'Chausiku Njeri', 'Dalmas Kip', 'Household Echo', 'Faith Stop']);
    assert.deepEqual((await list('?sort=name')).names, ['Amina Otieno', 'Baraka Mwangi', 'Chausiku Njeri', 'Dalmas Kip', 'Faith Stop', 'Household Echo']);
  });

  test('a filter value the list does not know is a page in words, not a 500', async () => {
    const res = await ui.get('/ui/p/kenya/cases?phoneStatus=sometimes');
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /phoneStatus/);
    assert.match(res.body, /<title>/, 'a page, not JSON');
    const date = await ui.get('/ui/p/kenya/cases?createdFrom=yesterday');
    assert.equal(date.statusCode, 400);
    const owner = await list('?owner=not-a-uuid');
    assert.equal(owner.count, '0 cases');
  });
});

describe('"has problems" finds exactly the cases whose view shows a problem', () => {
  test('every kind of problem, and values that only look like one', async () => {
    await t.createProject('probs', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi', languages: ['en', 'sw'] });
    const rows: Array<[string, Record<string, string>]> = [
      ['Invalid number', { contact_phone_number: '12345' }],
      ['Zero is no number', { contact_phone_number: '0' }],
      ['Bad email', { commcare_email_address: 'not-an-email' }],
      ['Double dot email', { commcare_email_address: 'a..b@example.org' }],
      ['Good email', { commcare_email_address: ' a.b@example.org ' }],
      ['Bad zone', { time_zone: 'Mars/Olympus' }],
      ['Zone in lower case', { time_zone: 'africa/nairobi' }],
      ['Zone by its old name', { time_zone: 'Asia/Calcutta' }],
      ['Zone with a no-break space', { time_zone: '\u00a0Africa/Nairobi' }],
      ['Unknown language', { language_code: 'fr' }],
      ['Language in capitals', { language_code: ' SW ' }],
      ['Holder of the number', { contact_phone_number: '+254712000301', contact_phone_number_is_verified: '1' }],
      ['Second asker of the number', { contact_phone_number: '+254712000301', contact_phone_number_is_verified: '1' }],
      ['No problem', { contact_phone_number: '+254712000302' }],
    ];
    for (const [name, properties] of rows) {
      await make('probs', 'patient', name, properties);
    }
    const all = (await t.request('GET', '/api/v1/projects/probs/cases?limit=100')).json().items as Json[];
    const expected = all.filter((c) => c.contact.problems.length > 0).map((c) => c.name as string).sort();
    assert.deepEqual(expected, ['Bad email', 'Bad zone', 'Double dot email', 'Invalid number', 'Second asker of the number', 'Unknown language'], 'the case view (the reference)');
    const api = (await t.request('GET', '/api/v1/projects/probs/cases?problems=yes&count=true&limit=100')).json();
    assert.deepEqual((api.items as Json[]).map((c) => c.name as string).sort(), expected);
    assert.deepEqual(api.total, { count: expected.length, atLeast: false });
    const res = await ui.get('/ui/p/probs/cases?problems=yes');
    assert.equal(res.statusCode, 200);
    assert.equal(total(res.body), `${expected.length} cases`);
    // Fixing a problem takes the case off the list at once.
    const fixed = await t.request('PATCH', `/api/v1/projects/probs/cases/${ids['Unknown language']}`, { body: { properties: { language_code: 'en' } } });
    assert.equal(fixed.statusCode, 200, fixed.body);
    const after = (await t.request('GET', '/api/v1/projects/probs/cases?problems=yes&limit=100')).json().items as Json[];
    assert.ok(!after.some((c) => c.name === 'Unknown language'));
    assert.equal(after.length, expected.length - 1);
  });
});

describe('the API takes the same filters', () => {
  test('filters, sort, pages by cursor, and the count when asked', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/projects/kenya/cases?limit=2&sort=name&caseType=patient${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await t.request('GET', url)).json();
      seen.push(...page.items.map((c: Json) => c.name));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, ['Amina Otieno', 'Baraka Mwangi', 'Chausiku Njeri', 'Dalmas Kip', 'Faith Stop']);
    const newest = (await t.request('GET', '/api/v1/projects/kenya/cases?sort=newest&limit=2&count=true&consent=yes')).json();
    assert.deepEqual(newest.items.map((c: Json) => c.name), ['Faith Stop', 'Household Echo']);
    assert.deepEqual(newest.total, { count: 3, atLeast: false });
    const oldestDefault = (await t.request('GET', '/api/v1/projects/kenya/cases?limit=1')).json();
    assert.equal(oldestDefault.items[0].name, 'Amina Otieno', 'the API keeps its oldest-first order');
    const bad = await t.request('GET', '/api/v1/projects/kenya/cases?optedOut=maybe');
    assert.equal(bad.statusCode, 400);
    assert.equal((await t.request('GET', '/api/v1/projects/kenya/cases?optedOut=yes')).json().items[0].contact.optedOut, true);
  });

  test('UI pages by cursor: next page then first page', async () => {
    const many = await ui.get('/ui/p/kenya/cases?sort=oldest');
    assert.equal(names(many.body).length, 6);
    // 50 a page: with six cases there is no next page.
    assert.doesNotMatch(many.body, /Next page/);
  });
});

describe('bulk actions', () => {
  test('close: a confirmation page, then per-case outcomes ("2 closed, 1 already closed")', async () => {
    const first = await ui.post('/ui/p/kenya/cases/bulk/close', { caseIds: [ids['Dalmas Kip'] as string] });
    assert.equal(first.statusCode, 200);
    assert.match(first.body, /Close 1 case\?/);
    assert.match(first.body, /Dalmas Kip/);
    const done1 = await ui.post('/ui/p/kenya/cases/bulk/close', { caseIds: [ids['Dalmas Kip'] as string], confirm: 'yes' });
    assert.equal(done1.statusCode, 302);
    const done = await ui.post('/ui/p/kenya/cases/bulk/close', { caseIds: [ids['Dalmas Kip'] as string, ids['Chausiku Njeri'] as string, ids['Baraka Mwangi'] as string, ids['Amina Elsewhere'] as string], confirm: 'yes' });
    assert.equal(done.statusCode, 302);
    const page = await ui.get(String(done.headers.location));
    assert.match(page.body, /Bulk close: 2 closed, 1 already closed, 1 not found\./);
    const other = (await t.request('GET', `/api/v1/projects/other/cases/${ids['Amina Elsewhere']}`)).json();
    assert.equal(other.closed, false, 'a case of another project is never closed');
  });

  test('start survey: each selected case started, or why not in words; another project untouched', async () => {
    assert.equal((await t.request('POST', '/api/v1/projects/kenya/gateways', { body: { name: 'gw', type: 'test' } })).statusCode, 201);
    assert.equal((await t.request('PUT', '/api/v1/projects/kenya/gateway-routes', { body: [{ prefix: '*', gateway: 'GW' }] })).statusCode, 200);
    const survey = await t.request('POST', '/api/v1/projects/kenya/surveys', { body: { name: 'Check-in', questions: [{ id: 'q1', text: 'How are you?', type: 'text', saveAs: 'feeling' }] } });
    assert.equal(survey.statusCode, 201, survey.body);
    const surveyId = survey.json().id as string;
    const chosen = [ids['Amina Otieno'], ids['Household Echo'], ids['Dalmas Kip'], ids['Amina Elsewhere'], '00000000-0000-4000-8000-000000000000'] as string[];
    const res = await ui.post('/ui/p/kenya/cases/bulk/survey', { caseIds: chosen, surveyId });
    assert.equal(res.statusCode, 302, res.body);
    const location = String(res.headers.location);
    const page = await ui.get(location);
    // Dalmas Kip has no number (and was closed above): not started, with the reason's words and code.
    assert.match(page.body, /Start survey: 2 started, 1 not started, 2 not found\. 1 not started: [^<]+ \([A-Z_]+\)/);
    const sessions = (await t.request('GET', `/api/v1/projects/kenya/surveys/${surveyId}/sessions`)).json().items as Json[];
    assert.deepEqual(sessions.map((x) => x.caseId).sort(), [ids['Amina Otieno'], ids['Household Echo']].sort());
    // Text in the URL's reason list is never shown: only catalogue codes, by their descriptions.
    const forged = await ui.get('/ui/p/kenya/cases?done=survey&ok=0&failed=1&why=CALL_ME.1');
    assert.doesNotMatch(forged.body, /CALL_ME/);
  });

  test('the list offers the bulk actions on a checkbox selection', async () => {
    const l = await list('');
    assert.match(l.body, /<form id="bulk" method="post"/);
    assert.match(l.body, /<input type="checkbox" name="caseIds" value="[0-9a-f-]{36}"/);
    assert.match(l.body, /formaction="\/ui\/p\/kenya\/broadcasts\/new">Send message/);
    assert.match(l.body, /formaction="\/ui\/p\/kenya\/cases\/bulk\/close"/);
    assert.match(l.body, /formaction="\/ui\/p\/kenya\/cases\/bulk\/export"/);
  });
});
