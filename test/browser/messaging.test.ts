/**
 * Messaging in the admin UI (Chromium): set up a gateway and a route, send from a case page and see
 * it sent in the conversation; read a failure in words on the case page and in the message log.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { dispatchOnce } from '../../src/services/dispatch.service.ts';
import { shots, signedInPage, startBrowserApp } from '../support/browser.ts';
import type { TestApp } from '../support/test-app.ts';

let t: TestApp;
let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};

before(async () => {
  ({ t, browser, base, close } = await startBrowserApp({}, async (t) => {
    await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  }));
});
after(() => close());

function signedIn(): Promise<Page> {
  return signedInPage(browser, base);
}

test('set up a gateway, send from the case page, see it sent; read a failure in words', async () => {
  const page = await signedIn();
  await page.goto(`${base}/ui/p/clinic/gateways`);
  assert.match(await page.locator('.empty').innerText(), /No gateway yet/);
  await page.fill('#f-name', 'test1');
  await page.selectOption('#f-type', 'test');
  await Promise.all([page.waitForURL(/notice=created/), page.click('text=Add gateway')]);
  assert.match(await page.locator('#in-0').inputValue(), /\/webhooks\/[A-Za-z0-9_-]+\/inbound$/);
  await page.fill('#f-routes', '* TEST1');
  await Promise.all([page.waitForURL(/notice=routes/), page.click('text=Save routes')]);
  await page.screenshot({ path: path.join(shots, 'gateways-page.png'), fullPage: true });

  const kenyan = (await t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType: 'patient', name: 'Amina', properties: { contact_phone_number: '0712000001' } } })).json();
  await page.goto(`${base}/ui/p/clinic/cases/${kenyan.id}`);
  assert.match(await page.locator('section[aria-labelledby=reach]').innerText(), /Can receive SMS, through TEST1/);
  await page.fill('#f-text', 'Clinic day is Monday');
  await Promise.all([page.waitForURL(/notice=sent/), page.click('text=Send SMS')]);
  await dispatchOnce(t.deps, { batchSize: 10, leaseMs: 60_000 });
  await page.reload();
  const conversation = await page.locator('#conversation').innerText();
  assert.match(conversation, /Clinic day is Monday/);
  assert.match(conversation, /sent/);

  const american = (await t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType: 'patient', name: 'Ann', properties: { contact_phone_number: '+1 206 813 0912' } } })).json();
  await page.goto(`${base}/ui/p/clinic/cases/${american.id}`);
  assert.match(await page.locator('section[aria-labelledby=reach]').innerText(), /Cannot receive SMS now/);
  await page.fill('#f-text', 'Hello');
  await Promise.all([page.waitForURL(/notice=send-failed/), page.click('text=Send SMS')]);
  const failure = await page.locator('#conversation .problem').first().innerText();
  assert.match(failure, /requires recorded consent/);
  assert.match(failure, /NO_SMS_CONSENT/);
  await page.screenshot({ path: path.join(shots, 'case-conversation.png'), fullPage: true });

  await page.goto(`${base}/ui/p/clinic/messages?status=failed`);
  const log = await page.locator('tbody').innerText();
  assert.match(log, /requires recorded consent/);
  assert.doesNotMatch(log, /Clinic day is Monday/);
  await page.screenshot({ path: path.join(shots, 'message-log.png'), fullPage: true });
  await page.close();
});
