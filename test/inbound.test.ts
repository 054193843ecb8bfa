import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { processInbound } from '../src/services/inbound.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;
let now = new Date();
const hooks: Record<string, string> = {};
let seq = 0;
const fresh = () => `+2547170${String(++seq).padStart(5, '0')}`;

async function gateway(project: string, name: string, extra: Json = {}): Promise<void> {
  const res = await t.request('POST', `/api/v1/projects/${project}/gateways`, { body: { name, type: 'test', ...extra } });
  assert.equal(res.statusCode, 201, res.body);
  hooks[`${project}/${name.toUpperCase()}`] = new URL(res.json().inboundUrl).pathname;
}

before(async () => {
  t = await createTestApp({ clock: () => now, config: { retryBaseMs: 0 } });
  await t.createProject('alpha', { defaultCountry: 'KE', languages: ['en', 'sw'], defaultLanguage: 'en' });
  await t.createProject('beta', { defaultCountry: 'KE' });
  await gateway('alpha', 'sms', { replyToNumber: '+254700100100' });
  await gateway('alpha', 'french', { optOutKeywords: ['ARRET'], optInKeywords: ['ARRIVER'] });
  await gateway('beta', 'sms');
  await t.request('PUT', '/api/v1/projects/alpha/gateway-routes', { body: [{ prefix: '*', gateway: 'SMS' }] });
  await t.request('PUT', '/api/v1/projects/beta/gateway-routes', { body: [{ prefix: '*', gateway: 'SMS' }] });
});
after(() => t.close());

async function inbound(from: string, text: string, via = 'alpha/SMS', messageId?: string): Promise<void> {
  const res = await t.request('POST', hooks[via] as string, { token: null, body: { from, text, ...(messageId ? { messageId } : {}) } });
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

async function repliesTo(number: string, project = 'alpha', gatewayName = 'SMS'): Promise<string[]> {
  const out = (await t.request('GET', `/api/v1/projects/${project}/gateways/${gatewayName}/outbox`)).json();
  return out.filter((o: Json) => o.to === number).map((o: Json) => o.text);
}

async function optedOut(number: string, project = 'alpha'): Promise<boolean> {
  return (await t.request('GET', `/api/v1/projects/${project}/phone-numbers/${encodeURIComponent(number)}`)).json().optedOut;
}

describe('opt-out and opt-in keywords', () => {
  test('STOP variants opt out; "STOP please" does not; START and UNSTOP opt in', async () => {
    for (const word of ['STOP', ' stop ', 'Stop', 'UNSUBSCRIBE', 'OPT OUT', 'opt-out', 'stop  all']) {
      const n = fresh();
      await inbound(n, word);
      await settle();
      assert.equal(await optedOut(n), true, word);
      const replies = await repliesTo(n);
      assert.equal(replies.length, 1, `one confirmation for ${word}`);
      assert.match(replies[0] ?? '', /START/);
    }
    const polite = fresh();
    await inbound(polite, 'STOP please');
    await settle();
    assert.equal(await optedOut(polite), false);
    for (const word of ['START', 'unstop']) {
      const n = fresh();
      await inbound(n, 'STOP');
      await inbound(n, word);
      await settle();
      assert.equal(await optedOut(n), false, word);
      const replies = await repliesTo(n);
      assert.equal(replies.length, 2);
      assert.match(replies[1] ?? '', /STOP/);
    }
  });

  test('YES opts in only a number that is opted out; otherwise it is an ordinary message', async () => {
    const n = fresh();
    await inbound(n, 'YES');
    await settle();
    assert.equal((await repliesTo(n)).length, 0);
    await inbound(n, 'STOP');
    await inbound(n, 'yes');
    await settle();
    assert.equal(await optedOut(n), false);
    const history = (await t.request('GET', `/api/v1/projects/alpha/phone-numbers/${encodeURIComponent(n)}/consent`)).json();
    assert.deepEqual(history.map((e: Json) => e.action), ['opt-out', 'opt-in']);
    assert.equal(history[0].method, 'keyword');
    assert.equal(history[0].gateway, 'SMS');
  });

  test('a STOP through one project gateway blocks sends to that number from every project', async () => {
    const n = fresh();
    const c = (await t.request('POST', '/api/v1/projects/beta/cases', { body: { caseType: 'p', name: 'B', properties: { contact_phone_number: n } } })).json();
    await inbound(n, 'STOP');
    await settle();
    const m = (await t.request('POST', '/api/v1/projects/beta/messages', { body: { recipient: { caseId: c.id }, text: 'hi' } })).json();
    assert.equal(m.errorCode, 'PHONE_NUMBER_OPTED_OUT');
    assert.equal(await optedOut(n, 'beta'), true);
    // Both projects list it: beta holds the number, alpha's gateway carried the STOP.
    for (const p of ['alpha', 'beta']) {
      const list = (await t.request('GET', `/api/v1/projects/${p}/opt-outs`)).json().items;
      assert.ok(list.some((o: Json) => o.number === n), p);
    }
  });

  test('a gateway with extra keywords still honours STOP, and its own words work', async () => {
    const a = fresh();
    await inbound(a, 'STOP', 'alpha/FRENCH');
    const b = fresh();
    await inbound(b, 'arret', 'alpha/FRENCH');
    await settle();
    assert.equal(await optedOut(a), true);
    assert.equal(await optedOut(b), true);
    await inbound(b, 'ARRIVER', 'alpha/FRENCH');
    await settle();
    assert.equal(await optedOut(b), false);
  });

  test('a message queued before STOP and scheduled after it fails PHONE_NUMBER_OPTED_OUT and never reaches the provider', async () => {
    const n = fresh();
    const c = (await t.request('POST', '/api/v1/projects/alpha/cases', { body: { caseType: 'p', name: 'A', properties: { contact_phone_number: n } } })).json();
    const later = (await t.request('POST', '/api/v1/projects/alpha/messages', { body: { recipient: { caseId: c.id }, text: 'tomorrow', sendAt: '2031-01-01T09:00' } })).json();
    const queued = (await t.request('POST', '/api/v1/projects/alpha/messages', { body: { recipient: { caseId: c.id }, text: 'now' } })).json();
    await inbound(n, 'STOP');
    await processInbound(t.deps, 50);
    await settle();
    for (const id of [later.id, queued.id]) {
      const m = (await t.request('GET', `/api/v1/projects/alpha/messages/${id}`)).json();
      assert.equal(m.status, 'failed');
      assert.equal(m.errorCode, 'PHONE_NUMBER_OPTED_OUT');
    }
    const sent = await repliesTo(n);
    assert.deepEqual(sent.length, 1, 'only the opt-out confirmation went out');
  });

  test('HELP answers with the project help text; an opt keyword gets no default response after it', async () => {
    await t.request('PATCH', '/api/v1/projects/alpha', { body: { helpText: 'Alpha clinic: reply STOP to stop.', defaultSmsResponse: 'Thanks, we got your message.' } });
    const n = fresh();
    await inbound(n, 'help');
    await settle();
    assert.deepEqual(await repliesTo(n), ['Alpha clinic: reply STOP to stop.']);
    const owner = fresh();
    await t.request('POST', '/api/v1/projects/alpha/cases', { body: { caseType: 'p', name: 'Owner', properties: { contact_phone_number: owner, contact_phone_number_is_verified: '1' } } });
    await inbound(owner, 'hello');
    await inbound(owner, 'STOP');
    await settle();
    const replies = await repliesTo(owner);
    assert.equal(replies[0], 'Thanks, we got your message.');
    assert.equal(replies.length, 2);
    assert.match(replies[1] ?? '', /START/);
    await t.request('PATCH', '/api/v1/projects/alpha', { body: { defaultSmsResponse: null } });
  });

  test('the loop guard: at most 5 automatic replies per number in 30 minutes; none to short codes', async () => {
    const n = fresh();
    for (let i = 0; i < 8; i++) {
      await inbound(n, 'HELP');
    }
    await settle();
    assert.equal((await repliesTo(n)).length, 5);
    await inbound('12345', 'HELP');
    await inbound('MPESA', 'STOP');
    await settle();
    assert.equal((await repliesTo('12345')).length, 0);
  });
});

describe('webhook intake', () => {
  test('the same webhook twice creates one inbound message', async () => {
    const n = fresh();
    await inbound(n, 'hello', 'alpha/SMS', 'dup-1');
    await inbound(n, 'hello', 'alpha/SMS', 'dup-1');
    const waiting = await t.deps.db.selectFrom('inbound_arrivals').select('id').where('from_address', '=', n).execute();
    assert.equal(waiting.length, 1);
    await settle();
    assert.equal((await t.deps.db.selectFrom('inbound_arrivals').select('id').where('from_address', '=', n).execute()).length, 0);
    const rows = await t.deps.db.selectFrom('messages').select('id').where('direction', '=', 'in').where('from_address', '=', n).execute();
    assert.deepEqual(rows.map((r) => r.id), waiting.map((r) => r.id), 'handled, it keeps its id');
    await inbound(n, 'hello', 'alpha/SMS', 'dup-1');
    await settle();
    assert.equal((await t.deps.db.selectFrom('messages').select('id').where('direction', '=', 'in').where('from_address', '=', n).execute()).length, 1, 'a retry after handling is still a duplicate');
  });

  test('50 webhooks for one number arriving together are handled in arrival order', async () => {
    const n = fresh();
    await Promise.all(Array.from({ length: 50 }, (_, i) => inbound(n, `m${i}`, 'alpha/SMS', `ord-${i}`)));
    await settle();
    const rows = await t.deps.db.selectFrom('messages').select(['text', 'seq', 'processed_at']).where('direction', '=', 'in').where('from_address', '=', n).orderBy('seq').execute();
    assert.equal(rows.length, 50);
    const processed = rows.map((r) => r.processed_at?.getTime() ?? Infinity);
    assert.ok(processed.every((p, i) => i === 0 || p >= (processed[i - 1] ?? 0)), 'processed in arrival order');
    assert.ok(rows.every((r) => r.processed_at !== null));
  });

  test('unknown or malformed webhooks are refused with a code', async () => {
    assert.equal((await t.request('POST', '/webhooks/not-a-real-key-at-all/inbound', { token: null, body: { from: '+1', text: 'x' } })).statusCode, 404);
    const bad = await t.request('POST', hooks['alpha/SMS'] as string, { token: null, body: { text: 'no sender' } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'VALIDATION_ERROR');
  });

  test('rotating the inbound URL retires the old one', async () => {
    const old = hooks['beta/SMS'] as string;
    const rotated = await t.request('POST', '/api/v1/projects/beta/gateways/SMS/rotate-inbound-url');
    assert.equal(rotated.statusCode, 200);
    const fresh = new URL(rotated.json().inboundUrl).pathname;
    assert.notEqual(fresh, old);
    assert.equal((await t.request('POST', old, { token: null, body: { from: '+254712000000', text: 'x' } })).statusCode, 404);
    assert.equal((await t.request('POST', fresh, { token: null, body: { from: '+254712000000', text: 'x' } })).statusCode, 200);
    hooks['beta/SMS'] = fresh;
  });
});

describe('mobile worker verification', () => {
  async function worker(username: string, number: string, language?: string): Promise<Json> {
    const w = (await t.request('POST', '/api/v1/projects/alpha/mobile-workers', { body: { username, ...(language ? { language } : {}) } })).json();
    assert.equal((await t.request('POST', `/api/v1/projects/alpha/mobile-workers/${w.id}/phone-numbers`, { body: { number } })).statusCode, 201);
    return w;
  }
  const verify = async (w: Json, n: string) => (await t.request('POST', `/api/v1/projects/alpha/mobile-workers/${w.id}/phone-numbers/${encodeURIComponent(n)}/verify`)).json();
  const status = async (w: Json) => (await t.request('GET', `/api/v1/projects/alpha/mobile-workers/${w.id}`)).json().phoneNumbers[0].status;

  test('started, resent, 123 verifies with a confirmation, then already_verified', async () => {
    const n = fresh();
    const w = await worker('amina', n);
    const first = await verify(w, n);
    assert.equal(first.result, 'started');
    assert.equal((await verify(w, n)).result, 'resent');
    await settle();
    const asks = await repliesTo(n);
    assert.equal(asks.length, 2);
    assert.match(asks[0] ?? '', /reply 123 to \+254700100100/);
    assert.match(asks[0] ?? '', /amina/);
    assert.equal(await status(w), 'pending');
    await inbound(n, 'maybe');
    await settle();
    assert.equal(await status(w), 'pending', 'any other reply leaves it pending');
    await inbound(n, ' 123 ');
    await settle();
    assert.equal(await status(w), 'verified');
    assert.match((await repliesTo(n)).at(-1) ?? '', /verified/);
    assert.equal((await verify(w, n)).result, 'already_verified');
    const history = (await t.request('GET', `/api/v1/projects/alpha/phone-numbers/${encodeURIComponent(n)}/consent`)).json();
    assert.deepEqual(history.map((e: Json) => [e.action, e.method]), [['consent-granted', 'verification']]);
  });

  test('a 123 from another phone never verifies; a number held by another contact is already_in_use', async () => {
    const n = fresh();
    const w = await worker('baraka', n);
    await verify(w, n);
    await inbound(fresh(), '123');
    await settle();
    assert.equal(await status(w), 'pending');
    const held = fresh();
    await t.request('POST', '/api/v1/projects/beta/cases', { body: { caseType: 'p', name: 'Holder', properties: { contact_phone_number: held, contact_phone_number_is_verified: 1 } } });
    const w2 = await worker('chausiku', held);
    assert.equal((await verify(w2, held)).result, 'already_in_use');
  });

  test('pending expires after 7 days and frees the number', async () => {
    const n = fresh();
    const w = await worker('dalila', n);
    await verify(w, n);
    now = new Date(now.getTime() + 8 * 86_400_000);
    await inbound(n, '123');
    await settle();
    assert.notEqual(await status(w), 'verified');
    const c = (await t.request('POST', '/api/v1/projects/alpha/cases', { body: { caseType: 'p', name: 'Later', properties: { contact_phone_number: n, contact_phone_number_is_verified: 1 } } })).json();
    assert.equal(c.contact.phoneStatus, 'two-way');
  });

  test('verification texts are translatable per project language', async () => {
    await t.request('PATCH', '/api/v1/projects/alpha', { body: { systemTexts: { sw: { verification: 'Je, simu hii ni ya {username}? Jibu 123.', verificationReplyTo: 'Je, simu hii ni ya {username}? Jibu 123 kwa {number}.' } } } });
    const n = fresh();
    const w = await worker('eshe', n, 'sw');
    await verify(w, n);
    await settle();
    assert.deepEqual(await repliesTo(n), ['Je, simu hii ni ya eshe? Jibu 123 kwa +254700100100.']);
  });
});

describe('SMS self-registration', () => {
  before(async () => {
    const owner = (await t.request('POST', '/api/v1/projects/beta/mobile-workers', { body: { username: 'owner' } })).json();
    const res = await t.request('PATCH', '/api/v1/projects/beta', {
      body: { selfRegistration: { caseEnabled: true, caseType: 'participant', caseOwnerId: owner.id, workerEnabled: true, welcomeMessageTo: 'all' } },
    });
    assert.equal(res.statusCode, 200, res.body);
  });

  async function casesFor(n: string): Promise<Json[]> {
    return (await t.request('GET', `/api/v1/projects/beta/cases?phoneNumber=${encodeURIComponent(n)}`)).json().items;
  }

  test('JOIN BETA (any case) registers a two-way case with consent and a welcome', async () => {
    const n = fresh();
    await inbound(n, 'JOIN BETA', 'beta/SMS');
    await settle();
    const [c] = await casesFor(n);
    assert.ok(c);
    assert.equal(c.caseType, 'participant');
    assert.equal(c.name, n);
    assert.equal(c.contact.phoneStatus, 'two-way');
    assert.equal(c.contact.smsConsent, true);
    assert.deepEqual(await repliesTo(n, 'beta'), ['Thank you for registering with beta.']);
    const history = (await t.request('GET', `/api/v1/projects/beta/phone-numbers/${encodeURIComponent(n)}/consent`)).json();
    assert.deepEqual(history.map((e: Json) => e.method), ['self-registration']);
  });

  test('join beta worker bob; join beta worker (username = phone digits); duplicate username answered, nothing created', async () => {
    const n = fresh();
    await inbound(n, 'join beta worker bob', 'beta/SMS');
    const m = fresh();
    await inbound(m, 'join beta worker', 'beta/SMS');
    await settle();
    // Different senders are handled in parallel, so the duplicate comes once bob exists.
    const o = fresh();
    await inbound(o, 'join beta worker BOB', 'beta/SMS');
    await settle();
    const workers = (await t.request('GET', '/api/v1/projects/beta/mobile-workers?limit=500')).json().items as Json[];
    const bob = workers.find((w) => w.username === 'bob');
    assert.deepEqual(bob?.phoneNumbers.map((p: Json) => [p.number, p.status]), [[n, 'verified']]);
    assert.ok(workers.find((w) => w.username === m.replace('+', '')));
    assert.equal(workers.filter((w) => w.username.toLowerCase() === 'bob').length, 1);
    assert.match((await repliesTo(o, 'beta'))[0] ?? '', /already taken/);
  });

  test('join from a number already two-way is not a registration; unknown project is silent', async () => {
    const n = fresh();
    await inbound(n, 'join beta', 'beta/SMS');
    await settle();
    await inbound(n, 'join beta', 'beta/SMS');
    await settle();
    assert.equal((await casesFor(n)).length, 1);
    const stranger = fresh();
    await inbound(stranger, 'join nosuchproject', 'beta/SMS');
    await settle();
    assert.equal((await repliesTo(stranger, 'beta')).length, 0);
    const row = await t.deps.db.selectFrom('messages').select('handling').where('from_address', '=', stranger).executeTakeFirstOrThrow();
    assert.equal(row.handling, 'join-ignored:unknown-project');
  });

  test('a disabled option creates nothing and sends nothing', async () => {
    const n = fresh();
    await inbound(n, 'join alpha', 'alpha/SMS');
    await settle();
    assert.equal((await repliesTo(n)).length, 0);
    const row = await t.deps.db.selectFrom('messages').select('handling').where('from_address', '=', n).executeTakeFirstOrThrow();
    assert.equal(row.handling, 'join-ignored:case-registration-disabled');
  });
});

describe('consent ledger', () => {
  test('case property changes are recorded; the ledger cannot be changed in place; CSV export', async () => {
    const n = fresh();
    const c = (await t.request('POST', '/api/v1/projects/alpha/cases', { body: { caseType: 'p', name: 'L', properties: { contact_phone_number: n, contact_phone_number_is_verified: 1 } } })).json();
    await t.request('PATCH', `/api/v1/projects/alpha/cases/${c.id}`, { body: { properties: { contact_phone_number_is_verified: '0' } } });
    const history = (await t.request('GET', `/api/v1/projects/alpha/phone-numbers/${encodeURIComponent(n)}/consent`)).json();
    assert.deepEqual(history.map((e: Json) => [e.action, e.method]), [['consent-granted', 'api'], ['consent-withdrawn', 'api']]);
    await assert.rejects(t.deps.db.updateTable('consent_events').set({ action: 'opt-in' }).execute(), /append-only/);
    await assert.rejects(t.deps.db.deleteFrom('consent_events').execute(), /append-only/);
    const csv = await t.request('GET', '/api/v1/projects/alpha/consent-events.csv');
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /text\/csv/);
    assert.ok(csv.body.split('\r\n')[0]?.startsWith('"at","number"'));
    assert.ok(csv.body.includes(`"${n}"`));
  });
});

describe('a number owned in another project', () => {
  test("is logged in the owner's project; the gateway's project sees only that it was forwarded", async () => {
    const n = fresh();
    const owner = (await t.request('POST', '/api/v1/projects/beta/cases', { body: { caseType: 'p', name: 'Owner', properties: { contact_phone_number: n, contact_phone_number_is_verified: '1' } } })).json();
    assert.equal(owner.contact.phoneStatus, 'two-way');
    await t.request('PATCH', '/api/v1/projects/alpha', { body: { defaultSmsResponse: 'Alpha says hi' } });
    await t.request('PATCH', '/api/v1/projects/beta', { body: { defaultSmsResponse: 'Beta says hi' } });
    await inbound(n, 'When is the clinic?', 'alpha/SMS');
    await inbound(n, 'STOP', 'alpha/SMS');
    await settle();
    const inBeta = (await t.request('GET', '/api/v1/projects/beta/messages?direction=in')).json().items.filter((m: Json) => m.from === n);
    assert.deepEqual(inBeta.map((m: Json) => [m.text, m.contact?.id ?? null]).reverse(), [['When is the clinic?', owner.id], ['STOP', owner.id]]);
    const inAlpha = (await t.request('GET', '/api/v1/projects/alpha/messages?direction=in')).json().items.filter((m: Json) => m.from === n);
    assert.deepEqual(inAlpha.map((m: Json) => [m.text, m.handling, m.contact]), [[null, 'forwarded', null], [null, 'forwarded', null]]);
    // No automatic reply in beta's words through alpha's gateway; the STOP is confirmed, and the ledger is beta's.
    // (The confirmation is beta's message, so alpha's outbox does not show it: read the gateway's outbox table.)
    assert.deepEqual(await repliesTo(n), []);
    const replies = (await t.deps.db.selectFrom('test_outbox').select('text').where('to_address', '=', n).orderBy('seq').execute()).map((r) => r.text);
    assert.equal(replies.length, 1);
    assert.match(replies[0] ?? '', /START/);
    const history = (await t.request('GET', `/api/v1/projects/beta/phone-numbers/${encodeURIComponent(n)}/consent`)).json();
    assert.deepEqual(history.map((e: Json) => [e.action, e.method, e.contact?.id ?? null]), [['consent-granted', 'api', owner.id], ['opt-out', 'keyword', owner.id]]);
    await t.request('PATCH', '/api/v1/projects/alpha', { body: { defaultSmsResponse: null } });
    await t.request('PATCH', '/api/v1/projects/beta', { body: { defaultSmsResponse: null } });
  });
});
