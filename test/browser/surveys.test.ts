/**
 * SMS surveys in the admin UI (Chromium): build a two-question survey in the editor (with the SMS
 * preview), start it from a case page, answer it from the SMS tester, and see the answers saved on
 * the case and in the survey's sessions.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { shots, signedInPage, startBrowserApp, textFromTester as sendFromTester, waitForText } from '../support/browser.ts';
import type { TestApp } from '../support/test-app.ts';

let t: TestApp;
let browser: Browser;
let base = '';
let close = async (): Promise<void> => {};

before(async () => {
  ({ t, browser, base, close } = await startBrowserApp({ workers: true }, async (t) => {
    await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi', languages: ['en', 'sw'], defaultLanguage: 'en' });
    await t.request('POST', '/api/v1/projects/clinic/gateways', { body: { name: 'test', type: 'test' } });
    await t.request('PUT', '/api/v1/projects/clinic/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST' }] });
  }));
});
after(() => close());

function signedIn(): Promise<Page> {
  return signedInPage(browser, base);
}

function textFromTester(page: Page, from: string, text: string): Promise<void> {
  return sendFromTester(page, base, 'clinic', from, text);
}

test('build a two-question survey, start it for a case, answer it in the SMS tester, see the answers saved', async () => {
  const c = (await t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType: 'patient', name: 'Amina', properties: { contact_phone_number: '+254712000777', contact_phone_number_is_verified: '1' } } })).json();
  const page = await signedIn();

  await page.goto(`${base}/ui/p/clinic/cases`);
  await page.click('nav >> text=Surveys');
  await page.click('text=New survey');
  await page.fill('#f-name', 'Household');
  await page.fill('#f-q-0-id', 'village');
  await page.fill('#f-q-0-text', 'Which village do you live in?');
  await page.fill('#f-q-0-tr-sw', 'Unaishi kijiji gani?');
  await page.fill('#f-q-0-saveAs', 'village');
  await page.click('button:has-text("Add a question")');
  // The draft came back with what was typed and a second question.
  assert.equal(await page.inputValue('#f-q-0-text'), 'Which village do you live in?');
  await page.fill('#f-q-1-id', 'children');
  await page.selectOption('#f-q-1-type', 'number');
  await page.fill('#f-q-1-text', 'How many children under five live with you?');
  await page.fill('#f-q-1-saveAs', 'children_under_five');
  await page.fill('#f-q-1-min', '0');
  await page.fill('#f-q-1-max', '20');
  await page.fill('#f-closingMessage', 'Thank you, asante!');
  await Promise.all([page.waitForURL(/notice=saved/), page.click('button:has-text("Save survey") >> nth=0')]);
  assert.match(await page.locator('[role=status]').innerText(), /Survey saved/);
  const preview = await page.locator('section[aria-labelledby=preview]').innerText();
  assert.match(preview, /Which village do you live in\?/);
  assert.match(preview, /Unaishi kijiji gani\?/);
  assert.match(preview, /How many children under five live with you\?/);
  assert.match(preview, /Thank you, asante!/);
  await page.screenshot({ path: path.join(shots, 'survey-editor.png'), fullPage: true });

  await page.goto(`${base}/ui/p/clinic/cases/${c.id}`);
  await page.selectOption('#f-surveyId', { label: 'Household' });
  await Promise.all([page.waitForURL(/notice=survey-started/), page.click('button:has-text("Start survey")')]);
  assert.match(await page.locator('section[aria-labelledby=surveys-title]').innerText(), /open/);

  await page.goto(`${base}/ui/p/clinic/tester?number=%2B254712000777`);
  await waitForText(page, 'section[aria-labelledby=thread]', /Which village do you live in\?/);
  await textFromTester(page, '+254712000777', 'Kibera');
  await waitForText(page, 'section[aria-labelledby=thread]', /How many children under five/);
  await textFromTester(page, '+254712000777', 'many');
  await waitForText(page, 'section[aria-labelledby=thread]', /Please reply with a number from 0 to 20/);
  await textFromTester(page, '+254712000777', '3');
  await waitForText(page, 'section[aria-labelledby=thread]', /Thank you, asante!/);
  const survey = await page.locator('section[aria-labelledby=tester-survey]').innerText();
  assert.match(survey, /completed/);
  assert.match(survey, /village\s+Kibera/);
  assert.match(survey, /children\s+3/);
  await page.screenshot({ path: path.join(shots, 'survey-tester.png'), fullPage: true });

  await page.goto(`${base}/ui/p/clinic/cases/${c.id}`);
  const props = await page.locator('section[aria-labelledby=props]').innerText();
  assert.match(props, /village\s+Kibera/);
  assert.match(props, /children_under_five\s+3/);
  await page.click('section[aria-labelledby=surveys-title] >> text=Household');
  const sessions = await page.locator('main table').innerText();
  assert.match(sessions, /completed/);
  assert.match(sessions, /Kibera/);
  await page.close();
});

test('the editor reorders and removes questions and lists every problem when saving fails', async () => {
  const page = await signedIn();
  await page.goto(`${base}/ui/p/clinic/surveys/new`);
  await page.fill('#f-name', 'Broken');
  await page.fill('#f-q-0-id', 'first');
  await page.fill('#f-q-0-text', 'First?');
  await page.click('button:has-text("Add a question")');
  await page.fill('#f-q-1-id', 'second');
  await page.fill('#f-q-1-text', 'Second?');
  await page.click('button[aria-label="Move question 2 up"]');
  assert.equal(await page.inputValue('#f-q-0-id'), 'second');
  assert.equal(await page.inputValue('#f-q-1-id'), 'first');
  await page.click('button[aria-label="Remove question 2"]');
  assert.equal(await page.locator('fieldset.question').count(), 1);
  await page.click('button:has-text("Save survey") >> nth=0');
  const alert = await page.locator('[role=alert]').innerText();
  assert.match(alert, /not saved/);
  assert.match(alert, /saveAs/);
  assert.equal(await page.inputValue('#f-q-0-text'), 'Second?', 'the form keeps what was typed');
  await page.close();
});
