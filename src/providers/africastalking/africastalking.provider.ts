/**
 * @module providers/africastalking/africastalking.provider — Africa's Talking SMS.
 * Send: POST {baseUrl}/version1/messaging, form-encoded (username, to, message, from?), header
 * `apiKey`, `Accept: application/json`; one request per message, four at a time. The answer's
 * SMSMessageData.Recipients[0] carries statusCode (see africastalking.status-map.ts) and messageId.
 * Inbound and delivery reports are form POSTs. Africa's Talking does not sign its callbacks, so the
 * random key in our webhook URL is their only authentication (rotate it if it leaks).
 */
import type { HostPolicy } from '../outbound-hosts.ts';
import type { ConfigField, GatewayRuntime, InboundParse, OutboundMessage, Provider, ProviderDeps, SendOutcome, StatusParse, WebhookRequest } from '../provider.ts';
import { checkDestination, optionalHttpUrl, optionalText, refuseUnknown, requiredText, timeoutOf } from '../vendor-config.ts';
import { callVendor, httpFailure, mapPool, noAnswer, statusText, VENDOR_CALLS_AT_ONCE } from '../vendor-http.ts';
import { clip, redact, shortField } from '../vendor-text.ts';
import { stringFields } from '../vendor-webhook.ts';
import { DELIVERY_STATUSES, sendCode } from './africastalking.status-map.ts';

const LIVE_URL = 'https://api.africastalking.com';
/** Used when the username is `sandbox` (Africa's Talking's test environment) and no baseUrl is set. */
const SANDBOX_URL = 'https://api.sandbox.africastalking.com';
const KNOWN = ['username', 'apiKey', 'from', 'baseUrl', 'timeoutMs'] as const;

interface AtConfig {
  username: string;
  apiKey: string;
  from?: string | undefined;
  baseUrl: string;
  timeoutMs: number;
}

function readConfig(config: Record<string, unknown>): AtConfig {
  refuseUnknown(config, KNOWN, "an Africa's Talking gateway");
  const username = requiredText(config, 'username', "the app's username in the Africa's Talking dashboard (\"sandbox\" for the sandbox)", 100);
  const apiKey = requiredText(config, 'apiKey', "the API key generated under Settings → API Key", 200);
  const from = optionalText(config, 'from', 20);
  const baseUrl = optionalHttpUrl(config, 'baseUrl') ?? (username === 'sandbox' ? SANDBOX_URL : LIVE_URL);
  return { username, apiKey, from, baseUrl, timeoutMs: timeoutOf(config) };
}

/** Validates and keeps only the fields given (defaults such as the host stay derived, not stored). */
function normaliseConfig(config: Record<string, unknown>): Record<string, unknown> {
  const cfg = readConfig(config);
  return {
    username: cfg.username,
    apiKey: cfg.apiKey,
    ...(cfg.from ? { from: cfg.from } : {}),
    ...(optionalHttpUrl(config, 'baseUrl') ? { baseUrl: cfg.baseUrl } : {}),
    ...(config.timeoutMs !== undefined && config.timeoutMs !== null && config.timeoutMs !== '' ? { timeoutMs: cfg.timeoutMs } : {}),
  };
}

export const africasTalkingConfigFields: readonly ConfigField[] = [
  { key: 'username', label: 'Username', help: "The app's username, shown at the top of the Africa's Talking dashboard; use \"sandbox\" for the sandbox.", required: true, secret: false, kind: 'text' },
  { key: 'apiKey', label: 'API key', help: 'Generated under Settings → API Key in the dashboard (it is shown once).', required: true, secret: true, kind: 'text' },
  { key: 'from', label: 'Sender id or short code', help: 'An alphanumeric sender id or short code approved for your app under SMS → Sender IDs / Short codes; blank uses the shared default.', required: false, secret: false, kind: 'text', placeholder: 'MYORG' },
  { key: 'baseUrl', label: 'API base URL', help: 'Leave blank for https://api.africastalking.com (https://api.sandbox.africastalking.com for the sandbox user).', required: false, secret: false, kind: 'url' },
  { key: 'timeoutMs', label: 'Timeout (ms)', help: 'How long to wait for Africa\'s Talking before retrying later (Default: 15000).', required: false, secret: false, kind: 'number' },
];

interface AtRecipient {
  statusCode?: unknown;
  status?: unknown;
  messageId?: unknown;
}

function readRecipient(json: unknown): { recipient: AtRecipient | null; message: string } | null {
  const data = json && typeof json === 'object' ? (json as { SMSMessageData?: { Message?: unknown; Recipients?: unknown } }).SMSMessageData : undefined;
  if (!data || typeof data !== 'object') {
    return null;
  }
  const list = Array.isArray(data.Recipients) ? (data.Recipients as AtRecipient[]) : [];
  return { recipient: list[0] ?? null, message: shortField(data.Message) ?? '' };
}

async function sendOne(hosts: HostPolicy, cfg: AtConfig, m: OutboundMessage): Promise<SendOutcome> {
  const form = new URLSearchParams({ username: cfg.username, to: m.to, message: m.text });
  if (cfg.from) {
    form.set('from', cfg.from);
  }
  const res = await callVendor(hosts, `${cfg.baseUrl}/version1/messaging`, {
    method: 'POST',
    headers: { apiKey: cfg.apiKey, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    timeoutMs: cfg.timeoutMs,
  });
  if (res.kind !== 'answered') {
    return noAnswer("Africa's Talking", res);
  }
  const words = (text: string) => clip(redact(text, [cfg.apiKey]));
  if (res.status < 200 || res.status > 299) {
    // Africa's Talking answers HTTP errors in plain text; only the status is kept, never the body.
    return httpFailure(res.status, res.headers, `Africa's Talking HTTP ${res.status}: ${statusText(res.status)}`);
  }
  const read = readRecipient(res.json);
  if (!read) {
    // Accepted at HTTP level but unreadable: it may have gone out, so it is not retried.
    return { ok: false, retryable: false, reason: `Africa's Talking answered HTTP ${res.status} without SMSMessageData.` };
  }
  if (!read.recipient) {
    return { ok: false, retryable: false, reason: `Africa's Talking accepted no recipient: ${words(read.message) || 'no details'}` };
  }
  const code = Number(read.recipient.statusCode);
  const status = shortField(read.recipient.status) ?? '';
  const c = sendCode(code);
  if (c.ok && typeof read.recipient.messageId === 'string' && read.recipient.messageId !== '') {
    return { ok: true, providerMessageId: read.recipient.messageId };
  }
  if (c.ok) {
    return { ok: false, retryable: false, reason: words(`Africa's Talking answered ${code} ${status} without a messageId.`) };
  }
  return { ok: false, retryable: c.retryable, reason: words(`${code} ${status}: ${c.note}`), ...(c.optedOut ? { optedOut: true } : {}) };
}

/** Incoming message callback: form fields from, to, text, date, id, linkId, networkCode. */
export function parseAtInbound(_gateway: GatewayRuntime, request: WebhookRequest): InboundParse {
  const f = stringFields(request.body);
  if (!f || !f.from || f.text === undefined) {
    return { ok: false, status: 400, reason: "Expected Africa's Talking's incoming message form (from, text, id, …)." };
  }
  return { ok: true, messages: [{ from: f.from.trim(), text: f.text, gatewayMessageId: f.id || null }] };
}

/** Delivery report callback: form fields id, status, phoneNumber, networkCode, failureReason, retryCount. */
export function parseAtStatus(_gateway: GatewayRuntime, request: WebhookRequest): StatusParse {
  const f = stringFields(request.body);
  if (!f || !f.id || !f.status) {
    return { ok: false, status: 400, reason: "Expected Africa's Talking's delivery report form (id, status, …)." };
  }
  const mapped = DELIVERY_STATUSES[f.status];
  if (!mapped || mapped === 'ignored') {
    return { ok: true, updates: [], ignored: [f.status] };
  }
  const reason = mapped === 'failed' ? [f.status, f.failureReason].filter(Boolean).join(': ') : null;
  return { ok: true, updates: [{ providerMessageId: f.id, status: mapped, reason, vendorStatus: f.status }], ignored: [] };
}

export function createAfricasTalkingProvider(deps: ProviderDeps): Provider {
  return {
    type: 'africastalking',
    label: "Africa's Talking",
    channel: 'sms',
    configFields: africasTalkingConfigFields,
    // Africa's Talking has no idempotency key: a resend after a crash could send twice.
    idempotent: false,
    sendGroupSize: VENDOR_CALLS_AT_ONCE,
    // Africa's Talking publishes no per-second cap for bulk SMS; 10/s keeps a burst from tripping its
    // fraud checks (risk hold). Raise ratePerSecond on the gateway once your account manager agrees.
    defaultRatePerSecond: 10,
    destination: (config) => new URL(readConfig(config).baseUrl).origin,
    validateConfig(config) {
      const out = normaliseConfig(config);
      checkDestination(deps.hosts, 'baseUrl', readConfig(out).baseUrl);
      return out;
    },
    parseInbound: parseAtInbound,
    parseStatus: parseAtStatus,
    async send(gateway, messages) {
      const cfg = readConfig(gateway.config);
      return mapPool(messages, VENDOR_CALLS_AT_ONCE, (m) => sendOne(deps.hosts, cfg, m));
    },
  };
}
