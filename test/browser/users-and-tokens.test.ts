/**
 * Web users and API tokens in Chromium. A project admin adds a user (the one-time password shown
 * once, with a Copy button), changes their role and deactivates them (after confirming); the user
 * then signs in and creates an API token, sees it once, uses it against the API, revokes it on the
 * page (after confirming) and the same token is refused.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { Browser } from 'playwright-core';

import { shots, signedInPage, startBrowserApp } from '../support/browser.ts';

let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};

before(async () => {
  ({ browser, base, close } = await startBrowserApp({}, async (t) => {
    await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
    await t.createMember('clinic', 'admin', 'amina@clinic.example');
    // Added with a password through the API: no API token yet (createMember's users have one).
    const res = await t.request('POST', '/api/v1/projects/clinic/users', { body: { email: 'baraka@clinic.example', password: 'member-password', role: 'member' } });
    assert.equal(res.statusCode, 201, res.body);
  }));
});
after(() => close());

async function me(token: string): Promise<number> {
  const res = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  return res.status;
}

test('an admin adds a user with a one-time password, changes their role and deactivates them', async () => {
  const page = await signedInPage(browser, base, 'amina@clinic.example', 'member-password');
  await page.goto(`${base}/ui/p/clinic/users`);
  assert.equal(await page.locator('nav.side a[aria-current="page"]').innerText(), 'Web users and roles');
  const rows = page.locator('#web-users tbody tr');
  assert.equal(await rows.count(), 2);
  assert.match(await page.locator('#web-users').innerText(), /amina@clinic\.example \(you\)\s+Admin\s+Active/);

  await page.fill('#f-email', 'chausiku@clinic.example');
  await page.selectOption('#f-role', 'member');
  await page.click('text=Add user');
  const shown = page.locator('#new-password');
  await shown.waitFor();
  const password = await shown.inputValue();
  assert.ok(password.length >= 8);
  assert.match(await page.locator('.secret-once').innerText(), /shown only now/);
  assert.equal(await page.locator('button[data-copy="new-password"]').innerText(), 'Copy');
  const row = page.locator('tr', { hasText: 'chausiku@clinic.example' });
  assert.match(await row.innerText(), /Member\s+Active\s+Never/);

  // Change the role: choosing it in the picker submits the form.
  const id = (await row.getAttribute('id'))?.replace('user-', '') ?? '';
  await Promise.all([page.waitForURL(/notice=role/), page.selectOption(`#role-${id}`, 'admin')]);
  assert.match(await page.locator('.notice').innerText(), /Role changed/);
  assert.match(await page.locator(`#user-${id}`).innerText(), /Admin\s+Active/);
  assert.ok(!(await page.content()).includes(password), 'the password is not shown again');

  // Deactivate: the browser asks first; dismissing keeps the user active.
  page.once('dialog', (d) => void d.dismiss());
  await page.locator(`#user-${id} button`, { hasText: 'Deactivate' }).click();
  await page.waitForTimeout(200);
  assert.match(await page.locator(`#user-${id}`).innerText(), /Active/);
  page.once('dialog', (d) => {
    assert.match(d.message(), /Deactivate chausiku@clinic\.example in clinic\?/);
    void d.accept();
  });
  await Promise.all([page.waitForURL(/notice=deactivated/), page.locator(`#user-${id} button`, { hasText: 'Deactivate' }).click()]);
  assert.match(await page.locator(`#user-${id}`).innerText(), /Admin\s+Deactivated/);
  assert.equal(await page.locator(`#user-${id} button`, { hasText: 'Reactivate' }).count(), 1);
  await page.screenshot({ path: path.join(shots, 'users.png'), fullPage: true });

  // The deactivated user signs in but no longer has the project.
  const theirs = await signedInPage(browser, base, 'chausiku@clinic.example', password);
  const res = await theirs.goto(`${base}/ui/p/clinic/cases`);
  assert.equal(res?.status(), 404);
  await theirs.close();

  // The admin's own row offers no way to lock themselves out silently: trying says why.
  const self = page.locator('tr', { hasText: '(you)' });
  page.once('dialog', (d) => void d.accept());
  await Promise.all([page.waitForURL(/\/deactivate$/), self.locator('button', { hasText: 'Deactivate' }).click()]);
  assert.match(await page.locator('.error').innerText(), /You cannot deactivate yourself.*CONFLICT/s);
  await page.close();
});

test('a user creates an API token, sees it once, uses it, revokes it on the page, and it is refused', async () => {
  const page = await signedInPage(browser, base, 'baraka@clinic.example', 'member-password');
  await page.goto(`${base}/ui/p/clinic/dashboard`);
  await Promise.all([page.waitForURL(/\/ui\/tokens$/), page.click('nav.side >> text=API tokens')]);
  assert.match(await page.locator('.empty').innerText(), /You have no API tokens/);

  await page.fill('#f-name', 'weekly report');
  assert.deepEqual(
    await page.locator('#f-expires option').allInnerTexts(),
    ['In 7 days', 'In 30 days', 'In 90 days', 'In a year', 'Never (until revoked)'],
  );
  await page.selectOption('#f-expires', '30');
  await page.click('text=Create token');
  const field = page.locator('#new-token');
  await field.waitFor();
  const token = await field.inputValue();
  assert.match(token, /^rc_/);
  assert.match(await page.locator('#token-created').innerText(), /shown only this once/);
  assert.ok(!page.url().includes(token), 'not in the URL');
  assert.equal(await page.locator('button[data-copy="new-token"]').count(), 1);
  assert.match(await page.locator('#api-tokens').innerText(), /weekly report.*Never used/s);
  await page.screenshot({ path: path.join(shots, 'api-tokens.png'), fullPage: true });

  assert.equal(await me(token), 200, 'the token works');
  await page.goto(`${base}/ui/tokens`);
  assert.ok(!(await page.content()).includes(token), 'not shown again');
  const row = page.locator('#api-tokens tr', { hasText: 'weekly report' });
  assert.doesNotMatch(await row.innerText(), /Never used/, 'its use is recorded');

  page.once('dialog', (d) => {
    assert.match(d.message(), /Revoke the token “weekly report”/);
    void d.accept();
  });
  await Promise.all([page.waitForURL(/notice=revoked/), row.locator('button', { hasText: 'Revoke' }).click()]);
  assert.match(await page.locator('.notice').innerText(), /Token revoked/);
  assert.equal(await page.locator('#api-tokens').count(), 0, 'the list is empty again');
  assert.equal(await me(token), 401, 'refused after revoking');
  await page.close();
});
