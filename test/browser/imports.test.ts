/**
 * The import wizard in Chromium: upload a generated .xls (the seeds' layout, phone cells as numbers),
 * check the pre-filled mapping, dry run, run, watch the progress bar fill through htmx polling, read
 * the problems by row and column, download the annotated file; the history lists the import.
 * Then (issue 24) a sheet with everyday headers — Name, Mobile, Opt-in, Lang — and yes/no words for
 * consent: the suggestions with their reasons, the dry run's red consent warning with the preview,
 * the words confirmed, the page left and opened again with everything kept, the run, and the
 * contacts with consent.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { shots, startBrowserApp } from '../support/browser.ts';
import { type Cell, csv, readSheet, workbook } from '../support/import-files.ts';
import type { TestApp } from '../support/test-app.ts';

let t: TestApp;
let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-import-'));
const ROWS = 240;

before(async () => {
  ({ t, browser, base, close } = await startBrowserApp({ jobs: true, importChunkRows: 10 }, async (t) => {
    await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
    await t.createProject('mwanzo', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi', languages: ['en', 'sw'], defaultLanguage: 'sw' });
  }));
});
after(async () => {
  await close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function signedIn(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  await page.goto(`${base}/ui/sign-in`);
  await page.fill('#email', 'root@example.org');
  await page.fill('#password', 'root-password');
  await Promise.all([page.waitForURL(/\/ui\/projects/), page.click('button[type=submit]')]);
  return page;
}

function seedFile(): string {
  const rows: Cell[][] = [['Case Name', 'contact_phone_number', 'contact_phone_number_is_verified', 'commcare_email_address', 'case id', 'village']];
  for (let i = 1; i <= ROWS; i++) {
    // Row 5 (the 4th person) has a number too short to be real; row 7 has a bad email address.
    const phone: Cell = i === 4 ? 2547 : 254714000000 + i;
    rows.push([`Person ${i}`, phone, 1, i === 6 ? 'not-an-email' : '', '', i % 2 ? 'North' : 'South']);
  }
  const file = path.join(dir, 'sample_excel_contacts.xls');
  fs.writeFileSync(file, workbook(rows, 'xls'));
  return file;
}

test('upload, map, dry run, run, watch progress, read the problems, download the annotated file', async () => {
  const page = await signedIn();
  await page.goto(`${base}/ui/p/clinic/cases`);
  await Promise.all([page.waitForURL(/\/imports$/), page.click('nav >> text=Import')]);
  assert.match(await page.locator('.empty').innerText(), /No imports yet/);
  await page.setInputFiles('#f-file', seedFile());
  await Promise.all([page.waitForURL(/\/imports\/[0-9a-f-]{36}$/), page.click('text=Upload and map columns')]);
  assert.match(await page.locator('main').innerText(), new RegExp(`${ROWS} rows, 6 columns`));

  // The seed's columns are pre-mapped; the blank "case id" column is the match column.
  assert.equal(await page.locator('#f-map-0').inputValue(), 'name');
  assert.equal(await page.locator('#f-map-1').inputValue(), 'contact_phone_number');
  assert.equal(await page.locator('#f-map-2').inputValue(), 'contact_phone_number_is_verified');
  assert.equal(await page.locator('#f-map-3').inputValue(), 'commcare_email_address');
  assert.equal(await page.locator('#f-matchColumn').inputValue(), 'case id');
  assert.equal(await page.locator('#f-map-5').inputValue(), 'village');
  await page.fill('#f-caseType', 'contact');

  await page.click('text=Dry run (check, change nothing)');
  const dry = page.locator('[data-testid=dry-run]');
  await dry.waitFor();
  assert.match(await dry.locator('[data-testid=counts]').innerText(), new RegExp(`${ROWS - 0} to create`));
  assert.match(await dry.locator('[data-testid=normalisations]').innerText(), /254714000001\s+→ \+254714000001/);
  const dryProblems = await dry.locator('[data-testid=problems]').innerText();
  assert.match(dryProblems, /5\s+contact_phone_number[\s\S]*INVALID_PHONE_NUMBER/);
  assert.match(dryProblems, /7\s+commcare_email_address[\s\S]*INVALID_EMAIL_ADDRESS/);
  assert.equal((await t.request('GET', '/api/v1/projects/clinic/cases')).json().items.length, 0);
  // The seed layout gives a number and consent as 1: the only warning is the one invalid number.
  assert.equal(await dry.locator('[role=alert]').count(), 1);
  assert.match(await dry.locator('[data-testid=warning-invalid-numbers]').innerText(), /1 phone number is not valid/);
  assert.match(await dry.locator('[data-testid=invalid-numbers]').innerText(), /5\s+2547\s+/);

  // The form kept what was chosen; run it and watch the bar (the page is not reloaded: htmx swaps it).
  assert.equal(await page.locator('#f-caseType').inputValue(), 'contact');
  await Promise.all([page.waitForURL(/\/imports\/[0-9a-f-]{36}$/), page.click('text=Import now')]);
  const progress = page.locator('#import-progress');
  await progress.waitFor();
  await page.waitForSelector('#import-progress[data-status=done]', { timeout: 60_000 });
  assert.equal(await page.locator('#import-bar').getAttribute('value'), String(ROWS));
  const done = await progress.innerText();
  assert.match(done, new RegExp(`${ROWS} of ${ROWS} rows`));
  assert.match(done, new RegExp(`${ROWS} created`));
  const problems = await page.locator('[data-testid=problems]').innerText();
  assert.match(problems, /5\s+contact_phone_number[\s\S]*not a valid number[\s\S]*INVALID_PHONE_NUMBER/);
  assert.match(problems, /7\s+commcare_email_address[\s\S]*INVALID_EMAIL_ADDRESS/);
  await page.screenshot({ path: path.join(shots, 'import-results.png'), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=only rows with problems')]);
  const sheet = readSheet(fs.readFileSync(await download.path()));
  assert.deepEqual(sheet[0]?.at(-1), 'errors');
  assert.equal(sheet.length, 3);
  assert.match(sheet[1]?.at(-1) ?? '', /INVALID_PHONE_NUMBER/);

  await page.goto(`${base}/ui/p/clinic/imports`);
  const history = await page.locator('[data-testid=history]').innerText();
  assert.match(history, /sample_excel_contacts\.xls/);
  assert.match(history, new RegExp(`done[\\s\\S]*${ROWS} created`));
  await page.close();
});

test('everyday headers and yes/no consent: suggestions with reasons, the consent warning, confirmed, kept when leaving, imported with consent', async () => {
  const page = await signedIn();
  const rows: Cell[][] = [
    ['Name', 'Mobile', 'Opt-in', 'Lang'],
    ['Achieng', '0712 400 001', 'yes', 'sw'],
    ['Baraka', '0712400002', 'no', 'en'],
    ['Chausiku', '0712400003', 'ndiyo', 'sw'],
    ['Dalila', '0712400004', 'hapana', 'sw'],
    ['Elimu', '07124', 'yes', 'en'],
    ['Faraji', '+254712400006', 'Yes', 'en'],
  ];
  const file = path.join(dir, 'mothers.csv');
  fs.writeFileSync(file, csv(rows));
  await page.goto(`${base}/ui/p/mwanzo/imports`);
  await page.setInputFiles('#f-file', file);
  await Promise.all([page.waitForURL(/\/imports\/[0-9a-f-]{36}$/), page.click('text=Upload and map columns')]);
  const importUrl = page.url();

  // Each column's suggestion, with its reason next to the select.
  assert.equal(await page.locator('#f-map-0').inputValue(), 'name');
  assert.equal(await page.locator('#f-map-1').inputValue(), 'contact_phone_number');
  assert.equal(await page.locator('#f-map-2').inputValue(), 'contact_phone_number_is_verified');
  assert.equal(await page.locator('#f-map-3').inputValue(), 'language_code');
  assert.match(await page.locator('#f-map-1-why').innerText(), /'Mobile' looks like a phone number column/);
  assert.match(await page.locator('#f-map-2-why').innerText(), /'Opt-in' looks like a consent column/);
  assert.match(await page.locator('#f-map-3-why').innerText(), /'Lang' looks like a language column/);
  assert.equal(await page.locator('#f-map-1').getAttribute('aria-describedby'), 'f-map-1-why');

  await page.fill('#f-caseType', 'mother');
  await page.click('text=Dry run (check, change nothing)');
  const dry = page.locator('[data-testid=dry-run]');
  await dry.waitFor();
  // Red warnings first: the consent words, with what each would be read as, and the invalid number.
  const warning = dry.locator('[data-testid=warning-consent]');
  assert.equal(await warning.getAttribute('role'), 'alert');
  assert.match(await warning.innerText(), /holds values other than 1, 0, true or false in 6 rows/);
  const values = await warning.locator('[data-testid=consent-values]').innerText();
  assert.match(values, /yes\s+3\s+1 — consent/);
  assert.match(values, /no\s+1\s+0 — no consent/);
  assert.match(values, /ndiyo\s+1\s+1 — consent/);
  assert.match(values, /hapana\s+1\s+0 — no consent/);
  assert.match(await dry.locator('[data-testid=warning-invalid-numbers]').innerText(), /1 phone number is not valid/);
  assert.match(await dry.locator('[data-testid=invalid-numbers]').innerText(), /6\s+07124\s+.*too short/);
  assert.match(await dry.locator('[data-testid=problems]').innerText(), /IMPORT_CONSENT_VALUE/);
  assert.equal(await page.locator('#f-consentWords').isChecked(), false);
  await page.screenshot({ path: path.join(shots, 'import-dry-run.png'), fullPage: true });

  // Confirm the words and check again: the preview says they will be read, no consent problem is left.
  await page.check('#f-consentWords');
  await page.click('text=Dry run (check, change nothing)');
  await page.locator('[data-testid=warning-consent][role=status]').waitFor();
  assert.doesNotMatch(await page.locator('[data-testid=dry-run]').innerText(), /IMPORT_CONSENT_VALUE/);
  assert.equal(await page.locator('#f-consentWords').isChecked(), true);

  // Leave the page and come back: the case type, mapping and the confirmed words are kept.
  await page.goto(`${base}/ui/p/mwanzo/cases`);
  await page.goto(`${base}/ui/p/mwanzo/imports`);
  await Promise.all([page.waitForURL(importUrl), page.click('[data-testid=history] >> text=mothers.csv')]);
  assert.equal(await page.locator('#f-caseType').inputValue(), 'mother');
  assert.equal(await page.locator('#f-map-1').inputValue(), 'contact_phone_number');
  assert.equal(await page.locator('#f-map-2').inputValue(), 'contact_phone_number_is_verified');
  assert.equal(await page.locator('#f-consentWords').isChecked(), true);

  await Promise.all([page.waitForURL(importUrl), page.click('text=Import now')]);
  await page.waitForSelector('#import-progress[data-status=done]', { timeout: 60_000 });
  assert.match(await page.locator('#import-progress').innerText(), /6 created/);
  const cases = (await t.request('GET', '/api/v1/projects/mwanzo/cases?limit=50')).json().items as Array<Record<string, any>>;
  const byName = Object.fromEntries(cases.map((c) => [c.name, c]));
  for (const [name, consent] of [['Achieng', true], ['Baraka', false], ['Chausiku', true], ['Dalila', false], ['Faraji', true]] as const) {
    assert.equal(byName[name]?.contact.smsConsent, consent, name);
  }
  assert.equal(byName.Achieng?.contact.phoneNumber, '+254712400001');
  assert.equal(byName.Achieng?.contact.phoneStatus, 'two-way');
  assert.equal(byName.Achieng?.contact.language, 'sw');
  await page.close();
});
