/**
 * The smtp provider against a real SMTP server on 127.0.0.1 (smtp-server with AUTH), the received
 * mail parsed with mailparser: headers and body field by field, then each failure class.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import type { ParsedMail } from 'mailparser';

import { type SmtpSink, startSmtpSink } from '../../../test/support/smtp-sink.ts';
import type { GatewayRuntime, OutboundMessage, SendOutcome } from '../provider.ts';
import { classifySmtpError } from './smtp.failure.ts';
import { localVendorDeps } from '../../../test/support/vendor-fake.ts';
import { createSmtpProvider } from './smtp.provider.ts';

const PASSWORD = 'sink-password-7f3a';
let sink: SmtpSink;
const provider = createSmtpProvider(localVendorDeps);

before(async () => {
  sink = await startSmtpSink({ user: 'mailer', password: PASSWORD });
});
after(async () => {
  await provider.close();
  await sink.close();
});

function gateway(config: Record<string, unknown>, id = 'gw-1'): GatewayRuntime {
  return { id, name: 'MAIL', type: 'smtp', replyToNumber: null, config: provider.validateConfig(config) };
}

const base = () => ({ host: '127.0.0.1', port: sink.port, tls: 'none', user: 'mailer', password: PASSWORD, from: 'Clinic <noreply@clinic.example>', connectionTimeoutMs: 5000 });

function message(over: Partial<OutboundMessage> = {}): OutboundMessage {
  return { id: '8a0c7a8e-2a43-4a55-9a36-5d2f9c9d1a01', to: 'amina@example.org', text: 'Clinic day is Monday.\nBring your card.', subject: 'Clinic day', attempt: 1, ...over };
}

/** A header exactly as sent, folded lines joined (mailparser's parsed `list` object hides the raw value). */
function headerValue(mail: ParsedMail, key: string): string | null {
  const line = mail.headerLines.find((h) => h.key === key)?.line;
  return line === undefined ? null : line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
}

async function sendOne(config: Record<string, unknown>, m: OutboundMessage, id?: string): Promise<SendOutcome> {
  const [outcome] = await provider.send(gateway(config, id), [m]);
  assert.ok(outcome);
  return outcome;
}

test('sends a text email: From, To, Reply-To, Subject, body, Message-ID and the RFC 8058 headers', async () => {
  const unsubscribeUrl = 'https://rollcall.example/unsubscribe/eyJlIjoiYW1pbmFAZXhhbXBsZS5vcmciLCJwIjpudWxsfQ.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZy1lbm91Z2gtdG8tZm9sZA';
  const outcome = await sendOne({ ...base(), replyTo: 'desk@clinic.example' }, message({ unsubscribeUrl }));
  assert.deepEqual(outcome, { ok: true, providerMessageId: '<8a0c7a8e-2a43-4a55-9a36-5d2f9c9d1a01@clinic.example>' });
  const got = sink.received.at(-1);
  assert.ok(got);
  assert.equal(got.envelopeFrom, 'noreply@clinic.example');
  assert.deepEqual(got.envelopeTo, ['amina@example.org']);
  const mail = got.mail;
  assert.deepEqual(mail.from?.value, [{ address: 'noreply@clinic.example', name: 'Clinic' }]);
  assert.equal(headerValue(mail, 'to'), 'amina@example.org');
  assert.equal(mail.replyTo?.text, 'desk@clinic.example');
  assert.equal(mail.subject, 'Clinic day');
  assert.equal(mail.text?.trim(), 'Clinic day is Monday.\nBring your card.');
  assert.equal(mail.html, false, 'text only');
  assert.equal(mail.messageId, '<8a0c7a8e-2a43-4a55-9a36-5d2f9c9d1a01@clinic.example>');
  assert.equal(headerValue(mail, 'list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
  assert.equal(headerValue(mail, 'list-unsubscribe'), `<${unsubscribeUrl}>`);
  assert.deepEqual(sink.logins.at(-1), 'mailer');
});

test('no unsubscribe URL, no List-Unsubscribe headers; no reply-to configured, none sent', async () => {
  const outcome = await sendOne(base(), message({ id: '8a0c7a8e-2a43-4a55-9a36-5d2f9c9d1a02', unsubscribeUrl: null }));
  assert.equal(outcome.ok, true);
  const mail = sink.received.at(-1)?.mail;
  assert.ok(mail);
  assert.equal(headerValue(mail, 'list-unsubscribe'), null);
  assert.equal(headerValue(mail, 'list-unsubscribe-post'), null);
  assert.equal(mail?.replyTo, undefined);
});

test('one pooled connection serves consecutive batches of a gateway whose config did not change', async () => {
  const cfg = { ...base(), socketTimeoutMs: 30_000 };
  await sendOne(cfg, message({ id: '8a0c7a8e-2a43-4a55-9a36-5d2f9c9d1a03' }), 'gw-pool');
  const before = sink.connections;
  await sendOne(cfg, message({ id: '8a0c7a8e-2a43-4a55-9a36-5d2f9c9d1a04' }), 'gw-pool');
  await sendOne(cfg, message({ id: '8a0c7a8e-2a43-4a55-9a36-5d2f9c9d1a05' }), 'gw-pool');
  assert.equal(sink.connections, before, 'no new connection for the same gateway and config');
});

describe('failures are classified', () => {
  const cases: Array<{ name: string; config?: () => Record<string, unknown>; to?: string; retryable: boolean; reason: RegExp }> = [
    { name: '550 mailbox unavailable → permanent', to: 'full@example.org', retryable: false, reason: /^SMTP 550: .*mailbox unavailable/ },
    { name: '553 bad address → permanent', to: 'bad@example.org', retryable: false, reason: /^SMTP 553: / },
    { name: '451 try later → retryable', to: 'later@example.org', retryable: true, reason: /^SMTP 451: / },
    { name: '452 insufficient storage → retryable', to: 'busy@example.org', retryable: true, reason: /^SMTP 452: / },
    { name: 'wrong password (535) → permanent', config: () => ({ ...base(), password: 'not-the-password' }), retryable: false, reason: /^SMTP 535: / },
    { name: 'STARTTLS required, self-signed certificate refused → permanent', config: () => ({ ...base(), tls: 'starttls' }), retryable: false, reason: /certificate/i },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const outcome = await sendOne(c.config?.() ?? base(), message({ to: c.to ?? 'amina@example.org' }), `gw-${c.name}`);
      assert.equal(outcome.ok, false);
      if (!outcome.ok) {
        assert.equal(outcome.retryable, c.retryable);
        assert.match(outcome.reason, c.reason);
        assert.ok(!outcome.reason.includes(PASSWORD), 'no credentials in the reason');
        assert.ok(!outcome.reason.includes('not-the-password'), 'no credentials in the reason');
      }
    });
  }

  test('closed port → retryable', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const outcome = await sendOne({ ...base(), port }, message(), 'gw-closed');
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.retryable, true);
    assert.match(!outcome.ok ? outcome.reason : '', /ECONNREFUSED|ECONNECTION|ESOCKET/);
  });

  test('a server that never greets → timeout, retryable', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const outcome = await sendOne({ ...base(), port, greetingTimeoutMs: 300 }, message(), 'gw-silent');
      assert.equal(outcome.ok, false);
      assert.equal(!outcome.ok && outcome.retryable, true);
      assert.match(!outcome.ok ? outcome.reason : '', /ETIMEDOUT|timeout/i);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('STARTTLS with certificate checks off reaches the relay', async () => {
    const outcome = await sendOne({ ...base(), tls: 'starttls', rejectUnauthorized: false }, message({ id: '8a0c7a8e-2a43-4a55-9a36-5d2f9c9d1a06' }), 'gw-tls');
    assert.equal(outcome.ok, true);
  });

  test('timeouts and resets without an SMTP reply are retryable; a scrubbed reason never holds the password', () => {
    assert.equal(classifySmtpError(Object.assign(new Error('Greeting never received'), { code: 'ETIMEDOUT' }), []).retryable, true);
    assert.equal(classifySmtpError(Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' }), []).retryable, true);
    assert.equal(classifySmtpError(Object.assign(new Error('421 closing'), { code: 'EENVELOPE', responseCode: 421 }), []).retryable, true);
    const f = classifySmtpError(Object.assign(new Error('Invalid login: s3cret-pass'), { code: 'EAUTH' }), ['s3cret-pass']);
    assert.deepEqual(f, { retryable: false, reason: 'SMTP EAUTH: Invalid login: ***' });
  });
});

describe('validateConfig', () => {
  const ok = { host: 'smtp.example.org', from: 'noreply@example.org' };
  const refused: Array<[string, Record<string, unknown>, RegExp]> = [
    ['host missing', { from: 'a@example.org' }, /host is required/],
    ['host with a scheme', { ...ok, host: 'smtp://smtp.example.org' }, /host is required/],
    ['from missing', { host: 'smtp.example.org' }, /from is required/],
    ['from not an address', { ...ok, from: 'Clinic' }, /from is required/],
    ['bad reply-to', { ...ok, replyTo: 'desk' }, /replyTo must be an email address/],
    ['unknown tls mode', { ...ok, tls: 'ssl' }, /tls must be/],
    ['port out of range', { ...ok, port: 70_000 }, /port must be a whole number/],
    ['password without user', { ...ok, password: 'x' }, /give the SMTP user name/],
    ['certificate check not a boolean', { ...ok, rejectUnauthorized: 'no' }, /rejectUnauthorized must be true or false/],
    ['CA not PEM', { ...ok, caCertificate: 'abc' }, /PEM/],
    ['unknown field', { ...ok, apiKey: 'x' }, /Unknown config field for an smtp gateway: apiKey/],
  ];
  for (const [name, config, message] of refused) {
    test(`refuses: ${name}`, () => assert.throws(() => provider.validateConfig(config), message));
  }
  test('keeps only what was given, trimmed; defaults apply at send time', () => {
    assert.deepEqual(provider.validateConfig({ ...ok, host: ' smtp.example.org ', user: '', replyTo: null, port: 2525 }), { host: 'smtp.example.org', from: 'noreply@example.org', port: 2525 });
  });
  test('every config field is described for the form', () => {
    const keys = (provider.configFields ?? []).map((f) => f.key);
    assert.deepEqual(keys, ['host', 'tls', 'port', 'user', 'password', 'from', 'replyTo', 'rejectUnauthorized', 'caCertificate', 'connectionTimeoutMs', 'greetingTimeoutMs', 'socketTimeoutMs']);
    assert.deepEqual((provider.configFields ?? []).filter((f) => f.secret).map((f) => f.key), ['password']);
    assert.ok((provider.configFields ?? []).every((f) => f.help.length > 10));
  });
});
