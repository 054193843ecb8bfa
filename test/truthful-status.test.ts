/**
 * Issue 24, items 5 and 6: what the pages say about a contact is true. An opted-out number shows
 * `opted out` on the case card, in the cases list and on the worker page (the card no longer says
 * only "SMS consent: yes", the list no longer `two-way`); a case with any problem shows it in the
 * list's Problems column; PHONE_NUMBER_IN_USE names and links the other holder when it is in the
 * same project, and says "a contact in another project" otherwise.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { recordOptOut } from '../src/services/consent.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { type UiSession, uiSession } from './support/ui-session.ts';

let t: TestApp;
let ui: UiSession;
const STOPPED = '+254711000111';
const SHARED = '+254711000222';
const ACROSS = '+254711000333';
const WORKER_SHARED = '+254711000444';

async function createCase(project: string, name: string, properties: Record<string, string>) {
  const res = await t.request('POST', `/api/v1/projects/${project}/cases`, { body: { caseType: 'patient', name, properties } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as { id: string; contact: Record<string, unknown> };
}

async function optOut(number: string) {
  await t.deps.db.transaction().execute((trx) => recordOptOut(trx, { channel: 'sms', address: number }, { method: 'keyword', source: {}, projectId: null, contact: null, gateway: null }, new Date()));
}

let stopped: { id: string };
let holder: { id: string };
let second: { id: string };
let acrossHolder: { id: string };
let acrossHere: { id: string };
let workerId: string;

before(async () => {
  t = await createTestApp();
  await t.createProject('kenya', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  await t.createProject('other', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  ui = await uiSession(t);
  stopped = await createCase('kenya', 'Stopped Sam', { contact_phone_number: STOPPED, contact_phone_number_is_verified: '1' });
  await optOut(STOPPED);
  holder = await createCase('kenya', 'First Holder', { contact_phone_number: SHARED, contact_phone_number_is_verified: '1' });
  second = await createCase('kenya', 'Second Comer', { contact_phone_number: SHARED, contact_phone_number_is_verified: '1' });
  acrossHolder = await createCase('other', 'Secret Person Elsewhere', { contact_phone_number: ACROSS, contact_phone_number_is_verified: '1' });
  acrossHere = await createCase('kenya', 'Here Too', { contact_phone_number: ACROSS, contact_phone_number_is_verified: '1' });
  await createCase('kenya', 'Bad Zone', { time_zone: 'Mars/Olympus' });
  await createCase('kenya', 'Healthy Hana', { contact_phone_number: '+254711000555', contact_phone_number_is_verified: '1' });
  // A worker whose number a case of the same project holds.
  const caseHolder = await createCase('kenya', 'Worker Number Holder', { contact_phone_number: WORKER_SHARED, contact_phone_number_is_verified: '1' });
  void caseHolder;
  const w = await t.request('POST', '/api/v1/projects/kenya/mobile-workers', { body: { username: 'wanjiru' } });
  assert.equal(w.statusCode, 201, w.body);
  workerId = w.json().id;
  const added = await t.request('POST', `/api/v1/projects/kenya/mobile-workers/${workerId}/phone-numbers`, { body: { number: STOPPED } });
  assert.equal(added.statusCode, 201, added.body);
  const inUse = await t.request('POST', `/api/v1/projects/kenya/mobile-workers/${workerId}/phone-numbers`, { body: { number: WORKER_SHARED } });
  assert.equal(inUse.statusCode, 201, inUse.body);
});
after(() => t.close());

/** The table row of the list whose text names `name`. */
function rowOf(html: string, name: string): string {
  const row = html.split('<tr>').find((r) => r.includes(`>${name}</a>`));
  assert.ok(row, `a row for ${name}`);
  return row;
}

describe('opted out shows everywhere', () => {
  test('the API case says contact.optedOut, and phoneStatus is kept as it was', async () => {
    const c = (await t.request('GET', `/api/v1/projects/kenya/cases/${stopped.id}`)).json();
    assert.equal(c.contact.optedOut, true);
    assert.equal(c.contact.phoneStatus, 'two-way', 'the field keeps its meaning (API.md: never renamed)');
    const fine = (await t.request('GET', `/api/v1/projects/kenya/cases/${holder.id}`)).json();
    assert.equal(fine.contact.optedOut, false);
  });

  test('the case card: an `opted out` badge, and consent does not say a bare yes', async () => {
    const page = await ui.get(`/ui/p/kenya/cases/${stopped.id}`);
    assert.equal(page.statusCode, 200);
    const card = page.body.slice(page.body.indexOf('aria-labelledby="contact"'), page.body.indexOf('</section>', page.body.indexOf('aria-labelledby="contact"')));
    assert.match(card, /<span class="badge bad">opted out<\/span>/);
    assert.doesNotMatch(card, /badge ok">two-way/);
    assert.match(card, /SMS consent<\/dt><dd><span class="badge warn">yes<\/span><span class="muted"> — recorded, but the number has since opted out/);
  });

  test('the cases list: `opted out`, not `two-way`; the filter finds it', async () => {
    const list = await ui.get('/ui/p/kenya/cases');
    const row = rowOf(list.body, 'Stopped Sam');
    assert.match(row, /opted out/);
    assert.doesNotMatch(row, /two-way/);
    const filtered = await ui.get('/ui/p/kenya/cases?optedOut=yes');
    assert.match(filtered.body, /<strong id="total">1 case<\/strong>/);
    assert.match(filtered.body, /Stopped Sam/);
  });

  test('the worker page and the workers list: `opted out` next to the number', async () => {
    const page = await ui.get(`/ui/p/kenya/mobile-workers/${workerId}`);
    const row = page.body.split('<tr>').find((r) => r.includes(STOPPED));
    assert.ok(row);
    assert.match(row, /opted out/);
    const list = await ui.get('/ui/p/kenya/mobile-workers');
    assert.match(list.body, new RegExp(`${STOPPED.replace('+', '\\+')}</span> <span class="badge [a-z]+">[a-z ]+</span> <span class="badge bad">opted out`));
  });
});

describe('problems in the list', () => {
  test('each problem of a case shows in the Problems column (a time zone, a number in use)', async () => {
    const list = await ui.get('/ui/p/kenya/cases');
    assert.match(rowOf(list.body, 'Bad Zone'), /time zone not known/);
    assert.match(rowOf(list.body, 'Second Comer'), /number used by another contact/);
    assert.doesNotMatch(rowOf(list.body, 'Healthy Hana'), /class="problems"><div/);
    const filtered = await ui.get('/ui/p/kenya/cases?problems=yes');
    assert.match(filtered.body, /Bad Zone/);
    assert.match(filtered.body, /Second Comer/);
    assert.doesNotMatch(filtered.body, /Healthy Hana/);
  });
});

describe('PHONE_NUMBER_IN_USE names the holder', () => {
  test('in the same project: the case page names and links the case that holds the number', async () => {
    const page = await ui.get(`/ui/p/kenya/cases/${second.id}`);
    assert.match(page.body, new RegExp(`Replies from this number go to <span>the case <a href="/ui/p/kenya/cases/${holder.id}" class="holder">First Holder</a></span>`));
    const api = (await t.request('GET', `/api/v1/projects/kenya/cases/${second.id}`)).json();
    const problem = api.contact.problems.find((p: { code: string }) => p.code === 'PHONE_NUMBER_IN_USE');
    assert.deepEqual(problem.holder, { type: 'case', id: holder.id, name: 'First Holder' });
  });

  test('in another project: "a contact in another project", never its name or id', async () => {
    const page = await ui.get(`/ui/p/kenya/cases/${acrossHere.id}`);
    assert.match(page.body, /Replies from this number go to <span>a contact in another project<\/span>/);
    assert.doesNotMatch(page.body, /Secret Person Elsewhere/);
    assert.ok(!page.body.includes(acrossHolder.id));
    const api = (await t.request('GET', `/api/v1/projects/kenya/cases/${acrossHere.id}`));
    assert.ok(!api.body.includes(acrossHolder.id) && !api.body.includes('Secret Person'));
    assert.deepEqual(api.json().contact.problems.find((p: { code: string }) => p.code === 'PHONE_NUMBER_IN_USE').holder, { type: 'another-project' });
  });

  test('the worker page: `already in use` names the case of the same project that holds it', async () => {
    const page = await ui.get(`/ui/p/kenya/mobile-workers/${workerId}`);
    const row = page.body.split('<tr>').find((r) => r.includes(WORKER_SHARED));
    assert.ok(row);
    assert.match(row, /already in use/);
    assert.match(row, /receives replies for <span>the case <a href="\/ui\/p\/kenya\/cases\/[0-9a-f-]{36}" class="holder">Worker Number Holder<\/a><\/span>/);
  });
});
