/**
 * Issue 24 item 8: an inbound text that nothing handles says why — self-registration off, no such
 * project, already registered, a number of no contact — on the message in the API (`handling` and
 * `handlingDescription`), in the SMS tester's thread and in the message log. A project name typed
 * by the sender is quoted escaped.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { describeHandling, INBOUND_HANDLING } from '../src/domain/inbound-handling.ts';
import { processInbound } from '../src/services/inbound.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { type UiSession, uiSession } from './support/ui-session.ts';

let t: TestApp;
let ui: UiSession;

before(async () => {
  t = await createTestApp();
  await t.createProject('clinic', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  await t.request('POST', '/api/v1/projects/clinic/gateways', { body: { name: 'test', type: 'test', replyToNumber: '+254700100100' } });
  await t.request('PUT', '/api/v1/projects/clinic/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST' }] });
  ui = await uiSession(t);
});
after(() => t.close());

interface ApiMessage {
  id: string;
  from: string | null;
  text: string | null;
  handling: string | null;
  handlingDescription: string | null;
}

/** Texts `text` from `from` through the SMS tester page, handles it, and returns the stored message. */
async function textIn(from: string, text: string): Promise<ApiMessage> {
  const posted = await ui.post('/ui/p/clinic/tester', { gateway: 'TEST', from, text });
  assert.equal(posted.statusCode, 302, posted.body);
  while ((await processInbound(t.deps, 50)) > 0) {
    // until nothing waits
  }
  const list = (await t.request('GET', '/api/v1/projects/clinic/messages?direction=in&limit=100')).json() as { items: ApiMessage[] };
  const m = list.items.find((x) => x.text === text);
  assert.ok(m, `the message "${text}" is in the log`);
  return m;
}

async function testerThread(number: string): Promise<string> {
  const res = await ui.get(`/ui/p/clinic/tester/messages?number=${encodeURIComponent(number)}`);
  assert.equal(res.statusCode, 200);
  return res.body;
}

test('self-registration off: the join says so', async () => {
  const m = await textIn('+254712000201', 'join clinic');
  assert.equal(m.handling, 'join-ignored:case-registration-disabled');
  assert.match(m.handlingDescription ?? '', /Self-registration is off in this project/);
  assert.match(await testerThread('+254712000201'), /Self-registration is off in this project/);
});

test('a join naming no project quotes the name, escaped', async () => {
  const m = await textIn('+254712000202', 'join nosuchplace');
  assert.equal(m.handling, 'join-ignored:unknown-project');
  assert.match(m.handlingDescription ?? '', /No project is named “nosuchplace”/);
  const evil = await textIn('+254712000203', 'join <img/src=x/onerror=alert(1)>');
  assert.equal(evil.handling, 'join-ignored:unknown-project');
  const html = await testerThread('+254712000203');
  assert.doesNotMatch(html, /<img\/src=x/, 'the typed name is escaped');
  assert.match(html, /No project is named “&lt;img\/src=x\/onerror=alert\(1\)(&gt;|>)”/);
});

test('a number of no contact: nothing recognised it', async () => {
  const m = await textIn('+254712000204', 'hello, is anyone there?');
  assert.equal(m.handling, 'unrecognised');
  assert.match(m.handlingDescription ?? '', /Nothing recognised this number: it belongs to no contact/);
  // The log shows the reason under the text, with the raw value small beside it.
  const log = await ui.get('/ui/p/clinic/messages?direction=in');
  assert.match(log.body, /Nothing recognised this number: it belongs to no contact[\s\S]{0,200}<code class="code">unrecognised<\/code>/);
});

test('already registered: a join from a two-way number does nothing, and says so', async () => {
  const c = await t.request('POST', '/api/v1/projects/clinic/cases', { body: { caseType: 'patient', name: 'Amina Otieno', properties: { contact_phone_number: '+254712000205', contact_phone_number_is_verified: '1' } } });
  assert.equal(c.statusCode, 201, c.body);
  const m = await textIn('+254712000205', 'join clinic');
  assert.ok(m.handling === 'contact' || m.handling === 'default-response', String(m.handling));
  assert.match(m.handlingDescription ?? '', /already registered/);
  assert.match(await testerThread('+254712000205'), /This number is already registered/);
  const log = await ui.get('/ui/p/clinic/messages?direction=in');
  assert.match(log.body, /This number is already registered/);
});

test('a message object by id carries both fields; outbound messages have none', async () => {
  const sent = await t.request('POST', '/api/v1/projects/clinic/messages', { body: { recipient: { phoneNumber: '+254712000205' }, text: 'Clinic day is Friday' } });
  assert.equal(sent.statusCode, 201, sent.body);
  const list = (await t.request('GET', '/api/v1/projects/clinic/messages?limit=100')).json() as { items: Array<ApiMessage & { direction: string }> };
  const inbound = list.items.find((m) => m.direction === 'in');
  assert.ok(inbound);
  const one = (await t.request('GET', `/api/v1/projects/clinic/messages/${inbound.id}`)).json() as ApiMessage;
  assert.equal(typeof one.handling, 'string');
  assert.equal(typeof one.handlingDescription, 'string');
  const out = list.items.find((m) => m.direction === 'out');
  assert.ok(out);
  assert.equal(out.handlingDescription, null);
});

test('every handling value has words; values with a prefix too', () => {
  for (const [code, words] of Object.entries(INBOUND_HANDLING)) {
    assert.equal(describeHandling(code, 'x'), words, code);
  }
  assert.match(describeHandling('failed: boom', null) ?? '', /kept failing/);
  assert.match(describeHandling('opt-out (kept after failed: boom)', null) ?? '', /opt-out still took effect/);
  assert.match(describeHandling('tester: refused (the number belongs to a contact of another project)', null) ?? '', /another project/);
  assert.match(describeHandling(null, null) ?? '', /Not handled yet/);
  assert.equal(describeHandling('unrecognised', 'x', 'out'), null);
});
