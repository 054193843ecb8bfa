/**
 * The project dashboard in Chromium with real data: cases made through the API, a message sent and
 * dispatched through a test gateway, one refused for want of consent, a reply through the
 * gateway's webhook, and some earlier days' messages. A person looks for the counts by phone
 * status, today's bars with their figures, the failure in words, and clicks a count to open the
 * filtered cases list. Screenshot: docs/screenshots/dashboard.png.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { sql } from 'kysely';
import type { Browser } from 'playwright-core';

import { dayLabel } from '../../src/http/admin/components/day-chart.tsx';
import { chartDays } from '../../src/services/dashboard.service.ts';
import { dispatchOnce } from '../../src/services/dispatch.service.ts';
import { processInbound } from '../../src/services/inbound.service.ts';
import { shots, signedInPage, startBrowserApp } from '../support/browser.ts';
import type { TestApp } from '../support/test-app.ts';

let t: TestApp;
let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};

async function ok(method: 'POST' | 'PUT', url: string, body: unknown): Promise<Record<string, any>> {
  const res = await t.request(method, url, { body });
  assert.ok(res.statusCode < 300, `${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}

before(async () => {
  ({ t, browser, base, close } = await startBrowserApp({}, async (app) => {
    t = app; // ok() uses it
    await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
    const gw = await ok('POST', '/api/v1/projects/clinic/gateways', { name: 'test1', type: 'test' });
    await ok('PUT', '/api/v1/projects/clinic/gateway-routes', [{ prefix: '*', gateway: 'TEST1' }]);
    const amina = await ok('POST', '/api/v1/projects/clinic/cases', { caseType: 'patient', name: 'Amina', properties: { contact_phone_number: '0712000001', contact_phone_number_is_verified: '1' } });
    await ok('POST', '/api/v1/projects/clinic/cases', { caseType: 'patient', name: 'Baraka', properties: { contact_phone_number: '0712000002' } });
    const ann = await ok('POST', '/api/v1/projects/clinic/cases', { caseType: 'patient', name: 'Ann', properties: { contact_phone_number: '+1 206 813 0912' } });
    await ok('POST', '/api/v1/projects/clinic/cases', { caseType: 'patient', name: 'Chebet', properties: { contact_phone_number: '12' } });
    await ok('POST', '/api/v1/projects/clinic/cases', { caseType: 'household', name: 'Daudi', properties: {} });
    // Today: one sent, one refused (no consent where the rule applies), one reply.
    await ok('POST', '/api/v1/projects/clinic/messages', { recipient: { caseId: amina.id }, text: 'Clinic day is Monday' });
    await dispatchOnce(t.deps, { batchSize: 10, leaseMs: 60_000 });
    await ok('POST', '/api/v1/projects/clinic/messages', { recipient: { caseId: ann.id }, text: 'Hello' });
    const hook = new URL(gw.inboundUrl as string).pathname;
    const reply = await t.request('POST', hook, { token: null, body: { from: '+254712000001', text: 'Thank you' } });
    assert.equal(reply.statusCode, 200, reply.body);
    while ((await processInbound(t.deps, 50)) > 0) {
      // until every inbound message is handled
    }
    // Earlier days (as the log of a running project holds them).
    const project = await t.deps.db.selectFrom('projects').select('id').where('name', '=', 'clinic').executeTakeFirstOrThrow();
    await sql`
      insert into messages (project_id, direction, channel, status, to_address, from_address, text, error_code, created_at, updated_at, sent_at, due_at)
      select ${project.id}::uuid, case when g % 5 = 0 then 'in' else 'out' end, 'sms',
             case when g % 5 = 0 then 'received' when g % 11 = 0 then 'failed' else 'delivered' end,
             '+254712000001', '+254712000001', 'earlier', case when g % 11 = 0 and g % 5 <> 0 then 'DELIVERY_FAILED' end,
             t, t, t, t
        from (select g, now() - interval '1 day' - (g % 29) * interval '1 day' - (g % 7) * interval '1 hour' as t from generate_series(1, 400) g) s`.execute(t.deps.db);
  }));
});
after(() => close());

test('the dashboard shows the counts, today’s bars with their figures and the failure in words; a count opens the filtered list', async () => {
  const page = await signedInPage(browser, base);
  await page.goto(`${base}/ui/p/clinic`);
  assert.match(page.url(), /\/ui\/p\/clinic\/dashboard$/);
  assert.equal(await page.locator('h1').innerText(), 'Dashboard');

  const tile = (label: string) => page.locator('a.tile', { has: page.locator('.tile-label', { hasText: new RegExp(`^${label}$`) }) });
  const count = async (label: string) => (await tile(label).locator('.tile-count').innerText()).trim();
  assert.equal(await count('Two-way'), '1');
  assert.equal(await count('One-way'), '2', 'Baraka (no consent) and Ann');
  assert.equal(await count('Invalid number'), '1');
  assert.equal(await count('No number'), '1');
  assert.equal(await count('Opted out'), '0');
  assert.equal(await count('No consent'), '4');

  // Today's bars: one sent, one failed, one received, each saying so in its <title>.
  const today = chartDays(new Date(), 'Africa/Nairobi').days.at(-1) as string;
  const bars = page.locator(`svg.chart g.day[data-day="${today}"] rect.bar`);
  assert.deepEqual(await bars.locator('title').allTextContents(), [`${dayLabel(today)}: 1 sent`, `${dayLabel(today)}: 1 failed`, `${dayLabel(today)}: 1 received`]);
  assert.ok((await page.locator('svg.chart rect.bar').count()) > 20, 'bars on the earlier days too');
  assert.match((await page.locator('svg.chart').getAttribute('aria-label')) ?? '', /^Messages per day for the last 30 days: \d+ sent, \d+ failed, \d+ received\.$/);
  assert.match(await page.locator('ul.legend').innerText(), /sent.*failed.*received/s);
  // The bars are coloured by the stylesheet (no style attributes under the CSP).
  const fills = await bars.evaluateAll((els) => els.map((e) => getComputedStyle(e).fill));
  assert.equal(new Set(fills).size, 3, `three colours: ${fills.join(', ')}`);

  // The failure in words, with its code, and a link to the filtered log.
  const failures = page.locator('section[aria-labelledby=h-failures]');
  assert.match(await failures.innerText(), /consent/i);
  assert.match(await failures.innerText(), /NO_SMS_CONSENT/);
  assert.equal(await failures.locator('a', { hasText: 'See messages' }).first().getAttribute('href'), '/ui/p/clinic/messages?status=failed&errorCode=DELIVERY_FAILED');

  await page.screenshot({ path: path.join(shots, 'dashboard.png'), fullPage: true });

  await Promise.all([page.waitForURL(/\/cases\?phoneStatus=one-way$/), tile('One-way').click()]);
  assert.equal(new URL(page.url()).search, '?phoneStatus=one-way');
  await page.goBack();
  await Promise.all([page.waitForURL(/\/cases\?consent=no$/), tile('No consent').click()]);
  await page.close();
});

test('an empty project says what to do next', async () => {
  await t.createProject('empty', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  const page = await signedInPage(browser, base);
  await page.goto(`${base}/ui/p/empty/dashboard`);
  assert.match(await page.locator('section[aria-labelledby=h-contacts]').innerText(), /No contacts yet — import a spreadsheet or add a case/);
  assert.equal(await page.locator('section[aria-labelledby=h-contacts] a', { hasText: 'add a case' }).getAttribute('href'), '/ui/p/empty/cases');
  await page.close();
});
