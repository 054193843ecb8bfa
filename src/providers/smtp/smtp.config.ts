/**
 * @module providers/smtp/smtp.config — the `smtp` gateway's config: the form fields the admin UI
 * shows, and the check that runs when a gateway is created or edited (it also fills the defaults,
 * so a stored config is always complete).
 */
import { isEmailAddress } from '../../domain/email.ts';
import type { ConfigField } from '../provider.ts';

export type SmtpTls = 'starttls' | 'implicit' | 'none';

export interface SmtpConfig {
  host: string;
  port: number;
  tls: SmtpTls;
  user: string | null;
  password: string | null;
  from: string;
  replyTo: string | null;
  rejectUnauthorized: boolean;
  caCertificate: string | null;
  connectionTimeoutMs: number;
  greetingTimeoutMs: number;
  socketTimeoutMs: number;
}

/** Default ports per TLS mode: 587 submission with STARTTLS, 465 implicit TLS, 25 plain relay. */
const DEFAULT_PORT: Record<SmtpTls, number> = { starttls: 587, implicit: 465, none: 25 };
/** Defaults shorter than nodemailer's (2 min / 30 s / 10 min) so a dead relay frees a worker soon. */
const DEFAULT_CONNECTION_TIMEOUT_MS = 15_000;
const DEFAULT_GREETING_TIMEOUT_MS = 15_000;
const DEFAULT_SOCKET_TIMEOUT_MS = 60_000;

export const smtpConfigFields: readonly ConfigField[] = [
  { key: 'host', label: 'SMTP server', help: 'The host name of your mail relay, as your email provider documents it (for example smtp.example.org).', required: true, secret: false, kind: 'text', placeholder: 'smtp.example.org' },
  {
    key: 'tls',
    label: 'Encryption',
    help: 'starttls: port 587, upgrade to TLS after connecting (most providers); implicit: TLS from the start (port 465); none: no encryption (only for a relay on your own network). Default starttls.',
    required: false,
    secret: false,
    kind: 'select',
    options: ['starttls', 'implicit', 'none'],
    default: 'starttls',
  },
  { key: 'port', label: 'Port', help: 'Leave blank for the usual port of the encryption chosen: 587 (starttls), 465 (implicit) or 25 (none).', required: false, secret: false, kind: 'number' },
  { key: 'user', label: 'User name', help: "The SMTP login from your email provider's console (often the full sending address); blank if the relay needs no login.", required: false, secret: false, kind: 'text' },
  { key: 'password', label: 'Password', help: 'The SMTP password or app password for that login; stored encrypted and never shown again.', required: false, secret: true, kind: 'text' },
  { key: 'from', label: 'From address', help: 'The sender people see, an address your relay may send as, optionally with a name: Clinic <noreply@example.org>.', required: true, secret: false, kind: 'text', placeholder: 'Clinic <noreply@example.org>' },
  { key: 'replyTo', label: 'Reply-to address', help: 'Optional: where replies go when that is not the From address.', required: false, secret: false, kind: 'text' },
  { key: 'rejectUnauthorized', label: 'Check the server certificate', help: 'Keep this on: the connection is refused when the server certificate is not valid. Turn it off only for a test relay with a self-signed certificate.', required: false, secret: false, kind: 'boolean', default: true },
  { key: 'caCertificate', label: 'CA certificate (PEM)', help: "Optional: your organisation's CA certificate, when the relay's certificate is signed by a private CA.", required: false, secret: false, kind: 'textarea', placeholder: '-----BEGIN CERTIFICATE-----' },
  { key: 'connectionTimeoutMs', label: 'Connection timeout (ms)', help: 'How long to wait for the connection. Default 15000.', required: false, secret: false, kind: 'number' },
  { key: 'greetingTimeoutMs', label: 'Greeting timeout (ms)', help: "How long to wait for the server's greeting after connecting. Default 15000.", required: false, secret: false, kind: 'number' },
  { key: 'socketTimeoutMs', label: 'Idle timeout (ms)', help: 'How long a connection may stay silent before it is closed. Default 60000.', required: false, secret: false, kind: 'number' },
];

const KNOWN = new Set(smtpConfigFields.map((f) => f.key));

/** "Name <a@b.org>" or "a@b.org" → the address, or null when it is not one. */
export function addressIn(text: string): string | null {
  const m = /^\s*(?:[^<>]*<([^<>]+)>|([^<>\s]+))\s*$/.exec(text);
  const address = (m?.[1] ?? m?.[2] ?? '').trim();
  return address && isEmailAddress(address) ? address : null;
}

function text(config: Record<string, unknown>, key: string, max: number): string | null {
  const v = config[key];
  if (v === undefined || v === null || v === '') {
    return null;
  }
  if (typeof v !== 'string' || v.length > max) {
    throw new Error(`${key} must be text of up to ${max} characters.`);
  }
  return v.trim() === '' ? null : v.trim();
}

function whole(config: Record<string, unknown>, key: string, min: number, max: number, fallback: number): number {
  const v = config[key];
  if (v === undefined || v === null || v === '') {
    return fallback;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(`${key} must be a whole number from ${min} to ${max}.`);
  }
  return v;
}

/** Checks and completes an smtp config; throws a sentence naming the field. */
export function readSmtpConfig(config: Record<string, unknown>): SmtpConfig {
  const unknown = Object.keys(config).filter((k) => !KNOWN.has(k));
  if (unknown.length) {
    throw new Error(`Unknown config field for an smtp gateway: ${unknown.join(', ')}. Known fields: ${[...KNOWN].join(', ')}.`);
  }
  const host = text(config, 'host', 253);
  if (!host || !/^[A-Za-z0-9.-]+$|^\[?[0-9A-Fa-f:.]+\]?$/.test(host)) {
    throw new Error('host is required: the SMTP server name, such as smtp.example.org (no scheme, no port).');
  }
  const tls = config.tls === undefined || config.tls === null || config.tls === '' ? 'starttls' : config.tls;
  if (tls !== 'starttls' && tls !== 'implicit' && tls !== 'none') {
    throw new Error('tls must be "starttls", "implicit" or "none".');
  }
  const from = text(config, 'from', 320);
  if (!from || !addressIn(from)) {
    throw new Error('from is required: an email address, optionally with a name, such as Clinic <noreply@example.org>.');
  }
  const replyTo = text(config, 'replyTo', 320);
  if (replyTo && !addressIn(replyTo)) {
    throw new Error('replyTo must be an email address.');
  }
  const user = text(config, 'user', 320);
  const password = text(config, 'password', 1000);
  if (password && !user) {
    throw new Error('password is given but user is not: give the SMTP user name too.');
  }
  const rejectUnauthorized = config.rejectUnauthorized ?? true;
  if (typeof rejectUnauthorized !== 'boolean') {
    throw new Error('rejectUnauthorized must be true or false.');
  }
  const caCertificate = text(config, 'caCertificate', 20_000);
  if (caCertificate && !caCertificate.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error('caCertificate must be a PEM certificate (starting with -----BEGIN CERTIFICATE-----).');
  }
  return {
    host,
    port: whole(config, 'port', 1, 65_535, DEFAULT_PORT[tls]),
    tls,
    user,
    password,
    from,
    replyTo,
    rejectUnauthorized,
    caCertificate,
    connectionTimeoutMs: whole(config, 'connectionTimeoutMs', 100, 300_000, DEFAULT_CONNECTION_TIMEOUT_MS),
    greetingTimeoutMs: whole(config, 'greetingTimeoutMs', 100, 300_000, DEFAULT_GREETING_TIMEOUT_MS),
    socketTimeoutMs: whole(config, 'socketTimeoutMs', 100, 3_600_000, DEFAULT_SOCKET_TIMEOUT_MS),
  };
}
