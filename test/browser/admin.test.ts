/**
 * The admin UI in Debian's Chromium: sign-in, a case with a bad number showing its problem, adding
 * a worker number, escaping of user text, and CSRF refusal. Screenshots go to docs/screenshots/.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { shots, signedInPage, startBrowserApp } from '../support/browser.ts';
import type { TestApp } from '../support/test-app.ts';

let t: TestApp;
let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};

before(async () => {
  ({ t, browser, base, close } = await startBrowserApp({}, async (t) => {
    await t.createProject('kenya', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  }));
});
after(() => close());

function signedIn(): Promise<Page> {
  return signedInPage(browser, base);
}

describe('admin UI', () => {
  test('sign-in: a wrong password is refused in words; the right one lands on the projects', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/ui/p/kenya/cases`);
    assert.match(page.url(), /\/ui\/sign-in\?next=/);
    await page.fill('#email', 'root@example.org');
    await page.fill('#password', 'wrong-password');
    await page.click('button[type=submit]');
    assert.match(await page.locator('[role=alert]').innerText(), /email or password is not right/);
    await page.fill('#password', 'root-password');
    await Promise.all([page.waitForURL(/\/ui\/p\/kenya\/cases/), page.click('button[type=submit]')]);
    assert.match(await page.locator('h1').innerText(), /Cases/);
    await page.close();
  });

  test('creating a case with a bad phone number shows the problem in plain words', async () => {
    const page = await signedIn();
    await page.goto(`${base}/ui/p/kenya/cases`);
    assert.match(await page.locator('.empty').innerText(), /No cases here yet/);
    await page.fill('#f-name', 'Amina Otieno');
    await page.fill('#f-caseType', 'patient');
    await page.fill('#f-contact_phone_number', '1-800-FLOWERS');
    await Promise.all([page.waitForURL(/\/cases\/[0-9a-f-]{36}/), page.click('text=Create case')]);
    const problem = await page.locator('.problem').first().innerText();
    assert.match(problem, /contains letters/);
    assert.match(problem, /country code first/);
    assert.match(await page.locator('.badge').first().innerText(), /invalid/);
    await page.screenshot({ path: path.join(shots, 'case-page.png'), fullPage: true });
    // Fix it: a national number with the project country becomes E.164, two-way with consent.
    await page.fill('#f-contact_phone_number', '0712 345 678');
    await page.check('input[name=contact_phone_number_is_verified]');
    await page.click('text=Save changes');
    await page.waitForURL(/notice=saved/);
    const card = await page.locator('section[aria-labelledby=contact]').innerText();
    assert.match(card, /\+254712345678/);
    assert.match(card, /Kenya/);
    assert.match(card, /two-way/);
    assert.equal(await page.locator('section[aria-labelledby=problems]').count(), 0, 'no contact problems left');
    assert.match(await page.locator('section[aria-labelledby=reach]').innerText(), /No gateway is set up/);
    // Digits that are too few for any country: the case is kept, the problem says so.
    await page.goto(`${base}/ui/p/kenya/cases`);
    await page.fill('#f-name', 'Baraka Mwangi');
    await page.fill('#f-caseType', 'patient');
    await page.fill('#f-contact_phone_number', '12345');
    await Promise.all([page.waitForURL(/\/cases\/[0-9a-f-]{36}/), page.click('text=Create case')]);
    const short = await page.locator('.problem').first().innerText();
    assert.match(short, /"12345" is too short/);
    assert.match(short, /Check the digits/);
    await page.goto(`${base}/ui/p/kenya/cases?search=0712345678`);
    assert.equal(await page.locator('tbody tr').count(), 1);
    await page.goto(`${base}/ui/p/kenya/cases`);
    assert.match(await page.locator('tbody').innerText(), /Baraka Mwangi[\s\S]*number not valid/);
    await page.screenshot({ path: path.join(shots, 'cases-list.png'), fullPage: true });
    await page.close();
  });

  test('adding worker numbers: unverified, an invalid one explained, one in use by a consented case', async () => {
    const page = await signedIn();
    await page.goto(`${base}/ui/p/kenya/mobile-workers`);
    await page.fill('#f-username', 'wanjiru');
    await Promise.all([page.waitForURL(/mobile-workers\/[0-9a-f-]{36}/), page.click('text=Add mobile worker')]);
    await page.fill('#f-number', '254722000111');
    await page.click('text=Add Number');
    await page.waitForURL(/notice=added/);
    assert.match(await page.locator('section[aria-labelledby=numbers] tbody').innerText(), /\+254722000111\s+unverified/);
    await page.fill('#f-number', '12345');
    await page.click('text=Add Number');
    assert.match(await page.locator('[role=alert]').innerText(), /too short/);
    assert.equal(await page.inputValue('#f-number'), '12345', 'what was typed is kept');
    // +254712345678 is two-way for the consented case created above.
    await page.fill('#f-number', '+254712345678');
    await page.click('text=Add Number');
    await page.waitForURL(/notice=added/);
    const rows = await page.locator('section[aria-labelledby=numbers] tbody').innerText();
    assert.match(rows, /\+254712345678\s+already in use/);
    assert.match(rows, /remove it from the other mobile worker or close the case/);
    await page.screenshot({ path: path.join(shots, 'worker-page.png'), fullPage: true });
    await page.close();
  });

  test('user text is escaped: a script in a case name is shown, never run', async () => {
    const page = await signedIn();
    const evil = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">';
    const res = await t.request('POST', '/api/v1/projects/kenya/cases', { body: { caseType: 'patient', name: evil, properties: { note: evil } } });
    await page.goto(`${base}/ui/p/kenya/cases/${res.json().id}`);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.ok((await page.locator('h1').innerText()).includes('<script>'));
    await page.goto(`${base}/ui/p/kenya/cases`);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    await page.close();
  });

  test('a form posted without the CSRF token is refused', async () => {
    const page = await signedIn();
    const status = await page.evaluate(async (url) => {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Sneaky&caseType=x' });
      return r.status;
    }, `${base}/ui/p/kenya/cases`);
    assert.equal(status, 403);
    const count = await t.deps.db.selectFrom('cases').select('id').where('name', '=', 'Sneaky').execute();
    assert.equal(count.length, 0);
    await page.close();
  });
});
