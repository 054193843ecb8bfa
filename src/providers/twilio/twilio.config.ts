/**
 * @module providers/twilio/twilio.config — the `twilio` gateway's config: what is required, what
 * each value looks like, and the form fields the admin UI shows for it.
 */
import type { ConfigField } from '../provider.ts';
import { ConfigReader } from '../vendor-config.ts';
import { DEFAULT_TIMEOUT_MS } from '../vendor-http.ts';

/** Twilio's REST API host (Default for baseUrl). */
export const TWILIO_API = 'https://api.twilio.com';

export interface TwilioConfig {
  accountSid: string;
  /** Signs webhooks (always) and authenticates API calls when no API key is set. */
  authToken: string;
  apiKeySid?: string | undefined;
  apiKeySecret?: string | undefined;
  /** A Twilio number in E.164, a short code, or an alphanumeric sender ID. */
  from?: string | undefined;
  messagingServiceSid?: string | undefined;
  baseUrl: string;
  timeoutMs: number;
}

const SENDER = /^(\+[1-9]\d{6,14}|\d{3,8}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11})$/;

/** Reads and checks a config; throws a message saying what to fix. */
export function readTwilioConfig(config: Record<string, unknown>): TwilioConfig {
  const r = new ConfigReader(config, 'Twilio');
  const accountSid = r.text('accountSid', { required: true, pattern: /^AC[0-9a-fA-F]{32}$/, hint: 'AC followed by 32 hex digits, from the Twilio Console home page' }) as string;
  const authToken = r.text('authToken', { required: true, pattern: /^[0-9A-Za-z]{16,128}$/, hint: 'the Auth Token from the Twilio Console home page' }) as string;
  const apiKeySid = r.text('apiKeySid', { required: false, pattern: /^SK[0-9a-fA-F]{32}$/, hint: 'SK followed by 32 hex digits' });
  const apiKeySecret = r.text('apiKeySecret', { required: apiKeySid !== undefined, pattern: /^[0-9A-Za-z]{16,128}$/, hint: 'the secret shown once when the API key was created' });
  if (apiKeySecret !== undefined && apiKeySid === undefined) {
    throw new Error('Twilio config: apiKeySecret needs its apiKeySid.');
  }
  const from = r.text('from', { required: false, pattern: SENDER, hint: 'a Twilio number in E.164 such as +12065550100, a short code, or an alphanumeric sender ID of up to 11 characters' });
  const messagingServiceSid = r.text('messagingServiceSid', { required: false, pattern: /^MG[0-9a-fA-F]{32}$/, hint: 'MG followed by 32 hex digits' });
  if (from === undefined && messagingServiceSid === undefined) {
    throw new Error('Twilio config: give the sender, as from (a Twilio number such as +12065550100) or messagingServiceSid (MG…).');
  }
  const baseUrl = r.url('baseUrl', TWILIO_API);
  const timeoutMs = r.integer('timeoutMs', { min: 1000, max: 120_000, fallback: DEFAULT_TIMEOUT_MS });
  r.refuseUnknown();
  return { accountSid, authToken, apiKeySid, apiKeySecret, from, messagingServiceSid, baseUrl, timeoutMs };
}

/** What is stored: the values given, normalised (defaults are applied when read, so they can change). */
export function normaliseTwilioConfig(config: Record<string, unknown>): Record<string, unknown> {
  const c = readTwilioConfig(config);
  const out: Record<string, unknown> = { accountSid: c.accountSid, authToken: c.authToken };
  for (const key of ['apiKeySid', 'apiKeySecret', 'from', 'messagingServiceSid'] as const) {
    if (c[key] !== undefined) {
      out[key] = c[key];
    }
  }
  if (c.baseUrl !== TWILIO_API) {
    out.baseUrl = c.baseUrl;
  }
  if (c.timeoutMs !== DEFAULT_TIMEOUT_MS) {
    out.timeoutMs = c.timeoutMs;
  }
  return out;
}

export const TWILIO_CONFIG_FIELDS: readonly ConfigField[] = [
  { key: 'accountSid', label: 'Account SID', help: 'On the Twilio Console home page (Account Info); it starts with AC.', required: true, secret: false, kind: 'text', placeholder: 'AC…' },
  { key: 'authToken', label: 'Auth Token', help: 'On the Twilio Console home page (Account Info); Rollcall uses it to check that webhooks really come from Twilio.', required: true, secret: true, kind: 'text' },
  { key: 'from', label: 'From number or sender ID', help: 'A number from Phone Numbers › Manage › Active numbers in E.164 (+12065550100), a short code, or an approved alphanumeric sender ID; not needed with a Messaging Service.', required: false, secret: false, kind: 'text', placeholder: '+12065550100' },
  { key: 'messagingServiceSid', label: 'Messaging Service SID', help: 'Optional: Messaging › Services › your service; it starts with MG and lets Twilio choose the sender.', required: false, secret: false, kind: 'text', placeholder: 'MG…' },
  { key: 'apiKeySid', label: 'API key SID', help: 'Optional: Account › API keys & tokens; it starts with SK and is used instead of the Auth Token to send.', required: false, secret: false, kind: 'text', placeholder: 'SK…' },
  { key: 'apiKeySecret', label: 'API key secret', help: 'The secret shown once when the API key was created; required with an API key SID.', required: false, secret: true, kind: 'text' },
  { key: 'baseUrl', label: 'API base URL', help: `Leave blank for ${TWILIO_API}; set only for a test server or a proxy in front of Twilio.`, required: false, secret: false, kind: 'url', placeholder: TWILIO_API },
  { key: 'timeoutMs', label: 'Timeout (ms)', help: `How long to wait for Twilio to answer before retrying later (default ${DEFAULT_TIMEOUT_MS}).`, required: false, secret: false, kind: 'number', placeholder: String(DEFAULT_TIMEOUT_MS) },
];
