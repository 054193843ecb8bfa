/**
 * SMS survey sessions end to end through the HTTP API, the `test` gateway's inbound webhook and
 * outbox, with a fixed clock: the seeds' consent survey, the welcome survey after `join`, answer
 * types, timeouts and reminders, STOP, a second survey replacing the first, translations.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { processInbound } from '../src/services/inbound.service.ts';
import { sweepSurveySessions } from '../src/services/survey-sessions.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;
let now = new Date('2026-12-01T10:00:00Z');
let hook = '';
let seq = 0;
/** US numbers (the consent rule applies to them). */
const fresh = () => `+1206555${String(++seq).padStart(4, '0')}`;

/** The seeds' consent question: "If the answer is Yes, capture the result … with the value 1". */
const CONSENT_SURVEY = {
  name: 'SMS consent',
  asksConsent: true,
  questions: [
    {
      id: 'consent',
      text: 'Do you agree to receive SMS from the clinic?',
      translations: { fr: 'Acceptez-vous de recevoir des SMS de la clinique ?' },
      type: 'choice',
      choices: [
        { value: '1', label: 'Yes', translations: { fr: 'Oui' } },
        { value: '2', label: 'No', translations: { fr: 'Non' } },
      ],
      saveAs: 'contact_phone_number_is_verified',
    },
  ],
  closingMessage: 'Thank you for your answer.',
  closingTranslations: { fr: 'Merci pour votre réponse.' },
};

before(async () => {
  t = await createTestApp({ clock: () => now, config: { retryBaseMs: 0 } });
  await t.createProject('clinic', { defaultCountry: 'US', languages: ['en', 'fr'], defaultLanguage: 'en', phoneValidation: 'possible' });
  const gw = await t.request('POST', '/api/v1/projects/clinic/gateways', { body: { name: 'sms', type: 'test' } });
  assert.equal(gw.statusCode, 201, gw.body);
  hook = new URL(gw.json().inboundUrl).pathname;
  await t.request('PUT', '/api/v1/projects/clinic/gateway-routes', { body: [{ prefix: '*', gateway: 'SMS' }] });
});
after(() => t.close());

async function inbound(from: string, text: string): Promise<void> {
  const res = await t.request('POST', hook, { token: null, body: { from, text } });
  assert.equal(res.statusCode, 200, res.body);
}

async function settle(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const a = await processInbound(t.deps, 50);
    const b = await dispatchOnce(t.deps, { batchSize: 200, leaseMs: 60_000 });
    if (a === 0 && b === 0) {
      return;
    }
  }
}

async function sent(number: string): Promise<string[]> {
  const out = (await t.request('GET', '/api/v1/projects/clinic/gateways/SMS/outbox')).json();
  return out.filter((o: Json) => o.to === number).map((o: Json) => o.text);
}

async function survey(body: Json): Promise<Json> {
  const res = await t.request('POST', '/api/v1/projects/clinic/surveys', { body });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function newCase(number: string, properties: Json = {}, name = 'Case'): Promise<Json> {
  const res = await t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType: 'patient', name, properties: { contact_phone_number: number, ...properties } } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function start(surveyId: string, caseId: string): Promise<Json> {
  const res = await t.request('POST', `/api/v1/projects/clinic/surveys/${surveyId}/sessions`, { body: { caseId } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function session(id: string): Promise<Json> {
  return (await t.request('GET', `/api/v1/projects/clinic/survey-sessions/${id}`)).json();
}

async function caseOf(id: string): Promise<Json> {
  return (await t.request('GET', `/api/v1/projects/clinic/cases/${id}`)).json();
}

async function inboundHandling(from: string): Promise<string[]> {
  const rows = await t.deps.db.selectFrom('messages').select('handling').where('direction', '=', 'in').where('from_address', '=', from).orderBy('seq').execute();
  return rows.map((r) => r.handling ?? '');
}

/** One question of a given shape, for the answer-type tests. */
function oneQuestion(q: Json, extra: Json = {}): Json {
  return { name: `Survey ${++seq}`, asksConsent: true, questions: [{ id: 'q', text: 'Question?', saveAs: 'answer', ...q }], closingMessage: 'Done.', ...extra };
}

describe('the consent survey of the seeds', () => {
  test('a US case without consent: asked, "maybe" re-asked, "1" saves consent, closing sent, ordinary SMS now goes out, ledger shows the survey', async () => {
    const n = fresh();
    const s = await survey(CONSENT_SURVEY);
    const c = await newCase(n);
    assert.equal(c.contact.smsConsent, false);
    const blocked = (await t.request('POST', '/api/v1/projects/clinic/messages', { body: { recipient: { caseId: c.id }, text: 'Clinic opens at 9' } })).json();
    assert.equal(blocked.errorCode, 'NO_SMS_CONSENT');

    const started = await start(s.id, c.id);
    assert.equal(started.status, 'open');
    assert.equal(started.currentQuestionId, 'consent');
    await settle();
    assert.deepEqual(await sent(n), ['Do you agree to receive SMS from the clinic?\n1. Yes\n2. No']);

    await inbound(n, 'maybe');
    await settle();
    const afterMaybe = await sent(n);
    assert.equal(afterMaybe.length, 2);
    assert.equal(afterMaybe[1], 'Please reply with one of the numbers 1 to 2.\nDo you agree to receive SMS from the clinic?\n1. Yes\n2. No');
    assert.equal((await session(started.id)).invalidAttempts, 1);

    await inbound(n, '1');
    await settle();
    assert.equal((await sent(n))[2], 'Thank you for your answer.');
    const done = await session(started.id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.answers, { consent: '1' });
    const updated = await caseOf(c.id);
    assert.equal(updated.properties.contact_phone_number_is_verified, '1');
    assert.equal(updated.contact.smsConsent, true);
    assert.equal(updated.contact.phoneStatus, 'two-way', 'consent makes the number two-way like any case save');

    const ordinary = (await t.request('POST', '/api/v1/projects/clinic/messages', { body: { recipient: { caseId: c.id }, text: 'Clinic opens at 9' } })).json();
    assert.equal(ordinary.status, 'queued');
    await settle();
    assert.equal((await sent(n)).at(-1), 'Clinic opens at 9');

    const ledger = (await t.request('GET', `/api/v1/projects/clinic/phone-numbers/${encodeURIComponent(n)}/consent`)).json();
    const granted = ledger.filter((e: Json) => e.action === 'consent-granted');
    assert.equal(granted.length, 1);
    assert.equal(granted[0].method, 'survey');
    assert.equal(granted[0].source.sessionId, started.id);
    assert.deepEqual(await inboundHandling(n), ['survey-invalid-answer', 'survey-completed']);
  });

  test('"2" (or "no") saves the refusal and the ledger records consent withdrawn by survey', async () => {
    const n = fresh();
    const s = await survey({ ...CONSENT_SURVEY, name: 'consent again' });
    const c = await newCase(n);
    await start(s.id, c.id);
    await inbound(n, 'no');
    await settle();
    const updated = await caseOf(c.id);
    assert.equal(updated.properties.contact_phone_number_is_verified, '2');
    assert.equal(updated.contact.smsConsent, false);
    const ledger = (await t.request('GET', `/api/v1/projects/clinic/phone-numbers/${encodeURIComponent(n)}/consent`)).json();
    assert.deepEqual(ledger.map((e: Json) => [e.action, e.method]), [['consent-withdrawn', 'survey']]);
  });

  test('a survey without asksConsent to a case that needs consent fails NO_SMS_CONSENT and opens no session', async () => {
    const n = fresh();
    const s = await survey({ ...CONSENT_SURVEY, name: 'not asking', asksConsent: false });
    const c = await newCase(n);
    const res = await t.request('POST', `/api/v1/projects/clinic/surveys/${s.id}/sessions`, { body: { caseId: c.id } });
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().error.code, 'NO_SMS_CONSENT');
    const failed = (await t.request('GET', `/api/v1/projects/clinic/messages/${res.json().error.details.messageId}`)).json();
    assert.equal(failed.status, 'failed');
    assert.equal(failed.errorCode, 'NO_SMS_CONSENT');
    const sessions = (await t.request('GET', `/api/v1/projects/clinic/surveys/${s.id}/sessions`)).json();
    assert.deepEqual(sessions.items, []);
    await settle();
    assert.deepEqual(await sent(n), []);
  });
});

describe('answer types', () => {
  test('number with min and max: letters and out-of-range numbers are re-asked with the range; a valid number is saved', async () => {
    const n = fresh();
    const s = await survey(oneQuestion({ type: 'number', min: 0, max: 120, saveAs: 'age', text: 'How old are you?' }));
    const c = await newCase(n);
    const started = await start(s.id, c.id);
    await inbound(n, 'old');
    await inbound(n, '130');
    await inbound(n, ' 42 ');
    await settle();
    const texts = await sent(n);
    assert.deepEqual(texts, ['How old are you?', 'Please reply with a number from 0 to 120.\nHow old are you?', 'Please reply with a number from 0 to 120.\nHow old are you?', 'Done.']);
    assert.equal((await caseOf(c.id)).properties.age, '42');
    assert.equal((await session(started.id)).status, 'completed');
  });

  test('choice by number, by value and by label, any case; the value is saved', async () => {
    const s = await survey(oneQuestion({ type: 'choice', saveAs: 'sex', choices: [{ value: 'm', label: 'Male' }, { value: 'f', label: 'Female' }] }));
    for (const [reply, saved] of [['2', 'f'], ['M', 'm'], ['female', 'f'], ['1.', 'm']]) {
      const n = fresh();
      const c = await newCase(n);
      await start(s.id, c.id);
      await inbound(n, reply as string);
      await settle();
      assert.equal((await caseOf(c.id)).properties.sex, saved, reply);
    }
  });

  test('an optional question says how to skip it and SKIP saves nothing; a required one refuses SKIP', async () => {
    const s = await survey({
      name: 'optional',
      asksConsent: true,
      questions: [
        { id: 'nick', text: 'Any nickname?', type: 'text', saveAs: 'nickname', required: false },
        { id: 'village', text: 'Which village?', type: 'text', saveAs: 'village' },
      ],
    });
    const n = fresh();
    const c = await newCase(n, { nickname: 'old' });
    const started = await start(s.id, c.id);
    await inbound(n, 'skip');
    await inbound(n, '-');
    await inbound(n, 'Kibera');
    await settle();
    assert.deepEqual(await sent(n), ['Any nickname?\nReply SKIP to skip this question.', 'Which village?', 'Please answer this question.\nWhich village?']);
    const done = await session(started.id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.answers, { nick: null, village: 'Kibera' });
    const updated = await caseOf(c.id);
    assert.equal(updated.properties.nickname, 'old', 'a skipped answer leaves the property as it was');
    assert.equal(updated.properties.village, 'Kibera');
  });

  test('three invalid answers in a row end the session incomplete', async () => {
    const n = fresh();
    const s = await survey(oneQuestion({ type: 'number' }));
    const c = await newCase(n);
    const started = await start(s.id, c.id);
    for (const reply of ['a', 'b', 'c']) {
      await inbound(n, reply);
    }
    await settle();
    const done = await session(started.id);
    assert.equal(done.status, 'incomplete');
    assert.equal(done.endCode, 'SURVEY_TOO_MANY_INVALID_ANSWERS');
    assert.ok(done.endDescription);
    const texts = await sent(n);
    assert.equal(texts.length, 4);
    assert.equal(texts[3], 'Sorry, we could not understand the answers, so the survey has ended.');
    await inbound(n, '5');
    await settle();
    assert.equal((await inboundHandling(n)).at(-1), 'unrecognised', 'after the end, a reply is no longer an answer');
  });
});

describe('sessions', () => {
  test('timeout and reminder with a fixed clock', async () => {
    const n = fresh();
    const s = await survey(oneQuestion({ type: 'text', text: 'Your village?' }, { timeoutMinutes: 60, reminderMinutes: 30 }));
    const c = await newCase(n);
    const started = await start(s.id, c.id);
    await settle();
    const begin = now;
    try {
      now = new Date(begin.getTime() + 29 * 60_000);
      await sweepSurveySessions(t.deps);
      await settle();
      assert.equal((await sent(n)).length, 1, 'no reminder before reminderMinutes');
      now = new Date(begin.getTime() + 31 * 60_000);
      await sweepSurveySessions(t.deps);
      await settle();
      assert.deepEqual(await sent(n), ['Your village?', 'Reminder: Your village?']);
      await sweepSurveySessions(t.deps);
      assert.equal((await sent(n)).length, 2, 'one reminder only');
      assert.equal((await session(started.id)).status, 'open');
      now = new Date(begin.getTime() + 61 * 60_000);
      await sweepSurveySessions(t.deps);
      const ended = await session(started.id);
      assert.equal(ended.status, 'timed-out');
      assert.equal(ended.endCode, 'SURVEY_TIMED_OUT');
      await inbound(n, 'Kibera');
      await settle();
      assert.equal((await caseOf(c.id)).properties.answer, undefined, 'a late answer is not saved');
    } finally {
      now = new Date(begin.getTime() + 120 * 60_000);
    }
  });

  test('an answer after the timeout, before the sweeper ran, ends the session and is not saved', async () => {
    const n = fresh();
    const s = await survey(oneQuestion({ type: 'text' }, { timeoutMinutes: 10 }));
    const c = await newCase(n);
    const started = await start(s.id, c.id);
    now = new Date(now.getTime() + 11 * 60_000);
    await inbound(n, 'late');
    await settle();
    assert.equal((await session(started.id)).status, 'timed-out');
    assert.equal((await caseOf(c.id)).properties.answer, undefined);
  });

  test('STOP during a survey opts out and ends the session opted-out; no further question', async () => {
    const n = fresh();
    const s = await survey({ name: 'two', asksConsent: true, questions: [{ id: 'a', text: 'First?', type: 'text', saveAs: 'a' }, { id: 'b', text: 'Second?', type: 'text', saveAs: 'b' }] });
    const c = await newCase(n);
    const started = await start(s.id, c.id);
    await settle();
    await inbound(n, 'STOP');
    await settle();
    const ended = await session(started.id);
    assert.equal(ended.status, 'opted-out');
    assert.equal(ended.endCode, 'PHONE_NUMBER_OPTED_OUT');
    const texts = await sent(n);
    assert.equal(texts.length, 2);
    assert.match(texts[1] ?? '', /START/, 'the opt-out confirmation, not the next question');
    assert.equal((await caseOf(c.id)).properties.a, undefined, 'STOP is not saved as an answer');
    assert.equal((await t.request('GET', `/api/v1/projects/clinic/phone-numbers/${encodeURIComponent(n)}`)).json().optedOut, true);
  });

  test('a STOP after a long survey still gets its confirmation (survey texts are not counted by the reply loop guard)', async () => {
    const n = fresh();
    const questions = Array.from({ length: 6 }, (_, i) => ({ id: `q${i}`, text: `Question ${i}?`, type: 'text', saveAs: `p${i}` }));
    const s = await survey({ name: 'long', asksConsent: true, questions, closingMessage: 'Done.' });
    const c = await newCase(n);
    await start(s.id, c.id);
    for (let i = 0; i < 6; i++) {
      await inbound(n, `answer ${i}`);
    }
    await inbound(n, 'STOP');
    await settle();
    const texts = await sent(n);
    assert.equal(texts.length, 8, texts.join(' / '));
    assert.match(texts[7] ?? '', /START/);
  });

  test('HELP and join are not swallowed by an open survey; once the join makes the number another contact\'s two-way number, replies are that owner\'s, not the one-way holder\'s session', async () => {
    await t.createProject('joinme', { defaultCountry: 'US', phoneValidation: 'possible' });
    await t.request('PATCH', '/api/v1/projects/joinme', { body: { selfRegistration: { caseEnabled: true, caseType: 'contact' } } });
    const n = fresh();
    const s = await survey(oneQuestion({ type: 'text', text: 'Village?' }));
    const c = await newCase(n);
    const started = await start(s.id, c.id);
    await inbound(n, 'HELP');
    await inbound(n, 'join joinme');
    await inbound(n, 'Kibera');
    await settle();
    // The consent survey went to a one-way holder while nobody owned the number two-way; the join
    // made the new joinme case its two-way owner, so "Kibera" is that owner's message, not an answer:
    // logged in joinme, and clinic, whose gateway carried it, keeps a note that it was forwarded.
    assert.deepEqual(await inboundHandling(n), ['help', 'registered-case', 'contact', 'forwarded']);
    const ended = await session(started.id);
    assert.equal(ended.status, 'cancelled');
    assert.equal(ended.endCode, 'NO_TWO_WAY_PHONE_NUMBER');
    assert.equal((await caseOf(c.id)).properties.answer, undefined);
  });

  test('a second survey replaces the first: the first is cancelled (SURVEY_REPLACED), answers go to the second', async () => {
    const n = fresh();
    const first = await survey(oneQuestion({ type: 'text', text: 'First survey?', saveAs: 'first' }));
    const second = await survey(oneQuestion({ type: 'text', text: 'Second survey?', saveAs: 'second' }));
    const c = await newCase(n);
    const a = await start(first.id, c.id);
    const b = await start(second.id, c.id);
    await inbound(n, 'hello');
    await settle();
    const oldOne = await session(a.id);
    assert.equal(oldOne.status, 'cancelled');
    assert.equal(oldOne.endCode, 'SURVEY_REPLACED');
    assert.equal((await session(b.id)).status, 'completed');
    const props = (await caseOf(c.id)).properties;
    assert.equal(props.second, 'hello');
    assert.equal(props.first, undefined);
    const list = (await t.request('GET', `/api/v1/projects/clinic/survey-sessions?caseId=${c.id}`)).json();
    assert.deepEqual(list.items.map((x: Json) => x.id), [b.id, a.id]);
  });

  test('five starts at once for one number leave exactly one open session (partial unique index + per-number lock)', async () => {
    const n = fresh();
    const s = await survey(oneQuestion({ type: 'text' }));
    const c = await newCase(n);
    const results = await Promise.all(Array.from({ length: 5 }, () => t.request('POST', `/api/v1/projects/clinic/surveys/${s.id}/sessions`, { body: { caseId: c.id } })));
    assert.deepEqual(results.map((r) => r.statusCode), [201, 201, 201, 201, 201]);
    const list = (await t.request('GET', `/api/v1/projects/clinic/survey-sessions?caseId=${c.id}`)).json().items;
    assert.equal(list.length, 5);
    assert.equal(list.filter((x: Json) => x.status === 'open').length, 1);
    assert.ok(list.filter((x: Json) => x.status !== 'open').every((x: Json) => x.endCode === 'SURVEY_REPLACED'));
  });

  test('translations: a French contact gets the questions, choices and closing message in French and may answer with a French label', async () => {
    const n = fresh();
    const s = await survey({ ...CONSENT_SURVEY, name: 'consent fr' });
    const c = await newCase(n, { language_code: 'fr' });
    await start(s.id, c.id);
    await inbound(n, 'oui');
    await settle();
    assert.deepEqual(await sent(n), ['Acceptez-vous de recevoir des SMS de la clinique ?\n1. Oui\n2. Non', 'Merci pour votre réponse.']);
    assert.equal((await caseOf(c.id)).properties.contact_phone_number_is_verified, '1');
  });

  test('a user can cancel an open session; cancelling again is a conflict', async () => {
    const n = fresh();
    const s = await survey(oneQuestion({ type: 'text' }));
    const c = await newCase(n);
    const started = await start(s.id, c.id);
    const res = await t.request('POST', `/api/v1/projects/clinic/survey-sessions/${started.id}/cancel`);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().endCode, 'SURVEY_CANCELLED');
    assert.equal((await t.request('POST', `/api/v1/projects/clinic/survey-sessions/${started.id}/cancel`)).statusCode, 409);
  });
});

describe('the welcome survey after join', () => {
  test('join registers the case, the welcome survey asks the name and saves it as the case name', async () => {
    await t.createProject('welcome', { defaultCountry: 'US', phoneValidation: 'possible' });
    const gw = (await t.request('POST', '/api/v1/projects/welcome/gateways', { body: { name: 'sms', type: 'test' } })).json();
    await t.request('PUT', '/api/v1/projects/welcome/gateway-routes', { body: [{ prefix: '*', gateway: 'SMS' }] });
    const created = await t.request('POST', '/api/v1/projects/welcome/surveys', {
      body: { name: 'Welcome', questions: [{ id: 'name', text: 'Welcome! What is your name?', type: 'text', saveAs: 'name' }], closingMessage: 'Thank you.' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const bad = await t.request('PATCH', '/api/v1/projects/welcome', { body: { selfRegistration: { caseEnabled: true, caseType: 'contact', welcomeSurveyId: '00000000-0000-4000-8000-000000000000' } } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'VALIDATION_ERROR');
    const ok = await t.request('PATCH', '/api/v1/projects/welcome', { body: { selfRegistration: { caseEnabled: true, caseType: 'contact', welcomeSurveyId: created.json().id } } });
    assert.equal(ok.statusCode, 200, ok.body);

    const n = fresh();
    const path = new URL(gw.inboundUrl).pathname;
    await t.request('POST', path, { token: null, body: { from: n, text: 'join welcome' } });
    await settle();
    const outbox = (await t.request('GET', '/api/v1/projects/welcome/gateways/SMS/outbox')).json().filter((o: Json) => o.to === n);
    assert.deepEqual(outbox.map((o: Json) => o.text), ['Welcome! What is your name?']);
    await t.request('POST', path, { token: null, body: { from: n, text: 'Amina Otieno' } });
    await settle();
    const cases = (await t.request('GET', `/api/v1/projects/welcome/cases?phoneNumber=${encodeURIComponent(n)}`)).json().items;
    assert.equal(cases.length, 1);
    assert.equal(cases[0].name, 'Amina Otieno');
    const sessions = (await t.request('GET', `/api/v1/projects/welcome/surveys/${created.json().id}/sessions`)).json().items;
    assert.equal(sessions[0].status, 'completed');
    assert.deepEqual(sessions[0].answers, { name: 'Amina Otieno' });
    const del = await t.request('DELETE', `/api/v1/projects/welcome/surveys/${created.json().id}`);
    assert.equal(del.statusCode, 409, 'the welcome survey cannot be deleted while it is the welcome survey');
  });
});
