import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;

before(async () => {
  t = await createTestApp({ config: { retryBaseMs: 0 } });
  await t.createProject('send', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi', languages: ['en', 'fr'], defaultLanguage: 'en' });
  for (const name of ['test1', 'test2']) {
    assert.equal((await t.request('POST', '/api/v1/projects/send/gateways', { body: { name, type: 'test' } })).statusCode, 201);
  }
  assert.equal((await t.request('POST', '/api/v1/projects/send/gateways', { body: { name: 'mail', type: 'test-email' } })).statusCode, 201);
  const routes = await t.request('PUT', '/api/v1/projects/send/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST1' }] });
  assert.equal(routes.statusCode, 200, routes.body);
});
after(() => t.close());

async function newCase(properties: Record<string, unknown>, project = 'send'): Promise<Json> {
  const res = await t.request('POST', `/api/v1/projects/${project}/cases`, { body: { caseType: 'patient', name: 'Amina', properties } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function send(body: Json, project = 'send'): Promise<Json> {
  const res = await t.request('POST', `/api/v1/projects/${project}/messages`, { body });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function drain(): Promise<void> {
  for (let i = 0; i < 50 && (await dispatchOnce(t.deps, { batchSize: 100, leaseMs: 60_000 })) > 0; i++) {
    // keep dispatching until nothing is due
  }
}

async function message(id: string, project = 'send'): Promise<Json> {
  return (await t.request('GET', `/api/v1/projects/${project}/messages/${id}`)).json();
}

async function outbox(name: string, project = 'send'): Promise<Json[]> {
  const res = await t.request('GET', `/api/v1/projects/${project}/gateways/${name}/outbox`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

describe('sending', () => {
  test('a consented Kenyan case gets its SMS through the * route; the log shows it sent', async () => {
    const c = await newCase({ contact_phone_number: '0712000001' });
    const m = await send({ recipient: { caseId: c.id }, text: 'Clinic day is Monday' });
    assert.equal(m.status, 'queued');
    assert.equal(m.gateway, 'TEST1');
    assert.equal(m.to, '+254712000001');
    await drain();
    const after = await message(m.id);
    assert.equal(after.status, 'sent');
    assert.ok(after.providerMessageId);
    const sent = (await outbox('test1')).find((o) => o.messageId === m.id);
    assert.equal(sent?.to, '+254712000001');
    assert.equal(sent?.text, 'Clinic day is Monday');
  });

  test('US consent rule: no consent → NO_SMS_CONSENT; consent 1 → sent; Canada and Kenya need none', async () => {
    const us = await newCase({ contact_phone_number: '12068130912' });
    assert.equal((await send({ recipient: { caseId: us.id }, text: 'hi' })).errorCode, 'NO_SMS_CONSENT');
    const usOk = await newCase({ contact_phone_number: '12068130913', contact_phone_number_is_verified: 1 });
    const m = await send({ recipient: { caseId: usOk.id }, text: 'hi' });
    assert.equal(m.status, 'queued');
    const ca = await newCase({ contact_phone_number: '+1 604 555 0134'.replace('555 0134', '681 2345') });
    const caMsg = await send({ recipient: { caseId: ca.id }, text: 'hi' });
    assert.equal(ca.contact.phoneCountry, 'CA');
    assert.equal(caMsg.status, 'queued', JSON.stringify(caMsg));
    const ke = await newCase({ contact_phone_number: '+254712000002' });
    assert.equal((await send({ recipient: { caseId: ke.id }, text: 'hi' })).status, 'queued');
    await drain();
    assert.equal((await message(m.id)).status, 'sent');
  });

  test('each contact-side code, in order', async () => {
    const closed = await newCase({ contact_phone_number: '+254712000003' });
    await t.request('POST', `/api/v1/projects/send/cases/${closed.id}/close`);
    const cases: Array<[Json, string, Json?]> = [
      [closed, 'CONTACT_IS_INACTIVE'],
      [await newCase({}), 'NO_PHONE_NUMBER'],
      [await newCase({ contact_phone_number: '12345' }), 'INVALID_PHONE_NUMBER'],
      [await newCase({}), 'NO_EMAIL_ADDRESS', { channel: 'email', subject: 'S' }],
      [await newCase({ commcare_email_address: 'bad@' }), 'INVALID_EMAIL_ADDRESS', { channel: 'email' }],
      [await newCase({ contact_phone_number: '+254712000004' }), 'MESSAGE_BLANK', { text: '   ' }],
      [await newCase({ contact_phone_number: '+254712000005' }), 'MESSAGE_TOO_LONG', { text: 'x'.repeat(1601) }],
      [await newCase({ contact_phone_number: '+254712000006', contact_backend_id: 'nowhere' }), 'GATEWAY_NOT_FOUND'],
      [await newCase({ contact_phone_number: '+254712000007', language_code: 'fr' }), 'NO_MESSAGE', { text: undefined, translations: { sw: 'Habari' } }],
    ];
    for (const [c, code, extra] of cases) {
      const m = await send({ recipient: { caseId: c.id }, text: 'hello', ...(extra ?? {}) });
      assert.equal(m.status, 'failed', code);
      assert.equal(m.errorCode, code);
      assert.ok(m.errorDescription && m.errorDescription.length > 10, code);
    }
    // Order: an inactive contact is reported before its missing number.
    const both = await newCase({});
    await t.request('POST', `/api/v1/projects/send/cases/${both.id}/close`);
    assert.equal((await send({ recipient: { caseId: both.id }, text: 'x' })).errorCode, 'CONTACT_IS_INACTIVE');
  });

  test('opted-out numbers fail at creation and again right before sending', async () => {
    const c = await newCase({ contact_phone_number: '+254712000008' });
    const queued = await send({ recipient: { caseId: c.id }, text: 'first' });
    assert.equal(queued.status, 'queued');
    await t.deps.db.insertInto('opt_outs').values({ number: '+254712000008', opted_out: true }).execute();
    assert.equal((await send({ recipient: { caseId: c.id }, text: 'second' })).errorCode, 'PHONE_NUMBER_OPTED_OUT');
    await drain();
    const after = await message(queued.id);
    assert.equal(after.status, 'failed');
    assert.equal(after.errorCode, 'PHONE_NUMBER_OPTED_OUT');
    assert.equal((await outbox('test1')).some((o) => o.messageId === queued.id), false);
  });

  test('no route anywhere → NO_SUITABLE_GATEWAY', async () => {
    await t.createProject('noroute', { defaultCountry: 'KE' });
    const c = await newCase({ contact_phone_number: '+254712000009' }, 'noroute');
    assert.equal((await send({ recipient: { caseId: c.id }, text: 'x' }, 'noroute')).errorCode, 'NO_SUITABLE_GATEWAY');
  });

  test('translations: fr contact gets French, no language gets the default', async () => {
    const fr = await newCase({ contact_phone_number: '+254712000010', language_code: 'fr' });
    const none = await newCase({ contact_phone_number: '+254712000011' });
    const translations = { en: 'Hello', fr: 'Bonjour' };
    assert.equal((await send({ recipient: { caseId: fr.id }, translations })).text, 'Bonjour');
    const def = await send({ recipient: { caseId: none.id }, translations });
    assert.equal(def.text, 'Hello');
    assert.equal(def.language, 'en');
  });

  test('email goes through the project email gateway with its subject', async () => {
    const c = await newCase({ commcare_email_address: 'amina@example.org' });
    const m = await send({ recipient: { caseId: c.id }, channel: 'email', subject: 'Reminder', text: 'Clinic Monday' });
    assert.equal(m.gateway, 'MAIL');
    await drain();
    const mail = (await outbox('mail')).find((o) => o.messageId === m.id);
    assert.deepEqual([mail?.to, mail?.subject, mail?.text], ['amina@example.org', 'Reminder', 'Clinic Monday']);
  });

  test('mobile workers: verified number first, else the first number; unknown worker 404', async () => {
    const w = (await t.request('POST', '/api/v1/projects/send/mobile-workers', { body: { username: 'wanjiru' } })).json();
    assert.equal((await send({ recipient: { mobileWorkerId: w.id }, text: 'x' })).errorCode, 'NO_PHONE_NUMBER');
    await t.request('POST', `/api/v1/projects/send/mobile-workers/${w.id}/phone-numbers`, { body: { number: '+254712000012' } });
    await t.request('POST', `/api/v1/projects/send/mobile-workers/${w.id}/phone-numbers`, { body: { number: '+254712000013' } });
    assert.equal((await send({ recipient: { mobileWorkerId: w.id }, text: 'x' })).to, '+254712000012');
    await t.deps.db.updateTable('phone_entries').set({ state: 'two-way' }).where('number', '=', '+254712000013').execute();
    assert.equal((await send({ recipient: { mobileWorkerId: w.id }, text: 'x' })).to, '+254712000013');
    const missing = await t.request('POST', '/api/v1/projects/send/messages', { body: { recipient: { mobileWorkerId: '00000000-0000-0000-0000-000000000000' }, text: 'x' } });
    assert.equal(missing.statusCode, 404);
  });

  test('a bare phone number', async () => {
    const m = await send({ recipient: { phoneNumber: '0712000014' }, text: 'x' });
    assert.equal(m.to, '+254712000014');
    assert.equal(m.status, 'queued');
    assert.equal(m.contact, null);
    assert.equal((await send({ recipient: { phoneNumber: '12068130999' }, text: 'x' })).errorCode, 'NO_SMS_CONSENT');
  });
});

describe('routing', () => {
  before(async () => {
    await t.createProject('route', { defaultCountry: 'KE' });
    for (const name of ['test1', 'test2', 'kenya', 'safaricom']) {
      await t.request('POST', '/api/v1/projects/route/gateways', { body: { name, type: 'test' } });
    }
    await t.request('POST', '/api/v1/gateways', { body: { name: 'global-us', type: 'test' } });
  });

  test('contact_backend_id test2 routes through TEST2 (case-insensitive)', async () => {
    const c = await newCase({ contact_phone_number: '+254712000020', contact_backend_id: 'test2' }, 'route');
    assert.equal((await send({ recipient: { caseId: c.id }, text: 'x' }, 'route')).gateway, 'TEST2');
  });

  test('a project route * beats a longer global prefix; the longest project prefix beats *', async () => {
    assert.equal((await t.request('PUT', '/api/v1/gateway-routes', { body: [{ prefix: '2547', gateway: 'GLOBAL-US' }] })).statusCode, 200);
    assert.equal((await t.request('PUT', '/api/v1/projects/route/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST1' }] })).statusCode, 200);
    const c = await newCase({ contact_phone_number: '+254712000021' }, 'route');
    assert.equal((await send({ recipient: { caseId: c.id }, text: 'x' }, 'route')).gateway, 'TEST1');
    await t.request('PUT', '/api/v1/projects/route/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST1' }, { prefix: '254', gateway: 'KENYA' }, { prefix: '25471', gateway: 'SAFARICOM' }] });
    assert.equal((await send({ recipient: { caseId: c.id }, text: 'x' }, 'route')).gateway, 'SAFARICOM');
    const other = await newCase({ contact_phone_number: '+254202000000'.replace('202000000', '733000000') }, 'route');
    assert.equal((await send({ recipient: { caseId: other.id }, text: 'x' }, 'route')).gateway, 'KENYA');
    // Without project routes, the global prefix applies.
    await t.request('PUT', '/api/v1/projects/route/gateway-routes', { body: [] });
    assert.equal((await send({ recipient: { caseId: c.id }, text: 'x' }, 'route')).gateway, 'GLOBAL-US');
  });

  test('routes are validated: digits or *, no duplicates, the gateway must exist', async () => {
    const bad = [
      [{ prefix: '+254', gateway: 'TEST1' }],
      [{ prefix: '254', gateway: 'TEST1' }, { prefix: '254', gateway: 'TEST2' }],
      [{ prefix: '254', gateway: 'NOPE' }],
      [{ prefix: '254', gateway: 'MAIL' }],
    ];
    for (const body of bad) {
      const res = await t.request('PUT', '/api/v1/projects/route/gateway-routes', { body });
      assert.ok(res.statusCode === 400 || res.statusCode === 422, res.body);
      assert.ok(res.json().error.code);
    }
  });
});

describe('gateways', () => {
  test('names are upper-cased and unique; credentials never come back; bad config is refused', async () => {
    const res = await t.request('POST', '/api/v1/projects/send/gateways', { body: { name: 'test1', type: 'test' } });
    assert.equal(res.statusCode, 409);
    assert.equal((await t.request('POST', '/api/v1/projects/send/gateways', { body: { name: 'has space', type: 'test' } })).statusCode, 400);
    assert.equal((await t.request('POST', '/api/v1/projects/send/gateways', { body: { name: 'x', type: 'carrier-pigeon' } })).statusCode, 400);
    const badConfig = await t.request('POST', '/api/v1/projects/send/gateways', { body: { name: 'x', type: 'test', config: { failure: { mode: 'sometimes' } } } });
    assert.equal(badConfig.statusCode, 400);
    const created = await t.request('POST', '/api/v1/projects/send/gateways', { body: { name: 'secretive', type: 'test', config: { delayMs: 1 }, replyToNumber: '+254700000000' } });
    assert.equal(created.statusCode, 201);
    const g = created.json();
    assert.equal(g.name, 'SECRETIVE');
    assert.match(g.inboundUrl, /^http:\/\/rollcall\.test\/webhooks\/[A-Za-z0-9_-]{20,}\/inbound$/);
    assert.equal('config' in g, false);
    const raw = await t.deps.db.selectFrom('gateways').select('config_encrypted').where('name', '=', 'SECRETIVE').executeTakeFirstOrThrow();
    assert.equal(raw.config_encrypted.includes('delayMs'), false);
    const list = (await t.request('GET', '/api/v1/projects/send/gateways')).json();
    assert.ok(list.items.every((i: Json) => !('config' in i)));
  });

  test('a member cannot create gateways; only a superuser manages global ones', async () => {
    const member = await t.createMember('send', 'member');
    assert.equal((await t.request('POST', '/api/v1/projects/send/gateways', { token: member, body: { name: 'm', type: 'test' } })).statusCode, 403);
    const admin = await t.createMember('send', 'admin');
    assert.equal((await t.request('POST', '/api/v1/gateways', { token: admin, body: { name: 'g', type: 'test' } })).statusCode, 403);
  });
});

describe('retries and failures', () => {
  before(async () => {
    await t.createProject('flaky', { defaultCountry: 'KE' });
    await t.request('POST', '/api/v1/projects/flaky/gateways', { body: { name: 'twice', type: 'test', config: { failure: { mode: 'transient', times: 2 } } } });
    await t.request('POST', '/api/v1/projects/flaky/gateways', { body: { name: 'down', type: 'test', config: { failure: { mode: 'transient', reason: 'upstream 503' } } } });
    await t.request('POST', '/api/v1/projects/flaky/gateways', { body: { name: 'refuse', type: 'test', config: { failure: { mode: 'permanent', reason: 'Invalid destination number (21211)' } } } });
  });

  async function viaGateway(gateway: string): Promise<Json> {
    const c = await newCase({ contact_phone_number: `+2547120001${Math.floor(Math.random() * 90 + 10)}`, contact_backend_id: gateway }, 'flaky');
    return send({ recipient: { caseId: c.id }, text: 'x' }, 'flaky');
  }

  test('transient failures are retried and succeed', async () => {
    const m = await viaGateway('twice');
    await drain();
    const after = await message(m.id, 'flaky');
    assert.equal(after.status, 'sent');
    assert.equal(after.attempts, 3);
  });

  test('a gateway that keeps failing gives GATEWAY_ERROR after 3 attempts, with its reason', async () => {
    const m = await viaGateway('down');
    await drain();
    const after = await message(m.id, 'flaky');
    assert.equal(after.status, 'failed');
    assert.equal(after.errorCode, 'GATEWAY_ERROR');
    assert.equal(after.attempts, 3);
    assert.match(after.errorDetail, /upstream 503/);
  });

  test('a permanent failure fails at once, keeping the provider reason', async () => {
    const m = await viaGateway('refuse');
    await drain();
    const after = await message(m.id, 'flaky');
    assert.equal(after.status, 'failed');
    assert.equal(after.attempts, 1);
    assert.equal(after.errorCode, 'GATEWAY_ERROR');
    assert.equal(after.errorDetail, 'Invalid destination number (21211)');
  });

  test('a message due longer ago than the staleness limit is not sent (MESSAGE_IS_STALE)', async () => {
    const c = await newCase({ contact_phone_number: '+254712000030' });
    const m = await send({ recipient: { caseId: c.id }, text: 'old', sendAt: '2020-01-01T09:00' });
    await drain();
    const after = await message(m.id);
    assert.equal(after.status, 'failed');
    assert.equal(after.errorCode, 'MESSAGE_IS_STALE');
  });
});

describe('scheduling', () => {
  test('sendAt is local time in the contact zone, else the project zone; DST gaps move forward', async () => {
    const ny = await newCase({ contact_phone_number: '+254712000040', time_zone: 'America/New_York' });
    const m = await send({ recipient: { caseId: ny.id }, text: 'x', sendAt: '2031-01-15T09:00' });
    assert.equal(m.status, 'scheduled');
    assert.equal(m.scheduledFor, '2031-01-15T14:00:00.000Z');
    assert.equal(m.scheduledZone, 'America/New_York');
    const gap = await send({ recipient: { caseId: ny.id }, text: 'x', sendAt: '2031-03-09T02:30' });
    assert.equal(gap.scheduledFor, '2031-03-09T07:30:00.000Z');
    const nairobi = await newCase({ contact_phone_number: '+254712000041' });
    assert.equal((await send({ recipient: { caseId: nairobi.id }, text: 'x', sendAt: '2031-01-15T09:00' })).scheduledFor, '2031-01-15T06:00:00.000Z');
    const bad = await t.request('POST', '/api/v1/projects/send/messages', { body: { recipient: { caseId: nairobi.id }, text: 'x', sendAt: 'next tuesday' } });
    assert.equal(bad.statusCode, 400);
    await drain();
    assert.equal((await message(m.id)).status, 'scheduled');
  });
});

describe('reachability and the log', () => {
  test('reachability lists every reason, not just the first', async () => {
    const us = await newCase({ contact_phone_number: '12068130950', contact_backend_id: 'missing' });
    await t.deps.db.insertInto('opt_outs').values({ number: '+12068130950', opted_out: true }).execute();
    const r = (await t.request('GET', `/api/v1/projects/send/cases/${us.id}/reachability?channel=sms`)).json();
    assert.equal(r.canSend, false);
    assert.deepEqual(r.reasons.map((x: Json) => x.code), ['PHONE_NUMBER_OPTED_OUT', 'NO_SMS_CONSENT', 'GATEWAY_NOT_FOUND']);
    assert.ok(r.reasons.every((x: Json) => x.description));
    const ok = await newCase({ contact_phone_number: '+254712000050' });
    assert.deepEqual((await t.request('GET', `/api/v1/projects/send/cases/${ok.id}/reachability`)).json(), { canSend: true, reasons: [], gateway: 'TEST1', to: '+254712000050' });
    const email = (await t.request('GET', `/api/v1/projects/send/cases/${ok.id}/reachability?channel=email`)).json();
    assert.deepEqual(email.reasons.map((x: Json) => x.code), ['NO_EMAIL_ADDRESS']);
  });

  test('the log filters by contact, status and error code, newest first, with cursors', async () => {
    const c = await newCase({ contact_phone_number: '+254712000060' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await send({ recipient: { caseId: c.id }, text: `m${i}` })).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = (await t.request('GET', `/api/v1/projects/send/messages?caseId=${c.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...page.items.map((m: Json) => m.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
    const failed = (await t.request('GET', '/api/v1/projects/send/messages?status=failed&errorCode=NO_SMS_CONSENT')).json();
    assert.ok(failed.items.length >= 1);
    assert.ok(failed.items.every((m: Json) => m.errorCode === 'NO_SMS_CONSENT'));
  });
});
