/**
 * The gateway forms in Chromium: choose the smtp type, see each field's help, get a refused config
 * back as typed (the password not echoed), add the gateway pointing at a real local SMTP server,
 * edit it without typing the password again, send a test message and see it sent; the webhook URLs
 * of an SMS gateway have Copy buttons and a line of help each.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { dispatchOnce } from '../../src/services/dispatch.service.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';
import { shots, signedInPage, startBrowserApp } from '../support/browser.ts';
import type { TestApp } from '../support/test-app.ts';

const PASSWORD = 'browser-relay-secret-42';
let t: TestApp;
let sink: SmtpSink;
let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};

before(async () => {
  sink = await startSmtpSink({ user: 'mailer', password: PASSWORD });
  ({ t, browser, base, close } = await startBrowserApp({}, async (t) => {
    await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  }));
});
after(async () => {
  await close();
  await sink.close();
});

function signedIn(): Promise<Page> {
  return signedInPage(browser, base);
}

test('add an smtp gateway through its form, edit it without the password, send a test message', async () => {
  const page = await signedIn();
  await page.goto(`${base}/ui/p/clinic/gateways`);
  await Promise.all([page.waitForURL(/type=smtp/), page.selectOption('#f-type', 'smtp')]);
  assert.match(await page.locator('#f-config-host-help').innerText(), /host name of your mail relay/);
  assert.match(await page.locator('#f-config-password-help').innerText(), /stored encrypted and never shown again/);
  assert.equal(await page.locator('#f-config-rejectUnauthorized').isChecked(), true, 'certificate checks on by default');

  await page.fill('#f-name', 'mail');
  await page.fill('#f-config-host', '127.0.0.1');
  await page.fill('#f-config-port', String(sink.port));
  await page.selectOption('#f-config-tls', 'none');
  await page.fill('#f-config-user', 'mailer');
  await page.fill('#f-config-password', PASSWORD);
  await page.fill('#f-config-from', 'Clinic');
  await page.screenshot({ path: path.join(shots, 'gateway-form.png'), fullPage: true });
  await page.click('text=Add gateway');
  await page.waitForSelector('.error');
  assert.match(await page.locator('.error').innerText(), /from is required: an email address/);
  assert.equal(await page.locator('#f-config-host').inputValue(), '127.0.0.1', 'what was typed is kept');
  assert.equal(await page.locator('#f-config-tls').inputValue(), 'none');
  assert.equal(await page.locator('#f-config-password').inputValue(), '', 'the password is not echoed');
  assert.ok(!(await page.content()).includes(PASSWORD));

  await page.fill('#f-config-from', 'Clinic <noreply@clinic.example>');
  await page.fill('#f-config-password', PASSWORD);
  await Promise.all([page.waitForURL(/notice=created/), page.click('text=Add gateway')]);
  const card = page.locator('#gw-MAIL');
  assert.match(await card.innerText(), /SMTP email · email/);
  assert.match(await card.innerText(), /receives no messages/);

  await Promise.all([page.waitForURL(/\/gateways\/MAIL\/edit$/), page.click('text=Edit MAIL')]);
  assert.equal(await page.locator('#f-config-host').inputValue(), '127.0.0.1');
  assert.equal(await page.locator('#f-config-password').inputValue(), '');
  assert.match(await page.locator('#f-config-password').getAttribute('placeholder') ?? '', /stored/);
  assert.match(await page.locator('#f-config-password-help').innerText(), /leave this blank to keep it/);
  assert.ok(!(await page.content()).includes(PASSWORD), 'the edit page never holds the password');
  await page.fill('#f-config-replyTo', 'desk@clinic.example');
  await Promise.all([page.waitForURL(/notice=saved/), page.click('text=Save gateway')]);

  await card.locator('input[name=to]').fill('ops@example.org');
  await card.locator('input[name=subject]').fill('Relay check');
  await card.locator('input[name=text]').fill('Hello from the gateway page');
  await Promise.all([page.waitForURL(/notice=test-sent/), card.locator('text=Send test message').click()]);
  assert.match(await page.locator('#test-result').innerText(), /Test message to ops@example\.org through MAIL: queued/);
  await dispatchOnce(t.deps, { batchSize: 10, leaseMs: 60_000 });
  await page.reload();
  assert.match(await page.locator('#test-result').innerText(), /through MAIL: sent/);
  const got = sink.received.at(-1);
  assert.equal(got?.mail.subject, 'Relay check');
  assert.equal(got?.mail.replyTo?.text, 'desk@clinic.example', 'the edit took effect and the stored password still works');
  assert.equal(await page.locator('#test-result a', { hasText: 'message log' }).count(), 1);
  await page.close();
});

test('an SMS gateway shows its webhook URLs with Copy buttons and where to paste them', async () => {
  await t.request('POST', '/api/v1/projects/clinic/gateways', { body: { name: 'sms', type: 'test' } });
  const page = await signedIn();
  await page.goto(`${base}/ui/p/clinic/gateways`);
  const card = page.locator('#gw-SMS');
  assert.equal(await card.locator('button', { hasText: 'Copy' }).count(), 2);
  const inbound = card.locator('input[id^=in-]');
  assert.match(await inbound.inputValue(), /\/webhooks\/[A-Za-z0-9_-]+\/inbound$/);
  const helpId = await inbound.getAttribute('aria-describedby');
  assert.match(await page.locator(`#${helpId}`).innerText(), /Simulate a reply/);
  // The test type's own optional fields are shown with help too.
  assert.match(await page.locator('#f-config-failure-mode-help').innerText(), /every message is accepted/);
  await card.locator('input[name=to]').fill('0712000001');
  await Promise.all([page.waitForURL(/notice=test-sent/), card.locator('text=Send test message').click()]);
  await dispatchOnce(t.deps, { batchSize: 10, leaseMs: 60_000 });
  await page.reload();
  assert.match(await page.locator('#test-result').innerText(), /Test message to \+254712000001 through SMS: sent/);
  const outbox = (await t.request('GET', '/api/v1/projects/clinic/gateways/sms/outbox')).json();
  assert.deepEqual(outbox.map((o: { to: string; text: string }) => [o.to, o.text]), [['+254712000001', 'Test message from Rollcall']]);
  await page.close();
});
