/**
 * Consent decided when the message leaves (issue 22): a message queued for a contact is checked
 * again as the dispatch worker hands it to the gateway — the contact's number, consent and status
 * now — so a US number whose consent was withdrawn, changed or blanked after queueing gets nothing.
 * Also: the +1 rule for numbers whose region cannot be told, consent surveys answered No, surveys
 * and shared numbers, vendor opt-outs and email unsubscribe through the one consent module, and a
 * consent grant raced against a STOP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { sql } from 'kysely';

import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { processInbound } from '../src/services/inbound.service.ts';
import { optOutVendor } from './support/opt-out-vendor.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;
let now = new Date('2027-03-01T12:00:00Z');
let inboundPath = '';
let seq = 0;
const usNumber = () => `+1206555${String(++seq).padStart(4, '0')}`;
const P = '/api/v1/projects/us';


before(async () => {
  t = await createTestApp({ clock: () => now, jobs: true, providers: { 'refuses-opted-out': optOutVendor } });
  await t.createProject('us', { defaultCountry: 'US', timeZone: 'America/Los_Angeles' });
  const g = (await t.request('POST', `${P}/gateways`, { body: { name: 'sms', type: 'test' } })).json();
  inboundPath = new URL(g.inboundUrl).pathname;
  await t.request('POST', `${P}/gateways`, { body: { name: 'vendor', type: 'refuses-opted-out' } });
  await t.request('POST', `${P}/gateways`, { body: { name: 'mail', type: 'test-email' } });
  // Numbers of the 1206555 9xxx block go through the vendor that reports opt-outs.
  await t.request('PUT', `${P}/gateway-routes`, { body: [{ prefix: '*', gateway: 'SMS' }, { prefix: '12065559', gateway: 'VENDOR' }] });
  await t.createProject('maybe', { defaultCountry: 'US', phoneValidation: 'possible' });
  await t.request('POST', '/api/v1/projects/maybe/gateways', { body: { name: 'sms', type: 'test' } });
  await t.request('PUT', '/api/v1/projects/maybe/gateway-routes', { body: [{ prefix: '*', gateway: 'SMS' }] });
});
after(() => t.close());

async function newCase(properties: Json, name = 'Case'): Promise<Json> {
  const res = await t.request('POST', `${P}/cases`, { body: { caseType: 'patient', name, properties } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function patch(caseId: string, properties: Json): Promise<void> {
  const res = await t.request('PATCH', `${P}/cases/${caseId}`, { body: { properties } });
  assert.equal(res.statusCode, 200, res.body);
}

async function send(body: Json, project = 'us'): Promise<Json> {
  const res = await t.request('POST', `/api/v1/projects/${project}/messages`, { body: { text: 'due soon', ...body } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function message(id: string): Promise<Json> {
  return (await t.request('GET', `${P}/messages/${id}`)).json();
}

async function outboxTo(number: string, gateway = 'SMS'): Promise<string[]> {
  const out = (await t.request('GET', `${P}/gateways/${gateway}/outbox`)).json();
  return out.filter((o: Json) => o.to === number).map((o: Json) => o.text);
}

async function inbound(from: string, text: string): Promise<void> {
  const res = await t.request('POST', inboundPath, { token: null, body: { from, text } });
  assert.equal(res.statusCode, 200, res.body);
}

async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const a = await processInbound(t.deps, 50);
    const b = await dispatchOnce(t.deps, { batchSize: 200, leaseMs: 60_000 });
    if (a === 0 && b === 0) {
      return;
    }
  }
}

/** Two minutes from now, as local wall time in Los Angeles. */
function inTwoMinutesLocal(): string {
  const local = new Date(now.getTime() + 2 * 60_000).toLocaleString('sv-SE', { timeZone: 'America/Los_Angeles' });
  return local.replace(' ', 'T').slice(0, 16);
}

async function passTime(minutes: number): Promise<void> {
  now = new Date(now.getTime() + minutes * 60_000);
  await settle();
}

async function history(number: string): Promise<Array<[string, string]>> {
  const h = (await t.request('GET', `${P}/phone-numbers/${encodeURIComponent(number)}/consent`)).json();
  return h.map((e: Json) => [e.action, e.method]);
}

describe('a queued message is decided again when it leaves', () => {
  test('consent withdrawn after queueing: NO_SMS_CONSENT, nothing reaches the gateway', async () => {
    const n = usNumber();
    const c = await newCase({ contact_phone_number: n.slice(1), contact_phone_number_is_verified: '1' });
    const m = await send({ recipient: { caseId: c.id }, sendAt: inTwoMinutesLocal() });
    assert.equal(m.status, 'scheduled');
    await patch(c.id, { contact_phone_number_is_verified: '0' });
    await passTime(3);
    const after = await message(m.id);
    assert.deepEqual([after.status, after.errorCode], ['failed', 'NO_SMS_CONSENT']);
    assert.match(after.errorDescription, /consent/);
    assert.deepEqual(await outboxTo(n), []);
  });

  test('number changed after queueing: PHONE_NUMBER_CHANGED, the old number gets nothing', async () => {
    const n = usNumber();
    const c = await newCase({ contact_phone_number: n, contact_phone_number_is_verified: '1' });
    const m = await send({ recipient: { caseId: c.id }, sendAt: inTwoMinutesLocal() });
    await patch(c.id, { contact_phone_number: usNumber() });
    await passTime(3);
    const after = await message(m.id);
    assert.deepEqual([after.status, after.errorCode], ['failed', 'PHONE_NUMBER_CHANGED']);
    assert.match(after.errorDescription, /changed after the message was queued/);
    assert.deepEqual(await outboxTo(n), []);
  });

  test('number blanked after queueing: NO_PHONE_NUMBER', async () => {
    const n = usNumber();
    const c = await newCase({ contact_phone_number: n, contact_phone_number_is_verified: '1' });
    const m = await send({ recipient: { caseId: c.id }, sendAt: inTwoMinutesLocal() });
    await patch(c.id, { contact_phone_number: '' });
    await passTime(3);
    assert.deepEqual([(await message(m.id)).status, (await message(m.id)).errorCode], ['failed', 'NO_PHONE_NUMBER']);
    assert.deepEqual(await outboxTo(n), []);
  });

  test('a broadcast with sendAt: consent withdrawn for one recipient fails only that one', async () => {
    const keep = usNumber();
    const drop = usNumber();
    const a = await newCase({ contact_phone_number: keep, contact_phone_number_is_verified: '1' }, 'Keeps consent');
    const b = await newCase({ contact_phone_number: drop, contact_phone_number_is_verified: '1' }, 'Withdraws');
    const res = await t.request('POST', `${P}/broadcasts`, { body: { recipients: { caseIds: [a.id, b.id] }, text: 'Clinic day', sendAt: inTwoMinutesLocal() } });
    assert.equal(res.statusCode, 202, res.body);
    for (let i = 0; i < 100 && (await t.request('GET', `${P}/broadcasts/${res.json().id}`)).json().status !== 'done'; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await patch(b.id, { contact_phone_number_is_verified: '0' });
    await passTime(3);
    assert.deepEqual(await outboxTo(keep), ['Clinic day']);
    assert.deepEqual(await outboxTo(drop), []);
    const failed = (await t.request('GET', `${P}/messages?caseId=${b.id}`)).json().items;
    assert.deepEqual(failed.map((m: Json) => m.errorCode), ['NO_SMS_CONSENT']);
  });

  test('a mobile worker whose number was removed: the queued message never leaves', async () => {
    const w = (await t.request('POST', `${P}/mobile-workers`, { body: { username: `w${++seq}` } })).json();
    const n = usNumber();
    assert.equal((await t.request('POST', `${P}/mobile-workers/${w.id}/phone-numbers`, { body: { number: n } })).statusCode, 201);
    await t.request('POST', `${P}/mobile-workers/${w.id}/phone-numbers/${encodeURIComponent(n)}/verify`);
    await inbound(n, '123');
    await settle();
    const verified = (await t.request('GET', `${P}/mobile-workers/${w.id}`)).json();
    assert.equal(verified.phoneNumbers[0].status, 'verified');
    const m = await send({ recipient: { mobileWorkerId: w.id }, sendAt: inTwoMinutesLocal() });
    assert.equal(m.status, 'scheduled');
    assert.equal((await t.request('DELETE', `${P}/mobile-workers/${w.id}/phone-numbers/${encodeURIComponent(n)}`)).statusCode, 204);
    await passTime(3);
    assert.deepEqual([(await message(m.id)).status, (await message(m.id)).errorCode], ['failed', 'NO_PHONE_NUMBER']);
    assert.equal((await outboxTo(n)).filter((x) => x === 'due soon').length, 0);
  });

  test('the verification SMS asks for consent, so it goes to a US number that has none yet', async () => {
    const w = (await t.request('POST', `${P}/mobile-workers`, { body: { username: `w${++seq}` } })).json();
    const n = usNumber();
    await t.request('POST', `${P}/mobile-workers/${w.id}/phone-numbers`, { body: { number: n } });
    const v = (await t.request('POST', `${P}/mobile-workers/${w.id}/phone-numbers/${encodeURIComponent(n)}/verify`)).json();
    assert.equal(v.result, 'started');
    await settle();
    assert.equal((await outboxTo(n)).length, 1);
    // An ordinary message to the same unverified number is refused.
    const m = await send({ recipient: { mobileWorkerId: w.id } });
    assert.equal(m.errorCode, 'NO_SMS_CONSENT');
  });
});

describe('the US rule by calling code', () => {
  test('+1 555 123 0002 in a project with phoneValidation "possible" and no consent is refused', async () => {
    const c = (await t.request('POST', '/api/v1/projects/maybe/cases', { body: { caseType: 'p', name: 'Test number', properties: { contact_phone_number: '+1 555 123 0002' } } })).json();
    assert.equal(c.contact.phoneNumber, '+15551230002');
    const m = await send({ recipient: { caseId: c.id } }, 'maybe');
    assert.deepEqual([m.status, m.errorCode], ['failed', 'NO_SMS_CONSENT']);
    const bare = await send({ recipient: { phoneNumber: '+15551230003' } }, 'maybe');
    assert.deepEqual([bare.status, bare.errorCode], ['failed', 'NO_SMS_CONSENT']);
    const reach = (await t.request('GET', `/api/v1/projects/maybe/cases/${c.id}/reachability?channel=sms`)).json();
    assert.equal(reach.canSend, false);
    assert.deepEqual(reach.reasons.map((r: Json) => r.code), ['NO_SMS_CONSENT']);
  });

  test('a Puerto Rico number needs consent as a US one does; a Canadian one does not', async () => {
    const pr = await newCase({ contact_phone_number: '+1 787 555 0123' });
    assert.equal((await send({ recipient: { caseId: pr.id } })).errorCode, 'NO_SMS_CONSENT');
    const ca = await newCase({ contact_phone_number: '+1 416 555 0123' });
    assert.equal((await send({ recipient: { caseId: ca.id } })).status, 'queued');
  });
});

describe('surveys and consent', () => {
  async function survey(body: Json): Promise<Json> {
    const res = await t.request('POST', `${P}/surveys`, { body: { name: `Survey ${++seq}`, ...body } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  }
  const consentSurvey = () =>
    survey({
      asksConsent: true,
      questions: [
        { id: 'ok', text: 'May we text you?', type: 'choice', choices: [{ value: '1', label: 'Yes' }, { value: '0', label: 'No' }], saveAs: 'contact_phone_number_is_verified' },
        { id: 'village', text: 'Which village?', type: 'text', saveAs: 'village' },
      ],
      closingMessage: 'Thanks, you are registered.',
    });

  test('a consent survey answered 2 (No): consent-withdrawn recorded, only the closing message for No is sent', async () => {
    const n = usNumber();
    const c = await newCase({ contact_phone_number: n });
    const s = await consentSurvey();
    const started = await t.request('POST', `${P}/surveys/${s.id}/sessions`, { body: { caseId: c.id } });
    assert.equal(started.statusCode, 201, started.body);
    await settle();
    await inbound(n, '2');
    await settle();
    const texts = await outboxTo(n);
    assert.deepEqual(texts, ['May we text you?\n1. Yes\n2. No', 'Thank you. You will not get SMS from us.']);
    assert.deepEqual(await history(n), [['consent-withdrawn', 'survey']]);
    const session = (await t.request('GET', `${P}/survey-sessions/${started.json().id}`)).json();
    assert.deepEqual([session.status, session.endCode], ['declined', 'SURVEY_CONSENT_DECLINED']);
  });

  test('consent withdrawn through the API while a consent survey is open ends it the same way', async () => {
    const n = usNumber();
    const c = await newCase({ contact_phone_number: n });
    const s = await consentSurvey();
    const started = (await t.request('POST', `${P}/surveys/${s.id}/sessions`, { body: { caseId: c.id } })).json();
    await inbound(n, '1');
    await settle();
    await patch(c.id, { contact_phone_number_is_verified: '0' });
    await settle();
    const texts = await outboxTo(n);
    assert.equal(texts.at(-1), 'Thank you. You will not get SMS from us.');
    assert.equal(texts.length, 3, texts.join(' / '));
    assert.equal((await t.request('GET', `${P}/survey-sessions/${started.id}`)).json().status, 'declined');
  });

  test('a survey for a one-way holder of a shared number is refused NO_TWO_WAY_PHONE_NUMBER; replies reach the two-way owner', async () => {
    const n = usNumber();
    const owner = await newCase({ contact_phone_number: n, contact_phone_number_is_verified: '1' }, 'Owner');
    const sharer = await newCase({ contact_phone_number: n, contact_phone_number_is_verified: '1' }, 'Sharer');
    assert.equal(owner.contact.phoneStatus, 'two-way');
    assert.equal(sharer.contact.phoneStatus, 'one-way');
    const s = await survey({ questions: [{ id: 'v', text: 'Village?', type: 'text', saveAs: 'village' }] });
    const ok = await t.request('POST', `${P}/surveys/${s.id}/sessions`, { body: { caseId: owner.id } });
    assert.equal(ok.statusCode, 201, ok.body);
    const refused = await t.request('POST', `${P}/surveys/${s.id}/sessions`, { body: { caseId: sharer.id } });
    assert.equal(refused.json().error.code, 'NO_TWO_WAY_PHONE_NUMBER', refused.body);
    await settle();
    await inbound(n, 'Kibera');
    await settle();
    assert.equal((await t.request('GET', `${P}/cases/${owner.id}`)).json().properties.village, 'Kibera');
    assert.equal((await t.request('GET', `${P}/cases/${sharer.id}`)).json().properties.village, undefined);
  });

  test('a vendor-reported opt-out (21610) ends the open survey and writes the ledger like STOP', async () => {
    const n = `+12065559${String(++seq).padStart(3, '0')}`;
    const c = await newCase({ contact_phone_number: n, contact_phone_number_is_verified: '1' });
    const s = await survey({ questions: [{ id: 'v', text: 'Village?', type: 'text', saveAs: 'village' }] });
    const started = (await t.request('POST', `${P}/surveys/${s.id}/sessions`, { body: { caseId: c.id } })).json();
    await settle();
    const session = (await t.request('GET', `${P}/survey-sessions/${started.id}`)).json();
    assert.deepEqual([session.status, session.endCode], ['opted-out', 'PHONE_NUMBER_OPTED_OUT']);
    assert.deepEqual(await history(n), [['consent-granted', 'api'], ['opt-out', 'vendor']]);
    const later = await send({ recipient: { caseId: c.id } });
    assert.equal(later.errorCode, 'PHONE_NUMBER_OPTED_OUT');
  });
});

describe('email unsubscribe goes through the same consent module', () => {
  test('the link opts the address out, fails queued email and writes the ledger once', async () => {
    const c = await newCase({ commcare_email_address: 'Amina@Example.org' });
    const first = await send({ recipient: { caseId: c.id }, channel: 'email', subject: 'Hi' });
    await settle();
    assert.equal((await message(first.id)).status, 'sent');
    const queued = await send({ recipient: { caseId: c.id }, channel: 'email', subject: 'Later', sendAt: inTwoMinutesLocal() });
    const { unsubscribeUrl } = await import('../src/services/unsubscribe.service.ts');
    const link = new URL(unsubscribeUrl(t.deps, 'Amina@Example.org', null));
    const click = () => t.request('POST', link.pathname, { token: null, body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal((await click()).statusCode, 200);
    assert.equal((await click()).statusCode, 200);
    assert.deepEqual([(await message(queued.id)).status, (await message(queued.id)).errorCode], ['failed', 'EMAIL_OPTED_OUT']);
    const events = await t.deps.db.selectFrom('consent_events').selectAll().where('email', '=', 'amina@example.org').execute();
    assert.deepEqual(events.map((e) => [e.action, e.method]), [['opt-out', 'email-unsubscribe']]);
  });
});

describe('a consent grant raced against a STOP', () => {
  test('200 times: the STOP is never lost and the number ends opted out', async () => {
    for (let i = 0; i < 200; i++) {
      const n = usNumber();
      const c = await newCase({ contact_phone_number: n, contact_phone_number_is_verified: '0' });
      await inbound(n, i % 2 ? 'STOP' : 'Stop');
      // The STOP is handled while the consent grant is written, in either order.
      await Promise.all([patch(c.id, { contact_phone_number_is_verified: '1' }), processInbound(t.deps, 50)]);
      await settle();
      const lookup = (await t.request('GET', `${P}/phone-numbers/${encodeURIComponent(n)}`)).json();
      assert.equal(lookup.optedOut, true, `run ${i}: ${n} lost its STOP`);
      assert.deepEqual((await history(n)).map(([a]) => a).sort(), ['consent-granted', 'opt-out'], `run ${i}`);
      const m = await send({ recipient: { caseId: c.id } });
      assert.equal(m.errorCode, 'PHONE_NUMBER_OPTED_OUT');
    }
  });
});

describe('a STOP whose handling keeps failing', () => {
  test('still opts the number out when the message is closed after three failed tries', async () => {
    // Fault injection in the database: every automatic reply fails to insert, so the full STOP
    // handling (which queues the confirmation) fails each time; the opt-out alone must still hold.
    await sql`create function fail_replies() returns trigger language plpgsql as $$
      begin
        if new.direction = 'out' and new.in_reply_to is not null then
          raise exception 'injected failure of the reply insert';
        end if;
        return new;
      end $$`.execute(t.deps.db);
    await sql`create trigger fail_replies before insert on messages for each row execute function fail_replies()`.execute(t.deps.db);
    try {
      const n = usNumber();
      await inbound(n, 'STOP');
      for (let i = 0; i < 3; i++) {
        await processInbound(t.deps, 50);
      }
      const lookup = (await t.request('GET', `${P}/phone-numbers/${encodeURIComponent(n)}`)).json();
      assert.equal(lookup.optedOut, true);
      const stored = (await t.request('GET', `${P}/messages?direction=in`)).json().items.find((m: Json) => m.from === n);
      assert.match(stored.handling, /^opt-out \(kept after failed: .*injected failure/);
      assert.deepEqual(await history(n), [['opt-out', 'keyword']]);
      // The project's own opt-out word and a word of its languages count too, as they do when handling succeeds.
      await t.request('PATCH', P, { body: { optOutKeywords: ['BASTA'], languages: ['en', 'fr'] } });
      for (const word of ['basta', 'ARRET']) {
        const other = usNumber();
        await inbound(other, word);
        for (let i = 0; i < 3; i++) {
          await processInbound(t.deps, 50);
        }
        assert.equal((await t.request('GET', `${P}/phone-numbers/${encodeURIComponent(other)}`)).json().optedOut, true, `${word} after three failures`);
      }
      await t.request('PATCH', P, { body: { optOutKeywords: [], languages: ['en'] } });
    } finally {
      await sql`drop trigger fail_replies on messages`.execute(t.deps.db);
      await sql`drop function fail_replies()`.execute(t.deps.db);
    }
  });
});
