/**
 * Issue 24 item 9 and the number page (items 5–6): the message log names each message's contact
 * (linked to the case or worker), searches by number (any format) and by text (wildcards taken
 * literally), lists only the failure codes a message can carry, and writes times on one line with
 * the zone's abbreviation (EAT, not GMT+3); a contact's conversation reads oldest first on every
 * page, "Earlier messages" going back; the API takes the same `q` and `errorCode`. A number's page
 * says `opted out` and names who holds the number, linked.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { MESSAGE_FAILURE_CODES } from '../src/errors.ts';
import { processInbound } from '../src/services/inbound.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { type UiSession, uiSession } from './support/ui-session.ts';

let t: TestApp;
let ui: UiSession;
let caseId = '';
let workerId = '';

before(async () => {
  t = await createTestApp();
  await t.createProject('kenya', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  await t.request('POST', '/api/v1/projects/kenya/gateways', { body: { name: 'test', type: 'test' } });
  await t.request('PUT', '/api/v1/projects/kenya/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST' }] });
  const c = await t.request('POST', '/api/v1/projects/kenya/cases', { body: { caseType: 'patient', name: 'Amina Otieno', properties: { contact_phone_number: '+254712000001', contact_phone_number_is_verified: '1' } } });
  assert.equal(c.statusCode, 201, c.body);
  caseId = c.json().id;
  const w = await t.request('POST', '/api/v1/projects/kenya/mobile-workers', { body: { username: 'wanjiru' } });
  workerId = w.json().id;
  await t.request('POST', `/api/v1/projects/kenya/mobile-workers/${workerId}/phone-numbers`, { body: { number: '+254722000002' } });
  const send = (recipient: object, text: string) => t.request('POST', '/api/v1/projects/kenya/messages', { body: { recipient, text } });
  assert.equal((await send({ caseId }, 'Hello Amina, clinic day is Friday')).statusCode, 201);
  assert.equal((await send({ mobileWorkerId: workerId }, 'Wanjiru: 100% of visits done?')).statusCode, 201);
  assert.equal((await send({ mobileWorkerId: workerId }, 'Wanjiru: 100 visits done?')).statusCode, 201);
  ui = await uiSession(t);
});
after(() => t.close());

test("the log names each message's contact, linked to the case or the worker", async () => {
  const res = await ui.get('/ui/p/kenya/messages');
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /<th>Contact<\/th>/);
  assert.match(res.body, new RegExp(`<a href="/ui/p/kenya/cases/${caseId}">Amina Otieno</a>`));
  assert.match(res.body, new RegExp(`<a href="/ui/p/kenya/mobile-workers/${workerId}">wanjiru</a>`));
});

test('times: one line, in the project zone, with EAT (not GMT+3)', async () => {
  const res = await ui.get('/ui/p/kenya/messages');
  assert.match(res.body, /<time class="nowrap" datetime="[^"]+" title="[^"]+ UTC">\d{1,2} \w{3} \d{4}, \d{2}:\d{2} EAT<\/time>/);
  assert.doesNotMatch(res.body, /GMT\+3/);
});

test('search by number, in any format, and by text', async () => {
  const local = await ui.get(`/ui/p/kenya/messages?q=${encodeURIComponent('0712 000 001')}`);
  assert.match(local.body, /Hello Amina, clinic day is Friday/);
  assert.doesNotMatch(local.body, /Wanjiru: 100/);
  assert.match(local.body, /value="0712 000 001"/, 'the search is kept in the box');
  const words = await ui.get(`/ui/p/kenya/messages?q=${encodeURIComponent('CLINIC DAY')}`);
  assert.match(words.body, /Hello Amina, clinic day is Friday/);
  assert.doesNotMatch(words.body, /Wanjiru/);
  // % is a character to find, not a wildcard.
  const percent = await ui.get(`/ui/p/kenya/messages?q=${encodeURIComponent('100%')}`);
  assert.match(percent.body, /100% of visits/);
  assert.doesNotMatch(percent.body, /Wanjiru: 100 visits/);
  const none = await ui.get(`/ui/p/kenya/messages?q=${encodeURIComponent('nothing like this')}`);
  assert.match(none.body, /No messages match/);
  // The older-messages link keeps the search.
  const api = await t.request('GET', `/api/v1/projects/kenya/messages?q=${encodeURIComponent('+254 722 000 002')}`);
  assert.equal(api.statusCode, 200);
  assert.deepEqual(api.json().items.map((m: { text: string }) => m.text).sort(), ['Wanjiru: 100 visits done?', 'Wanjiru: 100% of visits done?']);
  const apiText = await t.request('GET', `/api/v1/projects/kenya/messages?q=${encodeURIComponent('clinic day')}`);
  assert.deepEqual(apiText.json().items.map((m: { text: string }) => m.text), ['Hello Amina, clinic day is Friday']);
});

test('the failure filter lists only codes a message can carry, in words; it and the API filter', async () => {
  const res = await ui.get('/ui/p/kenya/messages');
  const select = res.body.slice(res.body.indexOf('<select id="q-errorCode"'), res.body.indexOf('</select>', res.body.indexOf('<select id="q-errorCode"')));
  const values = [...select.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]).filter(Boolean);
  assert.deepEqual(values, [...MESSAGE_FAILURE_CODES]);
  for (const notAMessageCode of ['IMPORT_FILE_EMPTY', 'VALIDATION_ERROR', 'SURVEY_TIMED_OUT', 'STORAGE_FULL']) {
    assert.ok(!(values as string[]).includes(notAMessageCode), notAMessageCode);
  }
  assert.match(select, /The contact has no phone number \(NO_PHONE_NUMBER\)/);
  const nophone = await t.request('POST', '/api/v1/projects/kenya/cases', { body: { caseType: 'patient', name: 'No Phone' } });
  await t.request('POST', '/api/v1/projects/kenya/messages', { body: { recipient: { caseId: nophone.json().id }, text: 'Where are you?' } });
  const filtered = await ui.get('/ui/p/kenya/messages?errorCode=NO_PHONE_NUMBER&status=failed');
  assert.match(filtered.body, /Where are you\?/);
  assert.doesNotMatch(filtered.body, /Hello Amina/);
  assert.match(filtered.body, /<option value="NO_PHONE_NUMBER" selected/);
  const api = await t.request('GET', '/api/v1/projects/kenya/messages?errorCode=NO_PHONE_NUMBER');
  assert.deepEqual(api.json().items.map((m: { text: string }) => m.text), ['Where are you?']);
});

test('a conversation reads oldest first on every page; Earlier messages goes back', async () => {
  for (let i = 1; i <= 55; i++) {
    const r = await t.request('POST', '/api/v1/projects/kenya/messages', { body: { recipient: { caseId }, text: `note ${String(i).padStart(2, '0')}` } });
    assert.equal(r.statusCode, 201);
  }
  const order = (html: string) => [...html.matchAll(/<span>(note \d\d|Hello Amina[^<]*)<\/span>/g)].map((m) => m[1]);
  const latest = await ui.get(`/ui/p/kenya/cases/${caseId}/conversation`);
  assert.equal(latest.statusCode, 200);
  const first = order(latest.body);
  assert.equal(first.length, 50);
  assert.deepEqual(first, Array.from({ length: 50 }, (_, i) => `note ${String(i + 6).padStart(2, '0')}`), 'the newest 50, oldest first');
  const earlier = /<a href="([^"]+)">← Earlier messages<\/a>/.exec(latest.body)?.[1];
  assert.ok(earlier, 'a link to earlier messages');
  const back = await ui.get(earlier.replaceAll('&amp;', '&'));
  assert.deepEqual(order(back.body), ['Hello Amina, clinic day is Friday', 'note 01', 'note 02', 'note 03', 'note 04', 'note 05']);
  assert.doesNotMatch(back.body, /Earlier messages/);
  assert.doesNotMatch(back.body, /hx-trigger/, 'an earlier page does not reload itself');
  // The live thread: htmx asks for the fragment, which reloads itself every 2 s.
  const fragment = await t.app.inject({ method: 'GET', url: `/ui/p/kenya/cases/${caseId}/conversation`, headers: { cookie: ui.cookie, 'hx-request': 'true' } });
  assert.doesNotMatch(fragment.body, /<html/);
  assert.match(fragment.body, /^<div id="conversation-thread" hx-get="\/ui\/p\/kenya\/cases\/[^"]+\/conversation" hx-trigger="every 2s" hx-swap="outerHTML">/);
  // A worker's conversation too.
  const worker = await ui.get(`/ui/p/kenya/mobile-workers/${workerId}/conversation`);
  assert.deepEqual([...worker.body.matchAll(/<span>(Wanjiru[^<]*)<\/span>/g)].map((m) => m[1]), ['Wanjiru: 100% of visits done?', 'Wanjiru: 100 visits done?']);
  // Another project's case is not found here.
  await t.createProject('other');
  assert.equal((await ui.get(`/ui/p/other/cases/${caseId}/conversation`)).statusCode, 404);
});

test('the number page: opted out, owners by name with links, and a contact in another project', async () => {
  await t.request('POST', '/api/v1/projects/kenya/cases', { body: { caseType: 'patient', name: 'Baraka <b>Mwangi</b>', properties: { contact_phone_number: '+254712000001' } } });
  await ui.post('/ui/p/kenya/tester', { gateway: 'TEST', from: '+254712000001', text: 'STOP' });
  while ((await processInbound(t.deps, 50)) > 0) {
    // until nothing waits
  }
  const page = await ui.get(`/ui/p/kenya/numbers/${encodeURIComponent('+254712000001')}`);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<span class="badge bad">opted out<\/span>/);
  assert.match(page.body, new RegExp(`<a href="/ui/p/kenya/cases/${caseId}">Amina Otieno</a>`));
  assert.match(page.body, /Baraka &lt;b>Mwangi&lt;\/b>/, 'names are escaped');
  assert.doesNotMatch(page.body, /a contact in another project/);
  // Another project's case holds a number two-way; here it is one-way.
  await t.createProject('uganda', { defaultCountry: 'KE' });
  await t.request('POST', '/api/v1/projects/uganda/cases', { body: { caseType: 'patient', name: 'Elsewhere', properties: { contact_phone_number: '+254712000077', contact_phone_number_is_verified: '1' } } });
  await t.request('POST', '/api/v1/projects/kenya/cases', { body: { caseType: 'patient', name: 'Here Too', properties: { contact_phone_number: '+254712000077' } } });
  const shared = await ui.get(`/ui/p/kenya/numbers/${encodeURIComponent('+254712000077')}`);
  assert.match(shared.body, /a contact in another project/);
  assert.match(shared.body, />Here Too<\/a>/);
  assert.doesNotMatch(shared.body, /Elsewhere/, "the other project's contact is not named");
});
