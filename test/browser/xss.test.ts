/**
 * Stored XSS attempts in every user-visible field, rendered in Chromium: case names, property names
 * and values, worker fields, message and inbound texts, project texts, survey names and questions,
 * gateway reply-to, all shown on every page that shows them. No script runs, no handler fires, no
 * dialog opens, and the text is shown as text.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Browser } from 'playwright-core';

import { dispatchOnce } from '../../src/services/dispatch.service.ts';
import { processInbound } from '../../src/services/inbound.service.ts';
import { signedInPage, startBrowserApp } from '../support/browser.ts';

const payloads = [
  '<script>window.__xss=(window.__xss||0)+1</script>',
  '"><img src=x onerror="window.__xss=(window.__xss||0)+1">',
  "'><svg onload=window.__xss=(window.__xss||0)+1>",
  '</textarea><script>window.__xss=1</script>',
  '{{constructor.constructor("window.__xss=1")()}}',
];
const evil = payloads.join(' ');

let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};
let caseId = '';
let workerId = '';
let surveyId = '';
before(async () => {
  ({ browser, base, close } = await startBrowserApp({}, async (t) => {
    await t.createProject('xss', { defaultCountry: 'KE', languages: ['en'], timeZone: 'Africa/Nairobi' });
    await t.request('PATCH', '/api/v1/projects/xss', { body: { helpText: evil, defaultSmsResponse: evil.slice(0, 400) } });
    const gw = await t.request('POST', '/api/v1/projects/xss/gateways', { body: { name: 'sms', type: 'test', replyToNumber: '+254700100100', optOutKeywords: ['ARRET'] } });
    const hook = new URL(gw.json().inboundUrl).pathname;
    await t.request('PUT', '/api/v1/projects/xss/gateway-routes', { body: [{ prefix: '*', gateway: 'SMS' }] });
    const c = await t.request('POST', '/api/v1/projects/xss/cases', {
      body: { caseType: 'patient', name: evil, externalId: payloads[1], properties: { contact_phone_number: '+254712345678', contact_phone_number_is_verified: '1', notes: evil, time_zone: payloads[0], language_code: payloads[2] } },
    });
    assert.equal(c.statusCode, 201, c.body);
    caseId = c.json().id;
    const w = await t.request('POST', '/api/v1/projects/xss/mobile-workers', { body: { username: 'worker1', email: 'w@example.org', timeZone: 'Africa/Nairobi' } });
    workerId = w.json().id;
    await t.request('POST', '/api/v1/projects/xss/messages', { body: { recipient: { caseId }, text: evil } });
    await t.request('POST', hook, { token: null, body: { from: '+254712345678', text: evil, messageId: 'x-1' } });
    await t.request('POST', hook, { token: null, body: { from: '+254799999999', text: evil, messageId: 'x-2' } });
    await processInbound(t.deps, 50);
    await dispatchOnce(t.deps, { batchSize: 50, leaseMs: 60_000 });
    const s = await t.request('POST', '/api/v1/projects/xss/surveys', {
      body: { name: evil.slice(0, 200), questions: [{ id: 'q1', text: evil, type: 'choice', choices: [{ value: 'a', label: payloads[1] }, { value: 'b', label: payloads[2] }], saveAs: 'notes' }], closingMessage: evil },
    });
    assert.equal(s.statusCode, 201, s.body);
    surveyId = s.json().id;
  }));
});
after(() => close());

test('no stored script runs on any page that shows user text', async () => {
  const page = await signedInPage(browser, base);
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const pages = [
    '/ui/projects',
    '/ui/p/xss/cases',
    `/ui/p/xss/cases/${caseId}`,
    '/ui/p/xss/mobile-workers',
    `/ui/p/xss/mobile-workers/${workerId}`,
    '/ui/p/xss/messages',
    '/ui/p/xss/settings',
    '/ui/p/xss/gateways',
    '/ui/p/xss/gateways/SMS/edit',
    '/ui/p/xss/opt-outs',
    '/ui/p/xss/numbers/%2B254712345678',
    '/ui/p/xss/tester',
    '/ui/p/xss/surveys',
    `/ui/p/xss/surveys/${surveyId}`,
    `/ui/p/xss/surveys/${surveyId}/sessions`,
    '/ui/p/xss/cases?search=' + encodeURIComponent(payloads[1] as string),
  ];
  for (const url of pages) {
    const res = await page.goto(base + url);
    assert.ok(res && res.status() < 500, `${url} answered ${res?.status()}`);
    await page.waitForTimeout(50);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined, `script ran on ${url}`);
    assert.equal(await page.locator('body script:not([src])').count(), 0, `inline script element on ${url}`);
    assert.equal(await page.locator('img[src="x"], svg[onload]').count(), 0, `injected element on ${url}`);
  }
  assert.deepEqual(dialogs, []);
  // Shown as text, where a person would read it.
  await page.goto(`${base}/ui/p/xss/cases/${caseId}`);
  assert.ok((await page.locator('body').innerText()).includes('<script>window.__xss'), 'the case name is shown as text');
});
