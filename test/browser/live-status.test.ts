/**
 * Issue 24 items 7–9 in Chromium: the SMS tester's thread and a case's conversation update by
 * themselves (htmx polling, no reload), an unhandled text says why, the gateways page flags a
 * gateway no route reaches and fixes it in one click, and the message log names contacts and
 * writes EAT times (screenshot docs/screenshots/message-log.png).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { startDispatchWorker } from '../../src/services/dispatch-worker.ts';
import { processInbound } from '../../src/services/inbound.service.ts';
import { type PollingLoop, startPollingLoop } from '../../src/lib/polling-loop.ts';
import { shots, signedInPage, startBrowserApp } from '../support/browser.ts';
import type { TestApp } from '../support/test-app.ts';

let t: TestApp;
let browser: Browser;
let base = '';
const loops: PollingLoop[] = [];
let close = async (): Promise<void> => {};

before(async () => {
  ({ t, browser, base, close } = await startBrowserApp({}, async (t) => {
    await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
    await t.request('POST', '/api/v1/projects/clinic/gateways', { body: { name: 'test', type: 'test', replyToNumber: '+254700100100' } });
    await t.request('PUT', '/api/v1/projects/clinic/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST' }] });
  }));
});
after(async () => {
  await stopWorkers();
  await close();
});

/** The workers a server runs (handle inbound, send): started only once the page is open, so what appears later came without a reload. */
function startWorkers(): void {
  loops.push(startPollingLoop(() => processInbound(t.deps, 50), { fullBatch: 50, pollMs: 50 }));
  loops.push(startDispatchWorker(t.deps, { batchSize: 50, leaseMs: 60_000, pollMs: 50 }));
}
async function stopWorkers(): Promise<void> {
  for (const l of loops.splice(0)) {
    await l.stop();
  }
}

/** Counts the page's loads: a live update must not add one. */
function loadCounter(page: Page): () => number {
  let loads = 0;
  page.on('load', () => {
    loads++;
  });
  return () => loads;
}

test('the SMS tester: the reply appears without reloading, and an unhandled text says why', async () => {
  const page = await signedInPage(browser, base);
  await page.goto(`${base}/ui/p/clinic/tester`);
  await page.fill('#f-from', '0712000901');
  await page.fill('#f-text', 'STOP');
  await Promise.all([page.waitForURL(/tester\?gateway=/), page.click('text=Send as this phone')]);
  const loads = loadCounter(page);
  const thread = page.locator('#tester-thread');
  assert.match(await thread.innerText(), /Not handled yet/);
  assert.doesNotMatch(await thread.innerText(), /You will get no more messages/);
  // Not handled yet, it is not in the log: the log says it waits (and why it might stay so).
  const log = await signedInPage(browser, base);
  await log.goto(`${base}/ui/p/clinic/messages`);
  assert.match(await log.locator('#inbound-waiting').innerText(), /1 received message is waiting to be handled \(the oldest arrived .+ EAT\)\. .*check that a worker is running/);
  await log.screenshot({ path: path.join(shots, 'message-log-inbound-waiting.png'), fullPage: true });
  startWorkers();
  await thread.getByText(/You will get no more messages from this number/).waitFor({ timeout: 15_000 });
  assert.match(await thread.innerText(), /The person opted out/);
  assert.equal(loads(), 0, 'no reload');
  await stopWorkers();
  await log.reload();
  assert.equal(await log.locator('#inbound-waiting').count(), 0, 'handled: the log no longer says one waits');
  assert.match(await log.locator('#message-log').innerText(), /STOP/);
  await log.close();

  // A join naming no project: the reason shows by itself too.
  await page.fill('#f-from', '0712000902');
  await page.fill('#f-text', 'join nosuchplace');
  await Promise.all([page.waitForURL(/number=%2B254712000902/), page.click('text=Send as this phone')]);
  const loads2 = loadCounter(page);
  startWorkers();
  await page.locator('#tester-thread').getByText(/No project is named “nosuchplace”/).waitFor({ timeout: 15_000 });
  assert.equal(loads2(), 0, 'no reload');
  await stopWorkers();
  await page.close();
});

test("a case's conversation shows the sent status without reloading", async () => {
  await stopWorkers();
  const c = await t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType: 'patient', name: 'Amina Otieno', properties: { contact_phone_number: '+254712000903', contact_phone_number_is_verified: '1' } } });
  const caseId = c.json().id as string;
  const m = (await t.request('POST', '/api/v1/projects/clinic/messages', { body: { recipient: { caseId }, text: 'Clinic day is Friday' } })).json();
  assert.equal(m.status, 'queued');
  const page = await signedInPage(browser, base);
  await page.goto(`${base}/ui/p/clinic/cases/${caseId}`);
  const loads = loadCounter(page);
  const row = page.locator(`#conversation-thread #msg-${m.id}`);
  assert.equal(await row.getAttribute('data-status'), 'queued');
  startWorkers();
  await page.locator(`#conversation-thread #msg-${m.id}[data-status=sent]`).waitFor({ timeout: 15_000 });
  assert.match(await page.locator(`#msg-${m.id}`).innerText(), /sent/);
  // The typed-in send form is outside the live part: what is being typed stays.
  assert.equal(loads(), 0, 'no reload');
  await stopWorkers();
  await page.close();
});

test('the gateways page flags a gateway no route reaches; one click routes all numbers through it', async () => {
  await t.createProject('lab', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  await t.request('POST', '/api/v1/projects/lab/gateways', { body: { name: 'sms1', type: 'test' } });
  const page = await signedInPage(browser, base);
  await page.goto(`${base}/ui/p/lab/gateways`);
  const warning = page.locator('#gw-SMS1 .route-warning');
  assert.match(await warning.innerText(), /cases will not reach this gateway until you add a route/);
  await page.screenshot({ path: path.join(shots, 'gateway-route-warning.png'), fullPage: true });
  await Promise.all([page.waitForURL(/notice=route-all-added/), warning.getByRole('button', { name: 'Route all numbers (*) through SMS1' }).click()]);
  assert.match(await page.locator('[role=status]').first().innerText(), /Route added/);
  assert.equal(await page.locator('.route-warning').count(), 0);
  assert.match(await page.inputValue('#f-routes'), /^\* SMS1$/m);
  await page.close();
});

test('the message log: contacts by name, linked; times in EAT', async () => {
  const page = await signedInPage(browser, base);
  await page.goto(`${base}/ui/p/clinic/messages`);
  const log = page.locator('#message-log');
  await log.getByRole('link', { name: 'Amina Otieno' }).first().waitFor();
  const text = await log.innerText();
  assert.match(text, /\d{2}:\d{2} EAT/);
  assert.doesNotMatch(text, /GMT\+3/);
  assert.match(text, /Nothing recognised|No project is named/);
  await page.screenshot({ path: path.join(shots, 'message-log.png'), fullPage: true });
  await Promise.all([page.waitForURL(/\/cases\//), log.getByRole('link', { name: 'Amina Otieno' }).first().click()]);
  assert.match(await page.locator('h1').innerText(), /Amina Otieno/);
  await page.close();
});
