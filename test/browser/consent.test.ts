/**
 * Consent in the admin UI (Chromium), as a program manager would check it: a reply that only looks
 * like an opt-out is held on the Possible opt-outs page, dismissed or confirmed there; the project's
 * own opt-out words are set on the settings page; and after a change of phone validation the
 * settings page shows the re-check of the contacts' numbers with a progress bar.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { shots, signedInPage, startBrowserApp, textFromTester, waitForText } from '../support/browser.ts';
import type { TestApp } from '../support/test-app.ts';

let t: TestApp;
let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};

before(async () => {
  ({ t, browser, base, close } = await startBrowserApp({ jobs: true, workers: true }, async (t) => {
    await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi', languages: ['en', 'sw'] });
    await t.request('POST', '/api/v1/projects/clinic/gateways', { body: { name: 'test', type: 'test' } });
    await t.request('PUT', '/api/v1/projects/clinic/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST' }] });
  }));
});
after(() => close());

function signedIn(): Promise<Page> {
  return signedInPage(browser, base);
}

async function newCase(name: string, number: string): Promise<string> {
  const res = await t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType: 'patient', name, properties: { contact_phone_number: number, contact_phone_number_is_verified: '1' } } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id;
}

test('a possible opt-out is held for review, then dismissed or confirmed on its page', async () => {
  await newCase('Amina Otieno', '+254712000501');
  await newCase('Baraka Mwangi', '+254712000502');
  const page = await signedIn();
  await textFromTester(page, base, 'clinic', '+254712000501', 'please stop texting me');
  await textFromTester(page, base, 'clinic', '+254712000502', "don't send me messages anymore");
  await page.goto(`${base}/ui/p/clinic/possible-opt-outs`);
  await waitForText(page, 'main', /don.t send me messages anymore/);
  const rows = page.locator('tbody tr');
  assert.equal(await rows.count(), 2);
  assert.match(await page.locator('h1').innerText(), /Possible opt-outs/);
  assert.match(await rows.first().innerText(), /\+254712000502[\s\S]*Baraka Mwangi[\s\S]*open/);
  await page.screenshot({ path: path.join(shots, 'possible-opt-outs.png'), fullPage: true });

  // Dismiss Amina's: she asked about something else.
  await Promise.all([page.waitForURL(/notice=dismiss/), rows.nth(1).locator('button', { hasText: 'Dismiss' }).click()]);
  assert.match(await page.locator('[role=status]').innerText(), /Dismissed/);
  assert.match(await page.locator('tbody tr').nth(1).innerText(), /dismissed/);
  // Confirm Baraka's: the number is opted out, as a STOP would do.
  await Promise.all([page.waitForURL(/notice=confirm/), page.locator('tbody tr').first().locator('button', { hasText: 'Confirm opt-out' }).click()]);
  assert.match(await page.locator('[role=status]').innerText(), /opted out/);
  await page.goto(`${base}/ui/p/clinic/numbers/${encodeURIComponent('+254712000502')}`);
  assert.match(await page.locator('.card').first().innerText(), /opted out/);
  assert.match(await page.locator('body').innerText(), /review/);
  await page.goto(`${base}/ui/p/clinic/numbers/${encodeURIComponent('+254712000501')}`);
  assert.match(await page.locator('.card').first().innerText(), /can receive/);
  await page.close();
});

test('the project adds its own opt-out word on the settings page, and it works at once', async () => {
  await newCase('Chausiku Wanjiru', '+254712000503');
  const page = await signedIn();
  await page.goto(`${base}/ui/p/clinic/settings`);
  await page.fill('#f-optOutKeywords', 'kwisha, basi');
  await Promise.all([page.waitForURL(/notice=saved/), page.locator('form', { has: page.locator('#f-optOutKeywords') }).locator('button[type=submit]').click()]);
  assert.equal(await page.inputValue('#f-optOutKeywords'), 'KWISHA, BASI');
  await textFromTester(page, base, 'clinic', '+254712000503', 'Kwisha!');
  await page.goto(`${base}/ui/p/clinic/opt-outs`);
  await waitForText(page, 'body', /\+254712000503/);
  await page.close();
});

test('after phone validation changes, the settings page shows the re-check of the numbers with a progress bar', async () => {
  for (let i = 0; i < 3; i++) {
    await newCase(`Test number ${i}`, `+1 555 123 000${i}`);
  }
  const page = await signedIn();
  await page.goto(`${base}/ui/p/clinic/settings`);
  await page.selectOption('#f-phoneValidation', 'possible');
  await Promise.all([page.waitForNavigation(), page.locator('form', { has: page.locator('#f-phoneValidation') }).locator('button[type=submit]').click()]);
  assert.match(page.url(), /notice=saved/, await page.locator('main').innerText());
  // The card refreshes itself (htmx) until the job is done; a reload shows the same.
  assert.equal(await page.locator('#contact-reevaluation progress').count(), 1);
  const done = await waitForText(page, '#contact-reevaluation', /Re-checked contacts.? numbers after the settings change: (\d+) of \1/);
  assert.match(done, /[1-9]\d* of/);
  const after = (await t.request('GET', '/api/v1/projects/clinic/cases?limit=100')).json().items.filter((c: Record<string, any>) => c.name.startsWith('Test number'));
  assert.deepEqual(after.map((c: Record<string, any>) => c.contact.phoneStatus), ['two-way', 'two-way', 'two-way']);
  await page.screenshot({ path: path.join(shots, 'settings-number-recheck.png'), fullPage: true });
  await page.close();
});
