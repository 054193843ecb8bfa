/**
 * The smtp gateway end to end through the HTTP API, against a real SMTP server on 127.0.0.1:
 * create the gateway, send an email to a case, the relay has it with the one-click unsubscribe
 * headers; POSTing that link opts the address out (consent ledger) and the next email fails
 * EMAIL_OPTED_OUT. Test messages go through the gateway named; a blank password on edit keeps the
 * stored one; the password never appears in API responses, message errors or the server's logs.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { FastifyInstance, InjectOptions } from 'fastify';
import { pino } from 'pino';

import { buildApp } from '../src/http/app.ts';
import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { type SmtpSink, startSmtpSink } from './support/smtp-sink.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
const PASSWORD = 'relay-secret-9d41c0';
let t: TestApp;
let sink: SmtpSink;
/** The same services behind an app whose logs (debug and up) are kept, to look for the password. */
let logged: FastifyInstance;
const logs: string[] = [];

before(async () => {
  sink = await startSmtpSink({ user: 'mailer', password: PASSWORD });
  t = await createTestApp();
  logged = await buildApp({ config: t.config, services: t.deps, logger: pino({ level: 'debug' }, { write: (line: string) => logs.push(line) }), isReady: async () => true });
  await t.createProject('mailing', { timeZone: 'Africa/Nairobi' });
});
after(async () => {
  await logged.close();
  await t.close();
  await sink.close();
});

async function call(method: InjectOptions['method'], url: string, body?: unknown, token: string | null = t.adminToken): Promise<{ status: number; json: Json; body: string }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const options: InjectOptions = { method, url, headers };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    options.payload = JSON.stringify(body);
  }
  const res = await logged.inject(options);
  const json = res.headers['content-type']?.toString().startsWith('application/json') ? (JSON.parse(res.body) as Json) : {};
  return { status: res.statusCode, json, body: res.body };
}

const relay = (over: Json = {}) => ({ host: '127.0.0.1', port: sink.port, tls: 'none', user: 'mailer', password: PASSWORD, from: 'Mailing clinic <noreply@clinic.example>', replyTo: 'desk@clinic.example', ...over });
const dispatch = () => dispatchOnce(t.deps, { batchSize: 50, leaseMs: 60_000 });

test('email to a case goes out through the relay; the one-click link opts the address out', async () => {
  const created = await call('POST', '/api/v1/projects/mailing/gateways', { name: 'mail', type: 'smtp', config: relay(), ratePerSecond: 50 });
  assert.equal(created.status, 201, created.body);
  assert.equal(created.json.channel, 'email');
  assert.ok(!created.body.includes(PASSWORD));
  const c = await call('POST', '/api/v1/projects/mailing/cases', { caseType: 'patient', name: 'Amina', properties: { commcare_email_address: 'Amina@Example.org' } });
  const sent = await call('POST', '/api/v1/projects/mailing/messages', { recipient: { caseId: c.json.id }, channel: 'email', subject: 'Clinic day', text: 'Clinic day is Monday.' });
  assert.equal(sent.json.status, 'queued', sent.body);
  await dispatch();
  const after1 = (await call('GET', `/api/v1/projects/mailing/messages/${sent.json.id}`)).json;
  assert.equal(after1.status, 'sent', JSON.stringify(after1));
  assert.equal(after1.gateway, 'MAIL');
  assert.equal(after1.providerMessageId, `<${sent.json.id}@clinic.example>`);

  const got = sink.received.at(-1);
  assert.ok(got);
  assert.deepEqual(got.envelopeTo, ['Amina@example.org'], 'the address as the case contact holds it');
  assert.equal(got.mail.subject, 'Clinic day');
  assert.equal(got.mail.text?.trim(), 'Clinic day is Monday.');
  assert.deepEqual(got.mail.from?.value, [{ address: 'noreply@clinic.example', name: 'Mailing clinic' }]);
  assert.equal(got.mail.replyTo?.text, 'desk@clinic.example');
  assert.equal(got.mail.messageId, after1.providerMessageId);
  const unfolded = got.raw.replace(/\r\n[ \t]+/g, ' ');
  assert.match(unfolded, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
  const link = /^List-Unsubscribe: <([^>]+)>\r$/m.exec(unfolded)?.[1];
  assert.ok(link?.startsWith('http://rollcall.test/unsubscribe/'), link);

  // What a mail client sends for a one-click unsubscribe (RFC 8058 §3.2).
  const res = await logged.inject({ method: 'POST', url: new URL(link ?? '').pathname, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
  assert.equal(res.statusCode, 200);
  const events = await t.deps.db.selectFrom('consent_events').selectAll().where('email', '=', 'amina@example.org').execute();
  assert.deepEqual(
    events.map((e) => [e.action, e.method, e.project_id]),
    [['opt-out', 'email-unsubscribe', (await call('GET', '/api/v1/projects/mailing')).json.id]],
  );
  const csv = await call('GET', '/api/v1/projects/mailing/consent-events.csv');
  assert.match(csv.body, /amina@example\.org/);

  const blocked = await call('POST', '/api/v1/projects/mailing/messages', { recipient: { caseId: c.json.id }, channel: 'email', subject: 'Again', text: 'x' });
  assert.equal(blocked.json.status, 'failed');
  assert.equal(blocked.json.errorCode, 'EMAIL_OPTED_OUT');
  const received = sink.received.length;
  await dispatch();
  assert.equal(sink.received.length, received, 'nothing more reached the relay');
  const log = (await call('GET', `/api/v1/projects/mailing/messages?caseId=${c.json.id}`)).json.items as Json[];
  assert.deepEqual(log.map((m) => [m.status, m.errorCode]), [['failed', 'EMAIL_OPTED_OUT'], ['sent', null]]);
});

test('a test message goes through the gateway named, with the usual checks', async () => {
  const m = await call('POST', '/api/v1/projects/mailing/gateways/mail/test-message', { to: 'ops@example.org', text: 'Does the relay work?', subject: 'Relay check' });
  assert.equal(m.status, 201, m.body);
  assert.deepEqual([m.json.status, m.json.gateway, m.json.to, m.json.channel], ['queued', 'MAIL', 'ops@example.org', 'email']);
  await dispatch();
  assert.equal((await call('GET', `/api/v1/projects/mailing/messages/${m.json.id}`)).json.status, 'sent');
  assert.equal(sink.received.at(-1)?.mail.subject, 'Relay check');

  const out = await call('POST', '/api/v1/projects/mailing/gateways/mail/test-message', { to: 'amina@example.org', text: 'x' });
  assert.deepEqual([out.status, out.json.status, out.json.errorCode], [201, 'failed', 'EMAIL_OPTED_OUT']);
  const bad = await call('POST', '/api/v1/projects/mailing/gateways/mail/test-message', { to: 'not an address', text: 'x' });
  assert.deepEqual([bad.json.status, bad.json.errorCode], ['failed', 'INVALID_EMAIL_ADDRESS']);
  const none = await call('POST', '/api/v1/projects/mailing/gateways/nope/test-message', { to: 'ops@example.org', text: 'x' });
  assert.equal(none.status, 404);

  // SMS gateways take a number and refuse a subject; the forced gateway wins over the routes.
  await call('POST', '/api/v1/projects/mailing/gateways', { name: 'sms1', type: 'test' });
  await call('POST', '/api/v1/projects/mailing/gateways', { name: 'sms2', type: 'test' });
  await call('PUT', '/api/v1/projects/mailing/gateway-routes', [{ prefix: '*', gateway: 'SMS1' }]);
  const sms = await call('POST', '/api/v1/projects/mailing/gateways/sms2/test-message', { to: '+254712000001', text: 'Ping' });
  assert.deepEqual([sms.status, sms.json.status, sms.json.gateway, sms.json.to], [201, 'queued', 'SMS2', '+254712000001']);
  const subject = await call('POST', '/api/v1/projects/mailing/gateways/sms2/test-message', { to: '+254712000001', text: 'Ping', subject: 'x' });
  assert.deepEqual([subject.status, subject.json.error?.code], [400, 'VALIDATION_ERROR']);
  const us = await call('POST', '/api/v1/projects/mailing/gateways/sms2/test-message', { to: '+12068130912', text: 'Ping' });
  assert.equal(us.json.errorCode, 'NO_SMS_CONSENT');
  const member = await t.createMember('mailing', 'member');
  assert.equal((await call('POST', '/api/v1/projects/mailing/gateways/sms2/test-message', { to: '+254712000001', text: 'Ping' }, member)).status, 403);
});

test('editing without the password keeps it; a wrong password fails permanently without leaking it', async () => {
  const edited = await call('PATCH', '/api/v1/projects/mailing/gateways/mail', { config: relay({ password: '', replyTo: 'help@clinic.example' }) });
  assert.equal(edited.status, 200, edited.body);
  const ok = await call('POST', '/api/v1/projects/mailing/gateways/mail/test-message', { to: 'ops@example.org', text: 'Still working?' });
  await dispatch();
  assert.equal((await call('GET', `/api/v1/projects/mailing/messages/${ok.json.id}`)).json.status, 'sent', 'the stored password was kept');
  assert.equal(sink.received.at(-1)?.mail.replyTo?.text, 'help@clinic.example');

  const wrong = await call('POST', '/api/v1/projects/mailing/gateways', { name: 'badmail', type: 'smtp', config: relay({ password: `${PASSWORD}-wrong` }) });
  assert.equal(wrong.status, 201);
  const m = await call('POST', '/api/v1/projects/mailing/gateways/badmail/test-message', { to: 'ops@example.org', text: 'x' });
  await dispatch();
  const failed = (await call('GET', `/api/v1/projects/mailing/messages/${m.json.id}`)).json;
  assert.deepEqual([failed.status, failed.errorCode, failed.attempts], ['failed', 'GATEWAY_ERROR', 1]);
  assert.match(failed.errorDetail, /^SMTP 535: /);

  const invalid = await call('POST', '/api/v1/projects/mailing/gateways', { name: 'broken', type: 'smtp', config: { host: '127.0.0.1', from: 'nobody', password: PASSWORD } });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.json.error.code, 'VALIDATION_ERROR');

  const everything = [
    (await call('GET', '/api/v1/projects/mailing/gateways')).body,
    (await call('GET', '/api/v1/projects/mailing/gateways/mail')).body,
    (await call('GET', '/api/v1/projects/mailing/gateways/badmail')).body,
    (await call('GET', '/api/v1/projects/mailing/messages?limit=100')).body,
    invalid.body,
    logs.join('\n'),
  ];
  // Prove the log capture works: a refused webhook is logged (without its content).
  const sms = (await call('GET', '/api/v1/projects/mailing/gateways/sms1')).json;
  assert.equal((await call('POST', new URL(sms.inboundUrl).pathname, { nonsense: PASSWORD }, null)).status, 400);
  assert.ok(logs.some((l) => l.includes('inbound webhook refused')), 'the app logs are captured');
  for (const text of everything) {
    assert.ok(!text.includes(PASSWORD), 'the SMTP password appears nowhere');
  }
});
