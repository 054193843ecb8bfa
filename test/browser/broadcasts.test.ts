/**
 * Send / broadcast in Chromium: compose in two languages with the live length counter, see the
 * preview (recipients, who cannot be reached and why, what each language gets and its SMS count),
 * send, watch the progress bar reach done while dispatch runs (the page polls by itself), come back
 * to it later, and cancel a scheduled broadcast.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { Browser } from 'playwright-core';

import { dispatchOnce } from '../../src/services/dispatch.service.ts';
import { shots, signedInPage, startBrowserApp } from '../support/browser.ts';
import type { TestApp } from '../support/test-app.ts';

let t: TestApp;
let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};

before(async () => {
  ({ t, browser, base, close } = await startBrowserApp({ jobs: true }, async (t) => {
    await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi', languages: ['en', 'sw'], defaultLanguage: 'en' });
    await t.request('POST', '/api/v1/projects/clinic/gateways', { body: { name: 'test', type: 'test' } });
    await t.request('PUT', '/api/v1/projects/clinic/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST' }] });
    const people: Array<[string, Record<string, string>]> = [
      ['Amina', { contact_phone_number: '0712000001' }],
      ['Baraka', { contact_phone_number: '0712000002', language_code: 'sw' }],
      ['Chausiku', { contact_phone_number: '0712000003', language_code: 'sw' }],
      ['Dalia', { contact_phone_number: '0712000004' }],
      ['Ann (US)', { contact_phone_number: '+1 206 813 0912' }],
      ['No number', {}],
    ];
    for (const [name, properties] of people) {
      const res = await t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType: 'mother', name, properties } });
      assert.equal(res.statusCode, 201, res.body);
    }
  }));
});
after(() => close());

test('compose in two languages, preview who is reached, send and watch the progress bar reach done', async () => {
  const page = await signedInPage(browser, base);
  await page.goto(`${base}/ui/p/clinic/broadcasts`);
  assert.match(await page.locator('.empty').innerText(), /No broadcasts yet/);
  await Promise.all([page.waitForURL(/\/broadcasts\/new$/), page.click('text=New broadcast')]);
  assert.equal(await page.locator('label[for="f-text-en"]').innerText(), 'English (en) — default');
  assert.equal(await page.locator('label[for="f-text-sw"]').innerText(), 'Swahili (sw)');
  await page.check('#f-source');
  await page.selectOption('#f-caseType', 'mother');
  await page.fill('#f-text-en', 'Clinic day is Monday. Bring the child’s card.');
  // The counter updates as one types (htmx posts the text, never in a URL).
  await page.locator('#f-text-en').press('End');
  await page.waitForFunction(() => /UCS-2/.test(document.getElementById('f-text-en-count')?.textContent ?? ''));
  assert.match(await page.locator('#f-text-en-count').innerText(), /45 characters · 1 SMS · Unicode \(UCS-2\) because of “’”/);
  await page.fill('#f-text-sw', 'Siku ya kliniki ni Jumatatu. Leteni kadi ya mtoto.');
  await page.locator('#f-text-sw').press('End');
  await page.waitForFunction(() => /GSM-7/.test(document.getElementById('f-text-sw-count')?.textContent ?? ''));
  await Promise.all([page.waitForURL(/\/broadcasts\/preview$/), page.click('button:has-text("Preview")')]);

  assert.equal((await page.locator('#stat-total').innerText()).trim(), '6');
  assert.equal((await page.locator('#stat-reachable').innerText()).trim(), '4');
  assert.equal((await page.locator('#stat-unreachable').innerText()).trim(), '2');
  const reasons = await page.locator('#unreachable').innerText();
  assert.match(reasons, /requires recorded consent/);
  assert.match(reasons, /NO_SMS_CONSENT/);
  assert.match(reasons, /The contact has no phone number/);
  const groups = await page.locator('#by-language').innerText();
  assert.match(groups, /English \(en\) — default\s+2/);
  assert.match(groups, /Swahili \(sw\)\s+2/);
  assert.match(groups, /Siku ya kliniki ni Jumatatu/);
  assert.match(groups, /50 characters · 1 SMS · GSM-7, 160 per SMS/);
  await page.screenshot({ path: path.join(shots, 'broadcast-composer.png'), fullPage: true });

  // Change goes back with everything kept.
  await page.click('button:has-text("Change")');
  assert.equal(await page.locator('#f-text-sw').inputValue(), 'Siku ya kliniki ni Jumatatu. Leteni kadi ya mtoto.');
  await Promise.all([page.waitForURL(/\/broadcasts\/preview$/), page.click('button:has-text("Preview")')]);

  await Promise.all([page.waitForURL(/\/broadcasts\/[0-9a-f-]{36}\?notice=created$/), page.click('#send')]);
  assert.doesNotMatch(page.url(), /Clinic/);
  const broadcastUrl = page.url().split('?')[0] ?? '';
  await page.waitForFunction(() => /Queued \d+/.test(document.getElementById('progress')?.textContent ?? '') && document.getElementById('n-queued')?.textContent === '4', undefined, { timeout: 15_000 });
  // The worker sends while the page is open: the bar fills without a reload.
  await dispatchOnce(t.deps, { batchSize: 100, leaseMs: 60_000 });
  await page.waitForSelector('#progress[data-finished="true"]', { timeout: 15_000 });
  assert.equal(await page.locator('#n-sent').innerText(), '4');
  assert.equal(await page.locator('#n-failed').innerText(), '2');
  assert.match(await page.locator('#progress .badge').innerText(), /done/);
  assert.match(await page.locator('#failures').innerText(), /NO_SMS_CONSENT/);
  await page.screenshot({ path: path.join(shots, 'broadcast-progress.png'), fullPage: true });

  // Leave and come back: the state is the server's.
  await page.goto(`${base}/ui/p/clinic/broadcasts`);
  const row = await page.locator('#broadcasts tbody tr').first().innerText();
  assert.match(row, /done/);
  assert.match(row, /4 sent · 2 failed/);
  await page.goto(broadcastUrl);
  assert.equal(await page.locator('#n-sent').innerText(), '4');
  await page.close();
});

test('a broadcast at a local time is scheduled, then cancelled', async () => {
  const page = await signedInPage(browser, base);
  await page.goto(`${base}/ui/p/clinic/broadcasts/new`);
  await page.selectOption('#f-caseType', 'mother');
  await page.fill('#f-text-en', 'Vaccination day next month');
  await page.check('#f-when-later');
  await page.fill('#f-sendAt', '2035-01-15T09:00');
  assert.match(await page.locator('#f-sendAt-help').innerText(), /each contact’s own time zone.*Africa\/Nairobi \(EAT\)/);
  await Promise.all([page.waitForURL(/\/broadcasts\/preview$/), page.click('button:has-text("Preview")')]);
  assert.match(await page.locator('#when').locator('..').innerText(), /2035-01-15 09:00 in each contact’s own time zone/);
  await Promise.all([page.waitForURL(/notice=created$/), page.click('#send')]);
  await page.waitForFunction(() => /scheduled/.test(document.querySelector('#progress .badge')?.textContent ?? ''), undefined, { timeout: 15_000 });
  await page.reload();
  assert.equal(await page.locator('#n-scheduled').innerText(), '4');
  page.once('dialog', (d) => void d.accept());
  await Promise.all([page.waitForURL(/notice=cancelled$/), page.click('button:has-text("Cancel broadcast")')]);
  assert.match(await page.locator('.notice').innerText(), /Broadcast cancelled/);
  assert.match(await page.locator('#progress .badge').innerText(), /cancelled/);
  assert.match(await page.locator('#failures').innerText(), /cancelled the scheduled broadcast/);
  assert.equal(await page.locator('button:has-text("Cancel broadcast")').count(), 0);
  await page.close();
});
