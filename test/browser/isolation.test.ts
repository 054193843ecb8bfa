/**
 * Project isolation in the admin UI (Chromium), as the people of two projects see it: a member of
 * clinic sees its gateways but not their webhook URLs (which work as passwords) and has no SMS
 * tester; clinic's admin sees its own gateway's URL with how it is authenticated, not the global
 * gateway's; and the SMS tester refuses to speak as a contact of another project.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { Browser } from 'playwright-core';

import { shots, signedInPage, startBrowserApp } from '../support/browser.ts';
import type { TestApp } from '../support/test-app.ts';

let t: TestApp;
let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};

before(async () => {
  ({ t, browser, base, close } = await startBrowserApp({}, async (t) => {
    for (const name of ['clinic', 'partner']) {
      await t.createProject(name, { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
      await t.request('POST', `/api/v1/projects/${name}/gateways`, { body: { name: 'test', type: 'test' } });
    }
    await t.request('POST', '/api/v1/gateways', { body: { name: 'shared', type: 'test' } });
    const c = await t.request('POST', '/api/v1/projects/partner/cases', { body: { caseType: 'patient', name: 'Partner patient', properties: { contact_phone_number: '+254712400400' } } });
    assert.equal(c.statusCode, 201, c.body);
    await t.createMember('clinic', 'member', 'member@example.org');
    await t.createMember('clinic', 'admin', 'admin@example.org');
  }));
});
after(() => close());

test("a member sees the gateways without their webhook URLs, and cannot open the SMS tester", async () => {
  const page = await signedInPage(browser, base, 'member@example.org', 'member-password');
  await page.goto(`${base}/ui/p/clinic/gateways`);
  const text = await page.locator('main').innerText();
  assert.match(text, /Inbound messages URL: only this project's admins see it/);
  assert.match(text, /Inbound messages URL: only a superuser sees it/);
  assert.doesNotMatch(await page.content(), /\/webhooks\//);
  assert.match(text, /Only a project admin can add or change gateways and routes/);
  await page.screenshot({ path: path.join(shots, 'gateways-member.png'), fullPage: true });
  const tester = await page.goto(`${base}/ui/p/clinic/tester`);
  assert.equal(tester?.status(), 403);
  await page.close();
});

test("an admin sees the project's own webhook URL and how it is authenticated, and the tester refuses another project's contact", async () => {
  const page = await signedInPage(browser, base, 'admin@example.org', 'member-password');
  await page.goto(`${base}/ui/p/clinic/gateways`);
  const card = await page.locator('#gw-TEST').innerText();
  assert.match(await page.locator('#gw-TEST input[readonly]').first().inputValue(), /\/webhooks\/.+\/inbound$/);
  assert.match(card, /Not signed: the secret key in this URL is the only proof/);
  assert.match(await page.locator('#gw-SHARED').innerText(), /only a superuser sees it/);
  await page.screenshot({ path: path.join(shots, 'gateways-admin-webhooks.png'), fullPage: true });
  // A URL that may have leaked is replaced from the page; the old one stops working at once.
  const before = await page.locator('#gw-TEST input[readonly]').first().inputValue();
  page.once('dialog', (d) => void d.accept());
  await Promise.all([page.waitForURL(/notice=rotated/), page.locator('#gw-TEST').getByText('New webhook URLs').click()]);
  assert.match(await page.locator('.notice').innerText(), /New webhook URLs made/);
  const after = await page.locator('#gw-TEST input[readonly]').first().inputValue();
  assert.notEqual(after, before);
  const old = await t.app.inject({ method: 'POST', url: new URL(before).pathname, payload: { from: '+254700000001', text: 'hi' } });
  assert.equal(old.statusCode, 404);

  await page.goto(`${base}/ui/p/clinic/tester`);
  assert.deepEqual(await page.locator('#f-gateway option').allInnerTexts(), ['TEST']);
  await page.fill('#f-from', '+254712400400');
  await page.fill('#f-text', 'STOP');
  await page.click('text=Send as this phone');
  const alert = await page.locator('.error').innerText();
  assert.match(alert, /belongs to a contact of another project/);
  await page.screenshot({ path: path.join(shots, 'sms-tester-foreign-number.png'), fullPage: true });
  const lookup = (await t.request('GET', '/api/v1/projects/partner/phone-numbers/254712400400')).json();
  assert.equal(lookup.optedOut, false);
  await page.close();
});
