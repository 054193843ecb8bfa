/**
 * Inbound flows in the admin UI (Chromium), tried the way a program manager would before going live:
 * verify a worker's number by replying 123 from the SMS tester, and self-register with "join".
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { shots, signedInPage, startBrowserApp, textFromTester as sendFromTester, waitForText } from '../support/browser.ts';
import type { TestApp } from '../support/test-app.ts';

let t: TestApp;
let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};

before(async () => {
  ({ t, browser, base, close } = await startBrowserApp({ workers: true }, async (t) => {
    await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
    await t.request('POST', '/api/v1/projects/clinic/gateways', { body: { name: 'test', type: 'test', replyToNumber: '+254700100100' } });
    await t.request('PUT', '/api/v1/projects/clinic/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST' }] });
  }));
});
after(() => close());

function signedIn(): Promise<Page> {
  return signedInPage(browser, base);
}

function textFromTester(page: Page, from: string, text: string): Promise<void> {
  return sendFromTester(page, base, 'clinic', from, text);
}

test('verify a worker number by replying 123 from the SMS tester', async () => {
  const page = await signedIn();
  const w = (await t.request('POST', '/api/v1/projects/clinic/mobile-workers', { body: { username: 'wanjiru' } })).json();
  await t.request('POST', `/api/v1/projects/clinic/mobile-workers/${w.id}/phone-numbers`, { body: { number: '+254712000321' } });
  await page.goto(`${base}/ui/p/clinic/mobile-workers/${w.id}`);
  await Promise.all([page.waitForURL(/notice=started/), page.click('button:has-text("Verify")')]);
  assert.match(await page.locator('[role=status]').innerText(), /reply 123/);
  assert.match(await page.locator('section[aria-labelledby=numbers] tbody').innerText(), /pending/);
  await textFromTester(page, '0712000321', '123');
  const thread = await waitForText(page, 'section[aria-labelledby=thread]', /verified/);
  assert.match(thread, /reply 123 to \+254700100100/);
  await page.screenshot({ path: path.join(shots, 'sms-tester.png'), fullPage: true });
  await page.goto(`${base}/ui/p/clinic/mobile-workers/${w.id}`);
  assert.match(await page.locator('section[aria-labelledby=numbers] tbody').innerText(), /\+254712000321\s+verified/);
  await page.close();
});

test('turn on self-registration, then "join clinic" from the tester creates a two-way case', async () => {
  const page = await signedIn();
  await page.goto(`${base}/ui/p/clinic/settings`);
  await page.check('input[name=caseEnabled]');
  await page.fill('#f-caseType', 'participant');
  await page.selectOption('#f-welcomeMessageTo', 'cases');
  await Promise.all([page.waitForURL(/notice=saved/), page.click('form[action$="/settings/messaging"] button[type=submit]')]);
  await textFromTester(page, '+254712000654', 'JOIN CLINIC');
  await waitForText(page, 'section[aria-labelledby=thread]', /Thank you for registering with clinic/);
  await page.goto(`${base}/ui/p/clinic/cases?search=%2B254712000654`);
  await page.click('tbody a');
  const card = await page.locator('section[aria-labelledby=contact]').innerText();
  assert.match(card, /two-way/);
  assert.match(card, /yes/);
  await textFromTester(page, '+254712000654', 'STOP');
  await waitForText(page, 'section[aria-labelledby=thread]', /reply START/);
  await page.goto(`${base}/ui/p/clinic/opt-outs`);
  await page.click('text=+254712000654');
  const history = await page.locator('section[aria-labelledby=consent]').innerText();
  assert.match(history, /consent-granted\s+self-registration/);
  assert.match(history, /opt-out\s+keyword/);
  await page.close();
});
