/**
 * Issue 23 item 4: with ROLLCALL_ALLOW_PRIVATE_GATEWAY_HOSTS off (the server's default), a gateway
 * cannot reach loopback or private addresses. A literal private address is refused when the
 * gateway is saved (400 naming the field); a name that resolves to one (localhost) is refused when
 * sending, after DNS: the message fails permanently with a plain reason and the vendor on
 * 127.0.0.1 receives nothing. Tests elsewhere turn the setting on, as fake vendors live on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { hostPolicy } from '../src/providers/outbound-hosts.ts';
import { createSmtpProvider } from '../src/providers/smtp/smtp.provider.ts';
import { createCase, createGateway, sendToCase } from './support/provider-flow.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { localVendorDeps, startVendorFake, type VendorFake } from './support/vendor-fake.ts';

let t: TestApp;
let fake: VendorFake;
let port: string;
const REFUSAL = /^The gateway's host localhost \((127\.0\.0\.1|::1)\) is a private address; this server does not send to private addresses \(ROLLCALL_ALLOW_PRIVATE_GATEWAY_HOSTS\)\.$/;

before(async () => {
  t = await createTestApp({ config: { allowPrivateGatewayHosts: false } });
  fake = await startVendorFake(() => ({ status: 201, body: { sid: 'SM1', id: 'x-1' } }));
  port = new URL(fake.baseUrl).port;
  await t.createProject('ssrf', { defaultCountry: 'US' });
});
after(async () => {
  await t.close();
  await fake.close();
});

const create = (body: Record<string, unknown>) => t.request('POST', '/api/v1/projects/ssrf/gateways', { body });

test('saving a gateway whose URL or host is a literal private address is refused, naming the field', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ name: 'tw', type: 'twilio', config: { accountSid: `AC${'1'.repeat(32)}`, authToken: 'tokenA1b2c3d4e5f6a7b8', from: '+12065550100', baseUrl: `http://127.0.0.1:${port}` } }, /^config\.baseUrl: The gateway's host 127\.0\.0\.1 is a private address/],
    [{ name: 'kan', type: 'http', config: { url: 'http://[::ffff:169.254.169.254]/latest/meta-data?to={to}' } }, /^config\.url: The gateway's host ::ffff:a9fe:a9fe is a private address/],
    [{ name: 'ib', type: 'infobip', config: { baseUrl: 'http://10.1.2.3', apiKey: 'k'.repeat(20), from: 'ORG' } }, /^config\.baseUrl: .*10\.1\.2\.3 is a private address/],
    [{ name: 'mail', type: 'smtp', config: { host: '192.168.0.10', from: 'a@example.org' } }, /^config\.host: .*192\.168\.0\.10 is a private address/],
  ];
  for (const [body, message] of cases) {
    const res = await create(body);
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.code, 'VALIDATION_ERROR');
    assert.match(res.json().error.message, message);
  }
});

test('a host name resolving to a private address is refused at send time: permanent, plainly worded, nothing sent', async () => {
  await createGateway(t, 'ssrf', { name: 'local', type: 'http', config: { url: `http://localhost:${port}/send?to={to}&text={text}` } });
  const kase = await createCase(t, 'ssrf', '+12065550123');
  const m = await sendToCase(t, 'ssrf', kase.id, 'hello');
  assert.deepEqual([m.status, m.errorCode], ['failed', 'GATEWAY_ERROR'], JSON.stringify(m));
  assert.match(m.errorDetail, REFUSAL);
  assert.equal(fake.requests.length, 0, 'the vendor on 127.0.0.1 received nothing');
});

test('the SMTP relay is checked the same way before connecting', async () => {
  const smtp = createSmtpProvider({ ...localVendorDeps, hosts: hostPolicy(false) });
  try {
    const [o] = await smtp.send({ id: 'g', name: 'MAIL', type: 'smtp', replyToNumber: null, config: { host: 'localhost', port: Number(port), tls: 'none', from: 'a@example.org' } }, [
      { id: '7d0c8a57-0000-4000-8000-000000000009', to: 'b@example.org', text: 'hi', subject: 'hi', attempt: 1 },
    ]);
    assert.ok(o && !o.ok && !o.retryable, JSON.stringify(o));
    assert.match(o.reason, REFUSAL);
    assert.equal(fake.requests.length, 0);
  } finally {
    await smtp.close();
  }
});
