/**
 * A real SMTP server on 127.0.0.1 (smtp-server) that keeps what it receives, parsed by mailparser.
 * AUTH PLAIN/LOGIN with one user; STARTTLS with smtp-server's built-in self-signed certificate.
 * Recipients steer failures the way a relay would answer them:
 *   full@…  → 550 mailbox unavailable     bad@… → 553 mailbox name not allowed
 *   later@… → 451 local error, try later  busy@… → 452 insufficient storage
 */
import type { AddressInfo } from 'node:net';

import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpSink {
  port: number;
  received: Array<{ envelopeFrom: string; envelopeTo: string[]; mail: ParsedMail; raw: string }>;
  /** AUTH attempts seen (user names only). */
  logins: string[];
  connections: number;
  close(): Promise<void>;
}

const REFUSALS: Record<string, [number, string]> = {
  full: [550, 'Requested action not taken: mailbox unavailable'],
  bad: [553, 'Requested action not taken: mailbox name not allowed'],
  later: [451, 'Requested action aborted: local error in processing'],
  busy: [452, 'Requested action not taken: insufficient system storage'],
};

function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startSmtpSink(options: { user?: string; password?: string } = {}): Promise<SmtpSink> {
  const user = options.user ?? 'mailer';
  const password = options.password ?? 'sink-password';
  const sink: Omit<SmtpSink, 'port' | 'close'> = { received: [], logins: [], connections: 0 };
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    logger: false,
    onConnect(_session, callback) {
      sink.connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      sink.logins.push(auth.username ?? '');
      if (auth.username === user && auth.password === password) {
        callback(null, { user: auth.username });
      } else {
        callback(smtpError(535, 'Authentication credentials invalid'));
      }
    },
    onRcptTo(address, _session, callback) {
      const refusal = REFUSALS[address.address.split('@')[0] ?? ''];
      callback(refusal ? smtpError(refusal[0], refusal[1]) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((mail) => {
            sink.received.push({
              envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              mail,
              raw,
            });
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    get received() {
      return sink.received;
    },
    get logins() {
      return sink.logins;
    },
    get connections() {
      return sink.connections;
    },
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
