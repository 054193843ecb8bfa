/**
 * The admin UI's Content-Security-Policy in Chromium (http/security-headers.ts): pages across the
 * UI load and work with no CSP violation (listened for as `securitypolicyviolation` events and as
 * console errors), htmx runs without injecting its indicator <style>, and the behaviours that were
 * inline handlers work from /ui/assets/admin.js: a form with data-confirm asks first (cancel keeps
 * the case open, OK closes it).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { signedInPage, startBrowserApp } from '../support/browser.ts';
import type { TestApp } from '../support/test-app.ts';

let t: TestApp;
let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};
let caseId = '';

before(async () => {
  ({ t, browser, base, close } = await startBrowserApp({}, async (t) => {
    await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
    const created = await t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType: 'patient', name: 'Amina', properties: { contact_phone_number: '0712 345 678' } } });
    assert.equal(created.statusCode, 201, created.body);
    caseId = created.json().id as string;
    const gateway = await t.request('POST', '/api/v1/projects/clinic/gateways', { body: { name: 'tester', type: 'test' } });
    assert.ok(gateway.statusCode < 300, gateway.body);
  }));
});
after(() => close());

/** Records CSP violations (events and console errors) on a page from its first script on. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  const console: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) {
      console.push(m.text());
    }
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
  });
  return async () => [...console, ...(await page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? []))];
}

test('the sign-in page and pages across the UI load with no CSP violation; htmx injects no <style>', async () => {
  const anon = await browser.newPage();
  const anonViolations = await watchCsp(anon);
  const res = await anon.goto(`${base}/ui/sign-in`);
  assert.match(String(res?.headers()['content-security-policy']), /script-src 'self'/);
  await anon.waitForFunction(() => 'htmx' in window);
  assert.deepEqual(await anonViolations(), [], 'sign-in page');
  // The watcher sees a violation when there is one: a style attribute parsed from markup is blocked.
  await anon.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<span style="color:red">probe</span>'));
  await anon.waitForTimeout(200);
  assert.ok((await anonViolations()).length >= 1, 'a probe violation is reported');
  await anon.close();

  const page = await signedInPage(browser, base);
  const violations = await watchCsp(page);
  const visited: string[] = [];
  for (const path of [
    '/ui/projects',
    '/ui/p/clinic/settings',
    '/ui/p/clinic/cases',
    `/ui/p/clinic/cases/${caseId}`,
    '/ui/p/clinic/mobile-workers',
    '/ui/p/clinic/messages',
    '/ui/p/clinic/tester',
    '/ui/p/clinic/opt-outs',
    '/ui/p/clinic/possible-opt-outs',
    '/ui/p/clinic/surveys',
    '/ui/p/clinic/surveys/new',
    '/ui/p/clinic/imports',
    '/ui/p/clinic/gateways',
  ]) {
    const answer = await page.goto(`${base}${path}`);
    assert.equal(answer?.status(), 200, path);
    await page.waitForFunction(() => 'htmx' in window);
    const state = await page.evaluate(() => ({
      indicatorStyles: (window as unknown as { htmx: { config: { includeIndicatorStyles: boolean } } }).htmx.config.includeIndicatorStyles,
      styles: document.querySelectorAll('style').length,
    }));
    assert.deepEqual(state, { indicatorStyles: false, styles: 0 }, path);
    visited.push(path);
  }
  assert.deepEqual(await violations(), [], `no CSP violation on ${visited.join(', ')}`);
  await page.close();
});

test('data-confirm (in place of an inline onsubmit): cancel keeps the case open, OK closes it; no CSP violation', async () => {
  const page = await signedInPage(browser, base);
  const violations = await watchCsp(page);
  await page.goto(`${base}/ui/p/clinic/cases/${caseId}`);
  await page.waitForFunction(() => 'htmx' in window);
  const asked: string[] = [];
  page.once('dialog', (d) => {
    asked.push(d.message());
    void d.dismiss();
  });
  await page.click('button:has-text("Close case")');
  await page.waitForTimeout(300);
  assert.deepEqual(asked, ['Close this case?']);
  assert.match(page.url(), new RegExp(`/cases/${caseId}$`), 'still on the case page');
  assert.equal((await t.request('GET', `/api/v1/projects/clinic/cases/${caseId}`)).json().closed, false, 'cancel: not closed');

  page.once('dialog', (d) => {
    asked.push(d.message());
    void d.accept();
  });
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Close case")')]);
  assert.equal(asked.length, 2);
  assert.equal((await t.request('GET', `/api/v1/projects/clinic/cases/${caseId}`)).json().closed, true, 'OK: closed');
  assert.deepEqual(await violations(), []);
  await page.close();
});
