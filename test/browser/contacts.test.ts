/**
 * The contacts list in Debian's Chromium, as a person uses it: the filters change the count, a
 * selection is closed in bulk (with a confirmation and the outcome in words), the export is
 * downloaded and imported back unchanged; the case page shows an opted-out number and a problem
 * naming who holds the number. Screenshots: docs/screenshots/contacts-list.png, case-page.png.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser } from 'playwright-core';

import { recordOptOut } from '../../src/services/consent.service.ts';
import { multipart } from '../support/import-files.ts';
import { shots, signedInPage, startBrowserApp } from '../support/browser.ts';
import { type TestApp, waitFinished } from '../support/test-app.ts';

type Json = any;

let t: TestApp;
let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};
const ids: Record<string, string> = {};

const PEOPLE: Array<[string, string, Record<string, string>]> = [
  ['patient', 'Amina Otieno', { contact_phone_number: '+254712300001', contact_phone_number_is_verified: '1', gender: 'female', age: '31', village: 'Kibera' }],
  ['patient', 'Baraka Mwangi', { contact_phone_number: '0712300002', gender: 'male', age: '45', village: 'Mathare' }],
  ['patient', 'Chausiku Njeri', { contact_phone_number: '12345', gender: 'female', age: '27' }],
  ['patient', 'Daudi Kiprono', { contact_phone_number: '+254712300004', contact_phone_number_is_verified: '1', language_code: 'sw', time_zone: 'Africa/Nairobi', village: 'Kibera' }],
  ['patient', 'Esther Wanjiku', { contact_phone_number: '+254712300004', contact_phone_number_is_verified: '1', commcare_email_address: 'esther@example.org', village: 'Kibera' }],
  ['patient', 'Faith Achieng', { contact_phone_number: '+254712300006', contact_phone_number_is_verified: '1', village: 'Kisumu', age: '38' }],
  ['household', 'Household Gitau', { contact_phone_number: '+254712300007', contact_phone_number_is_verified: '1', members: '5' }],
  ['patient', 'Hassan Omar', { contact_phone_number: '+254712300008', contact_phone_number_is_verified: '1', time_zone: 'Mars/Olympus', village: 'Mombasa' }],
];

before(async () => {
  ({ t, browser, base, close } = await startBrowserApp({ jobs: true }, async (t) => {
    await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi', languages: ['en', 'sw'], defaultLanguage: 'en' });
    for (const [caseType, name, properties] of PEOPLE) {
      const res = await t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType, name, properties } });
      assert.equal(res.statusCode, 201, res.body);
      ids[name] = res.json().id;
    }
    // Faith replied STOP.
    await t.deps.db.transaction().execute((trx) => recordOptOut(trx, { channel: 'sms', address: '+254712300006' }, { method: 'keyword', source: {}, projectId: null, contact: null, gateway: null }, new Date()));
  }));
});
after(() => close());

async function snapshot(): Promise<Json[]> {
  const items = (await t.request('GET', '/api/v1/projects/clinic/cases?limit=500&caseType=patient')).json().items;
  return items.map((c: Json) => ({ id: c.id, name: c.name, closed: c.closed, properties: c.properties }));
}

function waitDone(id: string): Promise<Json> {
  return waitFinished(t, `/api/v1/projects/clinic/imports/${id}`);
}

describe('contacts list in Chromium', () => {
  test('the filters change the count; the opted-out number says so; problems show in their column', async () => {
    const page = await signedInPage(browser, base);
    await page.goto(`${base}/ui/p/clinic/cases`);
    assert.equal(await page.locator('#total').innerText(), '8 cases');
    const faith = page.locator('tbody tr', { hasText: 'Faith Achieng' });
    assert.match(await faith.innerText(), /opted out/);
    assert.doesNotMatch(await faith.innerText(), /two-way/);
    assert.match(await page.locator('tbody tr', { hasText: 'Hassan Omar' }).innerText(), /time zone not known/);
    assert.match(await page.locator('tbody tr', { hasText: 'Esther Wanjiku' }).innerText(), /number used by another contact/);
    await page.screenshot({ path: path.join(shots, 'contacts-list.png'), fullPage: true });

    await page.selectOption('#q-phoneStatus', 'two-way');
    await Promise.all([page.waitForURL(/phoneStatus=two-way/), page.click('form[role=search] button[type=submit]')]);
    assert.equal(await page.locator('#total').innerText(), '5 cases');
    await page.selectOption('#q-optedOut', 'no');
    await page.fill('#q-caseType', 'patient');
    await Promise.all([page.waitForURL(/optedOut=no/), page.click('form[role=search] button[type=submit]')]);
    assert.equal(await page.locator('#total').innerText(), '3 cases');
    await page.fill('#q-search', '0712 300 004');
    await Promise.all([page.waitForURL(/search=/), page.click('form[role=search] button[type=submit]')]);
    assert.equal(await page.locator('#total').innerText(), '1 case');
    assert.match(await page.locator('tbody').innerText(), /Daudi Kiprono/);
    await page.goto(`${base}/ui/p/clinic/cases?problems=yes`);
    assert.equal(await page.locator('#total').innerText(), '3 cases');
    await page.close();
  });

  test('the case page: opted out on the card, the problem names the case that holds the number', async () => {
    const page = await signedInPage(browser, base);
    await page.goto(`${base}/ui/p/clinic/cases/${ids['Esther Wanjiku']}`);
    const problem = await page.locator('section[aria-labelledby=problems] .problem').first().innerText();
    assert.match(problem, /Replies from this number go to the case Daudi Kiprono/);
    await Promise.all([page.waitForURL(new RegExp(ids['Daudi Kiprono'] as string)), page.click('a.holder')]);
    await page.goto(`${base}/ui/p/clinic/cases/${ids['Faith Achieng']}`);
    const card = await page.locator('section[aria-labelledby=contact]').innerText();
    assert.match(card, /opted out/);
    assert.match(card, /recorded, but the number has since opted out/);
    await page.goto(`${base}/ui/p/clinic/cases/${ids['Esther Wanjiku']}`);
    await page.screenshot({ path: path.join(shots, 'case-page.png'), fullPage: true });
    await page.close();
  });

  test('bulk close: select two, confirm, and read the outcome', async () => {
    const page = await signedInPage(browser, base);
    await page.goto(`${base}/ui/p/clinic/cases?caseType=household`);
    await page.goto(`${base}/ui/p/clinic/cases`);
    await page.check(`#sel-${ids['Baraka Mwangi']}`);
    await page.check(`#sel-${ids['Chausiku Njeri']}`);
    await Promise.all([page.waitForURL(/bulk\/close/), page.click('button:has-text("Close…")')]);
    assert.match(await page.locator('h1').innerText(), /Close 2 cases\?/);
    page.once('dialog', (d) => void d.accept());
    await Promise.all([page.waitForURL(/done=close/), page.click('button:has-text("Close these cases")')]);
    assert.match(await page.locator('[role=status]').innerText(), /2 closed/);
    const closed = (await snapshot()).filter((c) => c.closed).map((c) => c.name);
    assert.deepEqual(closed.sort(), ['Baraka Mwangi', 'Chausiku Njeri']);
    await page.close();
  });

  test('export: the CSV downloaded from the export page is imported back with no change', async () => {
    const page = await signedInPage(browser, base);
    await page.goto(`${base}/ui/p/clinic/export`);
    await page.fill('#q-caseType', 'patient');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("Download CSV")')]);
    const file = path.join(await fs.promises.mkdtemp('/tmp/contacts-'), download.suggestedFilename());
    await download.saveAs(file);
    assert.match(download.suggestedFilename(), /^clinic-patient-contacts-\d{4}-\d{2}-\d{2}\.csv$/);
    const bytes = await fs.promises.readFile(file);
    assert.match(bytes.toString('utf8').split('\r\n')[0] ?? '', /^\ufeffcase id,Case Name,external_id,owner_id,contact_phone_number,contact_phone_number_is_verified,commcare_email_address/);
    const beforeCases = await snapshot();
    const form = multipart({ name: download.suggestedFilename(), bytes });
    const up = (await t.request('POST', '/api/v1/projects/clinic/imports', { body: form.body, headers: form.headers })).json();
    const body = { caseType: 'patient', matchBy: 'case_id', matchColumn: 'case id', createNew: false, mapping: up.suggestedMapping };
    const run = await t.request('POST', `/api/v1/projects/clinic/imports/${up.id}/run`, { body });
    assert.equal(run.statusCode, 202, run.body);
    const done = await waitDone(up.id);
    assert.equal(done.status, 'done');
    // The import restates the contacts' own problems (a short number, a number in use, an unknown
    // zone) as warnings on their rows; none is a failure, and nothing is created.
    assert.deepEqual(
      done.result.errors.map((e: Json) => e.code).sort(),
      ['INVALID_PHONE_NUMBER', 'INVALID_TIME_ZONE', 'PHONE_NUMBER_IN_USE'],
    );
    assert.equal(done.result.failed, 0);
    assert.equal(done.result.created, 0);
    assert.deepEqual(await snapshot(), beforeCases, 'the re-import changed nothing');
    await page.close();
  });
});
