/**
 * Issue 24, item 13, in Chromium: every page of a project with real data — every navigation entry,
 * plus the case, worker, survey and unknown pages — has a label for every input, select and textarea
 * a person fills in, one <h1>, a skip link that moves the focus to the content, a favicon, and no
 * control reachable only by mouse (no positive tabindex). An unknown path is the HTML 404 page.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { signedInPage, startBrowserApp } from '../support/browser.ts';

let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};
const pages: string[] = [];

before(async () => {
  ({ browser, base, close } = await startBrowserApp({}, async (t) => {
    await t.createProject('access', { defaultCountry: 'KE', languages: ['en', 'sw'], timeZone: 'Africa/Nairobi' });
    await t.request('POST', '/api/v1/projects/access/gateways', { body: { name: 'sms', type: 'test' } });
    await t.request('PUT', '/api/v1/projects/access/gateway-routes', { body: [{ prefix: '*', gateway: 'SMS' }] });
    const c = (await t.request('POST', '/api/v1/projects/access/cases', { body: { caseType: 'patient', name: 'Amina', properties: { contact_phone_number: '+254712000701', contact_phone_number_is_verified: '1' } } })).json();
    const w = (await t.request('POST', '/api/v1/projects/access/mobile-workers', { body: { username: 'otieno' } })).json();
    const sv = (await t.request('POST', '/api/v1/projects/access/surveys', { body: { name: 'Visit', questions: [{ id: 'q1', text: 'How are you?', type: 'text', saveAs: 'feeling' }] } })).json();
    pages.push(`/ui/p/access/cases/${c.id}`, `/ui/p/access/mobile-workers/${w.id}`, `/ui/p/access/surveys/${sv.id}`, '/ui/p/access/surveys/new', '/ui/p/access/gateways/SMS/edit', '/ui/projects');
  }));
});
after(() => close());

/** Controls a person fills in that no label, aria-label or aria-labelledby names. */
function unlabelled(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea'))
      .filter((e) => !['hidden', 'submit', 'button', 'reset', 'image'].includes(e.type))
      .filter((e) => !(e.labels && e.labels.length > 0) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
      .map((e) => `${e.tagName.toLowerCase()} name=${e.getAttribute('name') ?? ''} id=${e.id}`),
  );
}

test('every page: labels on every input, one heading, a skip link that works, a favicon', async () => {
  const page = await signedInPage(browser, base);
  await page.goto(`${base}/ui/p/access/dashboard`);
  const nav = await page.locator('nav.side a').evaluateAll((links) => links.map((a) => new URL((a as HTMLAnchorElement).href).pathname));
  assert.ok(nav.length >= 13, `the navigation: ${nav.join(' ')}`);
  const problems: string[] = [];
  for (const path of [...new Set([...nav, ...pages])]) {
    const res = await page.goto(`${base}${path}`);
    if (!res || res.status() !== 200) {
      problems.push(`${path}: status ${res?.status()}`);
      continue;
    }
    for (const control of await unlabelled(page)) {
      problems.push(`${path}: no label for ${control}`);
    }
    if ((await page.locator('h1').count()) !== 1) {
      problems.push(`${path}: ${await page.locator('h1').count()} <h1>`);
    }
    if ((await page.locator('[tabindex]:not([tabindex="-1"]):not([tabindex="0"])').count()) > 0) {
      problems.push(`${path}: a positive tabindex`);
    }
    if ((await page.locator('link[rel=icon]').count()) !== 1) {
      problems.push(`${path}: no favicon`);
    }
  }
  assert.deepEqual(problems, []);

  // The skip link is the first thing the keyboard reaches, and it moves the focus to the content.
  await page.goto(`${base}/ui/p/access/cases`);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
});

test('an unknown page is the HTML "Not found" page with the navigation back', async () => {
  const page = await signedInPage(browser, base);
  const res = await page.goto(`${base}/ui/p/access/no-such-page`);
  assert.equal(res?.status(), 404);
  assert.equal(await page.locator('h1').innerText(), 'Not found');
  await Promise.all([page.waitForURL(/\/ui\/projects$/), page.click('text=Back to projects')]);
});
