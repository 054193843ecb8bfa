/**
 * Opt-out words people really send (issue 22, item 5), through the webhook and the API: keywords
 * with punctuation, emoji and accents in the project's languages opt out; a reply that only looks
 * like an opt-out is held for review and keeps broadcasts away until an admin decides; a survey
 * answer "No" stays an answer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { processInbound } from '../src/services/inbound.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;
let hook = '';
let seq = 0;
const fresh = () => `+2547180${String(++seq).padStart(5, '0')}`;
const P = '/api/v1/projects/words';

before(async () => {
  t = await createTestApp({ jobs: true });
  await t.createProject('words', { defaultCountry: 'KE', languages: ['en', 'fr', 'sw'], defaultLanguage: 'en' });
  const g = (await t.request('POST', `${P}/gateways`, { body: { name: 'sms', type: 'test' } })).json();
  hook = new URL(g.inboundUrl).pathname;
  await t.request('PUT', `${P}/gateway-routes`, { body: [{ prefix: '*', gateway: 'SMS' }] });
});
after(() => t.close());

async function inbound(from: string, text: string): Promise<void> {
  assert.equal((await t.request('POST', hook, { token: null, body: { from, text } })).statusCode, 200);
}

async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if ((await processInbound(t.deps, 50)) + (await dispatchOnce(t.deps, { batchSize: 200, leaseMs: 60_000 })) === 0) {
      return;
    }
  }
}

async function optedOut(n: string): Promise<boolean> {
  return (await t.request('GET', `${P}/phone-numbers/${encodeURIComponent(n)}`)).json().optedOut;
}

async function newCase(n: string): Promise<Json> {
  return (await t.request('POST', `${P}/cases`, { body: { caseType: 'p', name: 'Case', properties: { contact_phone_number: n, contact_phone_number_is_verified: '1' } } })).json();
}

async function broadcastTo(caseId: string): Promise<void> {
  const b = (await t.request('POST', `${P}/broadcasts`, { body: { recipients: { caseIds: [caseId] }, text: 'Clinic day' } })).json();
  for (let i = 0; i < 100 && (await t.request('GET', `${P}/broadcasts/${b.id}`)).json().status !== 'done'; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await settle();
}

test('Stop., STOP!, stop 🙏, arrêt (French) and ACHA (Swahili) opt out; START. opts back in', async () => {
  for (const word of ['Stop.', 'STOP!', 'stop 🙏', 'arrêt', 'ACHA']) {
    const n = fresh();
    await inbound(n, word);
    await settle();
    assert.equal(await optedOut(n), true, word);
  }
  const n = fresh();
  await inbound(n, 'STOP');
  await inbound(n, 'Start.');
  await settle();
  assert.equal(await optedOut(n), false);
});

test('"please stop texting me" is held as a possible opt-out: broadcasts wait until an admin dismisses it', async () => {
  const n = fresh();
  const c = await newCase(n);
  await inbound(n, 'please stop texting me');
  await settle();
  assert.equal(await optedOut(n), false, 'not an opt-out by itself');
  const held = (await t.request('GET', `${P}/possible-opt-outs?status=open`)).json().items.filter((p: Json) => p.number === n);
  assert.equal(held.length, 1);
  assert.deepEqual([held[0].text, held[0].contact], ['please stop texting me', { type: 'case', id: c.id, name: 'Case' }]);

  await broadcastTo(c.id);
  const failed = (await t.request('GET', `${P}/messages?caseId=${c.id}&direction=out`)).json().items;
  assert.deepEqual(failed.map((m: Json) => m.errorCode), ['POSSIBLE_OPT_OUT_HELD']);
  assert.match(failed[0].errorDescription, /Possible opt-outs/);

  const dismissed = await t.request('POST', `${P}/possible-opt-outs/${held[0].id}/dismiss`);
  assert.equal(dismissed.statusCode, 200, dismissed.body);
  assert.equal(dismissed.json().status, 'dismissed');
  assert.equal((await t.request('POST', `${P}/possible-opt-outs/${held[0].id}/dismiss`)).statusCode, 409);
  await broadcastTo(c.id);
  const outbox = (await t.request('GET', `${P}/gateways/SMS/outbox`)).json().filter((o: Json) => o.to === n);
  assert.deepEqual(outbox.map((o: Json) => o.text), ['Clinic day']);
});

test('confirming a possible opt-out opts the number out with method review', async () => {
  const n = fresh();
  await newCase(n);
  await inbound(n, "don't send me messages");
  await settle();
  const [held] = (await t.request('GET', `${P}/possible-opt-outs?status=open`)).json().items.filter((p: Json) => p.number === n);
  assert.ok(held);
  const confirmed = await t.request('POST', `${P}/possible-opt-outs/${held.id}/confirm`);
  assert.equal(confirmed.json().status, 'confirmed');
  assert.equal(await optedOut(n), true);
  const history = (await t.request('GET', `${P}/phone-numbers/${encodeURIComponent(n)}/consent`)).json();
  assert.deepEqual(history.map((e: Json) => [e.action, e.method]), [['consent-granted', 'api'], ['opt-out', 'review']]);
});

test('"No" to a survey question is recorded as the answer, not as an opt-out', async () => {
  const n = fresh();
  const c = await newCase(n);
  const s = (
    await t.request('POST', `${P}/surveys`, {
      body: { name: 'Bednet', questions: [{ id: 'net', text: 'Do you sleep under a net?', type: 'choice', choices: [{ value: 'yes', label: 'Yes' }, { value: 'no', label: 'No' }], saveAs: 'bednet' }] },
    })
  ).json();
  assert.equal((await t.request('POST', `${P}/surveys/${s.id}/sessions`, { body: { caseId: c.id } })).statusCode, 201);
  await settle();
  await inbound(n, 'No');
  await settle();
  assert.equal(await optedOut(n), false);
  assert.equal((await t.request('GET', `${P}/cases/${c.id}`)).json().properties.bednet, 'no');
  assert.equal((await t.request('GET', `${P}/possible-opt-outs`)).json().items.filter((p: Json) => p.number === n).length, 0);
});

test('a project adds its own words (never removing the defaults); bad lists are refused naming the field', async () => {
  const patched = await t.request('PATCH', P, { body: { optOutKeywords: [' kwisha ', 'KWISHA', 'basi sasa'], optInKeywords: ['anza'] } });
  assert.equal(patched.statusCode, 200, patched.body);
  assert.deepEqual([patched.json().optOutKeywords, patched.json().optInKeywords], [['KWISHA', 'BASI SASA'], ['ANZA']]);
  const a = fresh();
  await inbound(a, 'Kwisha!');
  const b = fresh();
  await inbound(b, 'basi  sasa');
  const c = fresh();
  await inbound(c, 'STOP');
  await settle();
  assert.deepEqual([await optedOut(a), await optedOut(b), await optedOut(c)], [true, true, true]);
  await inbound(a, 'Anza.');
  await settle();
  assert.equal(await optedOut(a), false);
  const bad = await t.request('PATCH', P, { body: { optOutKeywords: ['x'.repeat(41)] } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.code, 'VALIDATION_ERROR');
  await t.request('PATCH', P, { body: { optOutKeywords: [], optInKeywords: [] } });
});
