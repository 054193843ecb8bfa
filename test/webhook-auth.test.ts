/**
 * Webhook authentication, one row per provider type of the registry. Each row creates gateways
 * through the API (in two projects), then checks that a correctly authenticated inbound webhook is
 * accepted and stored, and that forged ones (wrong / missing secret or signature, signature for
 * another URL or body, project A's key with project B's secret, unknown key, deleted gateway's key)
 * are refused with the documented status and a catalogue error code, storing nothing. Providers
 * whose only authentication is the random URL key say so (urlKeyOnly). Also: unsubscribe tokens.
 * The table must name every type the registry knows.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { twilioSignature } from '../src/providers/twilio/twilio.signature.ts';
import { unsubscribeToken } from '../src/services/unsubscribe.service.ts';
import { callWebhook, createCase, createGateway, getMessage, sendToCase, settleInbound } from './support/provider-flow.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
type Call = { kind: 'form' | 'json' | 'query'; fields: Json; headers?: Record<string, string> };
const PHONE = '+254711082306';

interface Row {
  type: string;
  /** 'none': the type takes no webhooks (its status is then 404 for inbound). */
  auth: 'secret' | 'signature' | 'urlKeyOnly' | 'none';
  config: (secret: string) => Json;
  /** A correctly authenticated inbound call for the gateway's inbound URL and its secret. */
  inbound?: (url: string, secret: string, n: number) => Call;
  /** The same call without credentials (or with the given wrong secret). */
  forged?: (url: string, secret: string | null, n: number) => Call;
  /** Delivery reports carry no secret (infobip: per-message notifyUrl cannot hold a header), so the URL key authenticates them; a wrong secret is still refused. */
  statusUrlKeyOnly?: boolean;
}

const TW_SID = 'AC' + 'ab12'.repeat(8);
const twForm = (n: number) => ({ MessageSid: `SMhook${n}`, AccountSid: TW_SID, From: PHONE, To: '+15005550006', Body: `hello ${n}` });
const hdr = (name: string, value: string | null): Record<string, string> => (value === null ? {} : { [name]: value });
const basic = (s: string) => `Basic ${Buffer.from(`infobip:${s}`).toString('base64')}`;
const ibBody = (n: number) => ({ results: [{ messageId: `ib-hook-${n}`, from: PHONE.slice(1), to: '447491163443', text: `hi ${n}`, cleanText: `hi ${n}`, keyword: '', receivedAt: '2026-12-01T18:01:00.000+0000', smsCount: 1 }], messageCount: 1, pendingMessageCount: 0 });

const rows: Row[] = [
  { type: 'test', auth: 'urlKeyOnly', config: () => ({}), inbound: (_u, _s, n) => ({ kind: 'json', fields: { from: PHONE, text: `t ${n}`, messageId: `t-${n}` } }) },
  { type: 'test-email', auth: 'urlKeyOnly', config: () => ({}), inbound: (_u, _s, n) => ({ kind: 'json', fields: { from: 'amina@example.org', text: `e ${n}`, messageId: `te-${n}` } }) },
  {
    type: 'africastalking',
    auth: 'urlKeyOnly',
    config: () => ({ username: 'myapp', apiKey: 'atsk_' + 'x9'.repeat(20), from: 'MYORG', baseUrl: 'http://127.0.0.1:9' }),
    inbound: (_u, _s, n) => ({ kind: 'form', fields: { from: PHONE, id: `at-hook-${n}`, text: `a ${n}`, to: 'MYORG', date: '2026-12-01 18:02:11' } }),
  },
  {
    type: 'twilio',
    auth: 'signature',
    config: (s) => ({ accountSid: TW_SID, authToken: s, from: '+15005550006', baseUrl: 'http://127.0.0.1:9' }),
    inbound: (u, s, n) => ({ kind: 'form', fields: twForm(n), headers: { 'x-twilio-signature': twilioSignature(s, u, twForm(n)) } }),
    forged: (u, s, n) => ({ kind: 'form', fields: twForm(n), headers: hdr('x-twilio-signature', s === null ? null : twilioSignature(s, u, twForm(n))) }),
  },
  {
    type: 'telerivet',
    auth: 'secret',
    config: (s) => ({ apiKey: 'TrKey' + 'q8W2'.repeat(8), projectId: 'PJ' + '5a5a'.repeat(4), routeId: 'PN' + '77ab'.repeat(4), webhookSecret: s, baseUrl: 'http://127.0.0.1:9' }),
    inbound: (_u, s, n) => ({ kind: 'form', fields: { event: 'incoming_message', id: `tr-hook-${n}`, from_number: PHONE, content: `r ${n}`, secret: s } }),
    forged: (_u, s, n) => ({ kind: 'form', fields: { event: 'incoming_message', id: `tr-hook-${n}`, from_number: PHONE, content: `r ${n}`, ...(s === null ? {} : { secret: s }) } }),
  },
  {
    type: 'infobip',
    auth: 'secret',
    statusUrlKeyOnly: true,
    config: (s) => ({ baseUrl: 'http://127.0.0.1:9', apiKey: 'ib' + 'k3y'.repeat(10), from: 'InfoSMS', webhookSecret: s }),
    inbound: (_u, s, n) => ({ kind: 'json', fields: ibBody(n), headers: { authorization: basic(s) } }),
    forged: (_u, s, n) => ({ kind: 'json', fields: ibBody(n), headers: hdr('authorization', s === null ? null : basic(s)) }),
  },
  {
    type: 'http',
    auth: 'secret',
    config: (s) => ({ url: 'http://127.0.0.1:9/send?to={to}&text={text}', inboundFromField: 'sender', inboundTextField: 'msg', inboundIdField: 'smsid', webhookSecret: s }),
    inbound: (_u, s, n) => ({ kind: 'query', fields: { sender: PHONE, msg: `h ${n}`, smsid: `h-${n}`, secret: s } }),
    forged: (_u, s, n) => ({ kind: 'query', fields: { sender: PHONE, msg: `h ${n}`, smsid: `h-${n}`, ...(s === null ? {} : { secret: s }) } }),
  },
  { type: 'smtp', auth: 'none', config: () => ({ host: '127.0.0.1', port: 2525, from: 'clinic@example.org' }) },
];

let t: TestApp;
before(async () => {
  t = await createTestApp();
  await t.createProject('hooka', { defaultCountry: 'KE' });
  await t.createProject('hookb', { defaultCountry: 'KE' });
});
after(async () => {
  await t.close();
});

/** Every message row with its status: what a forged webhook must leave unchanged. */
async function snapshot(): Promise<string> {
  const rowsNow = await t.deps.db.selectFrom('messages').select(['id', 'status']).orderBy('id').execute();
  return JSON.stringify(rowsNow);
}
const count = async () => (await t.deps.db.selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n;

async function gateway(project: string, name: string, row: Row, secret: string): Promise<Json> {
  const res = await t.request('POST', `/api/v1/projects/${project}/gateways`, { body: { name, type: row.type, config: row.config(secret) } });
  assert.equal(res.statusCode, 201, `${row.type}: ${res.body}`);
  return res.json();
}

async function refused(label: string, url: string, call: Call, status: number, code: string): Promise<void> {
  const before = await snapshot();
  const res = await callWebhook(t, url, call.kind, call.fields, call.headers);
  assert.equal(res.statusCode, status, `${label}: ${res.body}`);
  assert.equal(res.json().error.code, code, label);
  await settleInbound(t);
  assert.equal(await snapshot(), before, `${label}: nothing stored or changed`);
}

test('the table has one row for every provider type in the registry', () => {
  assert.deepEqual(rows.map((r) => r.type).sort(), t.deps.providers.types(), 'add a row to test/webhook-auth.test.ts for the new provider type');
});

let n = 0;
for (const row of rows) {
  test(`${row.type}: webhook authentication (${row.auth})`, async () => {
    const secretA = `hookA${row.type.replace(/\W/g, '')}Secret${'Z9'.repeat(8)}`;
    const secretB = `hookB${row.type.replace(/\W/g, '')}Secret${'Q7'.repeat(8)}`;
    const a = await gateway('hooka', `wa-${row.type}`, row, secretA);
    const b = await gateway('hookb', `wb-${row.type}`, row, secretB);
    const unknown = a.inboundUrl.replace(/\/webhooks\/[^/]+\//, `/webhooks/${'u'.repeat(32)}/`);

    if (row.auth === 'none' || !row.inbound) {
      await refused(`${row.type}: takes no inbound webhook`, a.inboundUrl, { kind: 'json', fields: { from: PHONE, text: 'x' } }, 404, 'NOT_FOUND');
      return;
    }
    // Accepted and stored.
    const before = await count();
    const ok = await callWebhook(t, a.inboundUrl, row.inbound(a.inboundUrl, secretA, ++n).kind, row.inbound(a.inboundUrl, secretA, n).fields, row.inbound(a.inboundUrl, secretA, n).headers);
    assert.ok(ok.statusCode >= 200 && ok.statusCode < 300, `${row.type}: ${ok.body}`);
    await settleInbound(t);
    assert.equal(Number(await count()), Number(before) + 1, `${row.type}: the inbound message is stored`);

    // Unknown key: 404 for every provider.
    await refused(`${row.type}: unknown key`, unknown, row.inbound(unknown, secretA, ++n), 404, 'NOT_FOUND');
    await refused(`${row.type}: unknown key (status)`, unknown.replace(/\/inbound$/, '/status'), row.inbound(unknown, secretA, ++n), 404, 'NOT_FOUND');

    if (row.forged) {
      await refused(`${row.type}: missing secret`, a.inboundUrl, row.forged(a.inboundUrl, null, ++n), 403, 'FORBIDDEN');
      await refused(`${row.type}: wrong secret`, a.inboundUrl, row.forged(a.inboundUrl, 'guess-' + secretA.slice(6), ++n), 403, 'FORBIDDEN');
      await refused(`${row.type}: project A's key with project B's secret`, a.inboundUrl, row.forged(a.inboundUrl, secretB, ++n), 403, 'FORBIDDEN');
      await refused(`${row.type}: project B's key with project A's secret`, b.inboundUrl, row.forged(b.inboundUrl, secretA, ++n), 403, 'FORBIDDEN');
      await refused(`${row.type}: status with a wrong secret`, a.statusUrl, row.forged(a.statusUrl, secretB, ++n), 403, 'FORBIDDEN');
      if (!row.statusUrlKeyOnly) {
        await refused(`${row.type}: status without a secret`, a.statusUrl, row.forged(a.statusUrl, null, ++n), 403, 'FORBIDDEN');
      }
    }
    if (row.auth === 'signature') {
      // Signed for another URL (the status URL, or the local address), or for another body.
      await refused(`${row.type}: signature for another URL`, a.inboundUrl, row.forged!(a.statusUrl, secretA, ++n), 403, 'FORBIDDEN');
      await refused(`${row.type}: signature for the local address`, a.inboundUrl, row.forged!(`http://localhost${new URL(a.inboundUrl).pathname}`, secretA, ++n), 403, 'FORBIDDEN');
      const signed = row.inbound(a.inboundUrl, secretA, ++n);
      await refused(`${row.type}: signature for another body`, a.inboundUrl, { ...signed, fields: { ...signed.fields, Body: 'STOP' } }, 403, 'FORBIDDEN');
    }

    // A deleted gateway's key no longer opens anything.
    const del = await t.request('DELETE', `/api/v1/projects/hookb/gateways/${b.name}`);
    assert.ok(del.statusCode >= 200 && del.statusCode < 300, del.body);
    await refused(`${row.type}: deleted gateway's key`, b.inboundUrl, row.inbound(b.inboundUrl, secretB, ++n), 404, 'NOT_FOUND');
    await refused(`${row.type}: deleted gateway's key (status)`, b.statusUrl, row.inbound(b.statusUrl, secretB, ++n), 404, 'NOT_FOUND');
  });
}

test('unsubscribe links: a tampered token is refused, a valid one opts the address out', async () => {
  const token = unsubscribeToken(t.deps, 'amina@example.org', null);
  const [body, mac] = token.split('.') as [string, string];
  const other = Buffer.from(JSON.stringify({ e: 'someone@example.org', p: null })).toString('base64url');
  const before = await t.deps.db.selectFrom('opt_outs').selectAll().execute();
  for (const bad of [`${other}.${mac}`, `${body}.${mac.slice(0, -2)}AA`, body, `${body}.`]) {
    const res = await t.request('POST', `/unsubscribe/${bad}`, { token: null });
    assert.equal(res.statusCode, 404, bad);
    assert.equal(res.json().error.code, 'NOT_FOUND');
  }
  assert.deepEqual(await t.deps.db.selectFrom('opt_outs').selectAll().execute(), before, 'a tampered token opts nobody out');
  const ok = await t.request('POST', `/unsubscribe/${token}`, { token: null });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.match(ok.body, /amina@example\.org/);
});

test('a status callback replayed to another gateway (another project) changes nothing', async () => {
  const a = await createGateway(t, 'hooka', { name: 'replay-a', type: 'test', config: {} });
  const other = await gateway('hookb', 'replay-b', rows[0] as Row, '');
  const kase = await createCase(t, 'hooka', PHONE);
  const sent = await sendToCase(t, 'hooka', kase.id, 'Clinic day is Monday');
  assert.equal(sent.status, 'sent', JSON.stringify(sent));
  const before = await snapshot();
  const replay = await callWebhook(t, other.statusUrl, 'json', { providerMessageId: sent.providerMessageId, status: 'delivered' });
  assert.equal(replay.statusCode, 200, replay.body);
  assert.equal(replay.json().updated, 0);
  assert.equal(await snapshot(), before, 'the other gateway cannot touch the message');
  const own = await callWebhook(t, a.statusUrl, 'json', { providerMessageId: sent.providerMessageId, status: 'delivered' });
  assert.equal(own.statusCode, 200, own.body);
  assert.equal((await getMessage(t, 'hooka', sent.id)).status, 'delivered');
});
