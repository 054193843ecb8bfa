/**
 * Reminder rules in Chromium (issue 25): an admin fills in the rule form without JSON (a
 * condition, two offsets from next_visit_date at 09:00, a stop condition, a send window, a text per
 * language), sees the evaluation's progress bar refresh by itself until done, then the rule page:
 * cases matching now, the one that cannot be reached and why, the next sends in each contact's own
 * time, sent and failed per day once the clock passes the first sends, and a preview for one case;
 * then the case page lists the case's reminders. The clock is the test's, so the dates are fixed.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { runReminderStep } from '../../src/services/reminder-loop.ts';
import { shots, signedInPage, startBrowserApp } from '../support/browser.ts';
import type { TestApp } from '../support/test-app.ts';

let t: TestApp;
let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};
/** 08:00 in Nairobi on 1 December 2026. */
let now = Date.parse('2026-12-01T05:00:00Z');
const ids: Record<string, string> = {};

/** Controls no label names, and the number of <h1> (as test/browser/accessibility.test.ts checks every page of the navigation). */
async function accessibilityProblems(page: Page): Promise<string[]> {
  const unlabelled = await page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea'))
      .filter((e) => !['hidden', 'submit', 'button', 'reset', 'image'].includes(e.type))
      .filter((e) => !(e.labels && e.labels.length > 0) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
      .map((e) => `no label for ${e.tagName.toLowerCase()} ${e.id}`),
  );
  const h1 = await page.locator('h1').count();
  return [...unlabelled, ...(h1 === 1 ? [] : [`${h1} <h1>`])];
}

async function settleReminders(): Promise<void> {
  for (let i = 0; i < 100 && (await runReminderStep(t.deps)) > 0; i++) {
    // until a step finds nothing to do
  }
}

before(async () => {
  ({ t, browser, base, close } = await startBrowserApp({ workers: true, clock: () => new Date(now), config: { sessionHours: 24 * 30 } }, async (t) => {
    await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi', languages: ['en', 'sw'], defaultLanguage: 'en' });
    await t.request('POST', '/api/v1/projects/clinic/gateways', { body: { name: 'test', type: 'test' } });
    await t.request('PUT', '/api/v1/projects/clinic/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST' }] });
    const people: Array<[string, string, Record<string, string>]> = [
      ['Amina', 'pregnancy', { contact_phone_number: '0712000001', next_visit_date: '2026-12-09' }],
      ['Baraka', 'pregnancy', { contact_phone_number: '0712000002', language_code: 'sw', next_visit_date: '2026-12-15' }],
      ['Chausiku', 'pregnancy', { next_visit_date: '2026-12-09' }],
      ['Priya', 'pregnancy', { contact_phone_number: '0712000004', time_zone: 'Asia/Kolkata', next_visit_date: '2026-12-12' }],
      ['Dalia', 'pregnancy', { contact_phone_number: '0712000005', next_visit_date: '2026-12-20', visit_done: 'yes' }],
      ['Eli', 'child', { contact_phone_number: '0712000006', next_visit_date: '2026-12-10' }],
    ];
    for (const [name, caseType, properties] of people) {
      const res = await t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType, name, properties } });
      assert.equal(res.statusCode, 201, res.body);
      ids[name] = res.json().id;
    }
  }));
});
after(() => close());

test('an admin makes a rule with the form, watches its evaluation, and sees matching cases, next sends, sends per day and a preview', async () => {
  const page = await signedInPage(browser, base);
  await page.goto(`${base}/ui/p/clinic/reminder-rules`);
  assert.match(await page.locator('.empty').innerText(), /No reminder rule yet/);
  await Promise.all([page.waitForURL(/\/reminder-rules\/new$/), page.click('text=New rule')]);
  assert.deepEqual(await accessibilityProblems(page), []);

  await page.fill('#f-name', 'ANC visit reminder');
  await page.fill('#f-caseType', 'pregnancy');
  assert.deepEqual(await page.locator('#case-types option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)), ['child', 'pregnancy']);
  await page.fill('#f-cond-0-property', 'next_visit_date');
  await page.selectOption('#f-cond-0-op', 'set');
  await page.fill('#f-text-en', 'Hello {name}, your clinic visit is on {next_visit_date}. Bring your card.');
  await page.fill('#f-text-sw', 'Habari {name}, ziara yako ya kliniki ni {next_visit_date}. Leta kadi yako.');
  await page.selectOption('#f-scheduleType', 'offsets');
  await page.fill('#f-startProperty', 'next_visit_date');
  await page.fill('#f-off-0-days', '-7');
  await page.fill('#f-off-0-time', '09:00');
  await page.fill('#f-off-1-days', '-1');
  // A mistake first: the form comes back with it marked and everything else kept.
  await page.fill('#f-off-1-time', '9am');
  await page.fill('#f-stop-0-property', 'visit_done');
  await page.fill('#f-stop-0-value', 'yes');
  await page.fill('#f-windowFrom', '08:00');
  await page.fill('#f-windowTo', '20:00');
  await page.click('button:has-text("Create rule")');
  assert.match(await page.locator('.error[role=alert]').innerText(), /Send 2: time: use HH:MM/);
  assert.equal(await page.locator('#f-off-1-time').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#f-text-sw').inputValue(), 'Habari {name}, ziara yako ya kliniki ni {next_visit_date}. Leta kadi yako.');
  await page.screenshot({ path: path.join(shots, 'reminder-rule-form.png'), fullPage: true });
  await page.fill('#f-off-1-time', '09:00');
  await Promise.all([page.waitForURL(/\/reminder-rules\/[0-9a-f-]{36}\?notice=saved$/), page.click('button:has-text("Create rule")')]);
  ids.rule = /reminder-rules\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? '';

  // The rule's evaluation runs in the background; the page shows its progress and refreshes itself.
  assert.equal(await page.locator('#report').getAttribute('data-evaluation'), 'running');
  assert.match(await page.locator('#report').innerText(), /cases checked/);
  await settleReminders();
  await page.waitForSelector('#report[data-evaluation="done"]', { timeout: 15_000 });
  assert.equal(await page.locator('#stat-matching').innerText(), '4');
  assert.match(await page.locator('#rule-problems').innerText(), /The contact has no phone number[\s\S]*NO_PHONE_NUMBER\s+1/);
  const next = await page.locator('#next-sends').innerText();
  assert.match(next, /Amina\s+2026-12-02 09:00 EAT\s+Hello Amina, your clinic visit is on Dec 9, 2026\. Bring your card\./);
  assert.match(next, /Priya\s+2026-12-05 09:00 IST/);
  assert.match(next, /Baraka\s+2026-12-08 09:00 EAT\s+Habari Baraka/);
  assert.doesNotMatch(next, /Dalia|Eli/);

  // The clock passes the first sends: Amina's goes out, Chausiku's (no number) fails with its reason.
  now = Date.parse('2026-12-02T07:00:00Z');
  await settleReminders();
  await page.waitForFunction(() => document.querySelector('#rule-chart rect.bar-sent') !== null, undefined, { timeout: 15_000 }).catch(() => undefined);
  for (let i = 0; i < 50 && (await page.locator('#rule-chart rect.bar-sent').count()) === 0; i++) {
    await page.waitForTimeout(100);
    await page.reload();
  }
  assert.match(await page.locator('#per-day').locator('..').innerText(), /sent \(1\)[\s\S]*failed \(1\)/);
  assert.doesNotMatch(await page.locator('#next-sends').innerText(), /2026-12-02/);

  // Preview for one case, by name.
  await page.fill('#f-caseId', 'Dalia');
  await Promise.all([page.waitForURL(/caseId=Dalia/), page.click('button:has-text("Preview")')]);
  assert.match(await page.locator('#preview-result').innerText(), /Dalia gets nothing from this rule/);
  await page.fill('#f-caseId', 'Baraka');
  await Promise.all([page.waitForURL(/caseId=Baraka/), page.click('button:has-text("Preview")')]);
  const preview = await page.locator('#preview-result').innerText();
  assert.match(preview, /Baraka would get:\s+2026-12-08 09:00 EAT SMS Habari Baraka/);
  assert.match(preview, /2026-12-14 09:00 EAT/);
  await page.screenshot({ path: path.join(shots, 'reminder-rule-page.png'), fullPage: true });
  assert.deepEqual(await accessibilityProblems(page), []);

  // The list shows the rule with its schedule in words and its matching count.
  await page.goto(`${base}/ui/p/clinic/reminder-rules`);
  assert.match(await page.locator('#rules tbody tr').first().innerText(), /ANC visit reminder\s+pregnancy\s+−7 d, −1 d at 09:00 from next_visit_date; until visit_done = yes\s+active\s+4/);
  await page.close();
});

test("the case page lists the case's reminders with their rule, time, status and message", async () => {
  const page = await signedInPage(browser, base);
  await page.goto(`${base}/ui/p/clinic/cases/${ids.Amina}`);
  const rows = page.locator('#case-reminders tbody tr');
  assert.equal(await rows.count(), 2);
  const all = await page.locator('#case-reminders').innerText();
  assert.match(all, /ANC visit reminder\s+2026-12-08 09:00 EAT\s+the case\s+scheduled/);
  assert.match(all, /ANC visit reminder\s+2026-12-02 09:00 EAT\s+the case\s+sent\s+Open the message/);
  await page.locator('#reminders').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(shots, 'case-reminders.png') });
  assert.deepEqual(await accessibilityProblems(page), []);
  await Promise.all([page.waitForURL(new RegExp(`/reminder-rules/${ids.rule}$`)), page.locator('#case-reminders a:has-text("ANC visit reminder")').first().click()]);

  await page.goto(`${base}/ui/p/clinic/cases/${ids.Chausiku}`);
  assert.match(await page.locator('#case-reminders').innerText(), /failed\s+The contact has no phone number/);
  await page.close();
});

test('pause from the rule page cancels the scheduled sends; resume brings them back', async () => {
  const page = await signedInPage(browser, base);
  await page.goto(`${base}/ui/p/clinic/reminder-rules/${ids.rule}`);
  await Promise.all([page.waitForURL(/notice=paused$/), page.click('button:has-text("Pause")')]);
  assert.match(await page.locator('h1 .badge').innerText(), /paused/);
  await settleReminders();
  await page.reload();
  assert.match(await page.locator('#next').locator('..').innerText(), /Nothing scheduled/);
  await Promise.all([page.waitForURL(/notice=resumed$/), page.click('button:has-text("Resume")')]);
  await settleReminders();
  await page.reload();
  assert.match(await page.locator('#next-sends').innerText(), /Baraka/);
  await page.close();
});
