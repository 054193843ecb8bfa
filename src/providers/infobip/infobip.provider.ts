/**
 * @module providers/infobip/infobip.provider — Infobip SMS.
 * Send: POST {baseUrl}/sms/2/text/advanced, JSON {messages:[{from, destinations:[{to}], text,
 * notifyUrl, notifyContentType, callbackData}]}, header `Authorization: App <apiKey>`; one request
 * per message, four at a time. The answer's messages[0] has messageId and status {groupName, name,
 * description}; errors come as requestError.serviceException {messageId, text}. (The v2 "advanced"
 * endpoint is chosen over /sms/3/messages because its per-message notifyUrl carries our
 * status URL, and its request and report formats are the ones documented for delivery reports.)
 * Inbound and delivery reports are JSON {results:[…]}; inbound is authenticated by the webhook
 * secret when one is configured (see infobip.webhook-auth.ts), else by the random key in our URL.
 */
import type { HostPolicy } from '../outbound-hosts.ts';
import type { ConfigField, GatewayRuntime, InboundMessage, InboundParse, OutboundMessage, Provider, ProviderDeps, SendOutcome, StatusParse, StatusUpdate, WebhookRequest } from '../provider.ts';
import { checkDestination, optionalHttpUrl, optionalText, refuseUnknown, requiredText, timeoutOf } from '../vendor-config.ts';
import { callVendor, httpFailure, mapPool, noAnswer, statusText, VENDOR_CALLS_AT_ONCE } from '../vendor-http.ts';
import { clip, redact, shortField } from '../vendor-text.ts';
import { isInfobipGroup, REPORT_GROUPS, SEND_GROUPS } from './infobip.status-map.ts';
import { checkInfobipWebhook } from './infobip.webhook-auth.ts';

const KNOWN = ['baseUrl', 'apiKey', 'from', 'webhookSecret', 'webhookSecretHeader', 'timeoutMs'] as const;

interface InfobipConfig {
  baseUrl: string;
  apiKey: string;
  from: string;
  webhookSecret?: string | undefined;
  webhookSecretHeader: string;
  timeoutMs: number;
}

function readConfig(config: Record<string, unknown>): InfobipConfig {
  refuseUnknown(config, KNOWN, 'an Infobip gateway');
  const baseUrl = optionalHttpUrl(config, 'baseUrl');
  if (!baseUrl) {
    throw new Error('config.baseUrl is required: the Base URL of your Infobip account (https://xxxxx.api.infobip.com, shown on the portal homepage).');
  }
  const header = optionalText(config, 'webhookSecretHeader', 100) ?? 'Authorization';
  if (!/^[A-Za-z0-9-]+$/.test(header)) {
    throw new Error('config.webhookSecretHeader must be an HTTP header name (letters, digits, dashes).');
  }
  return {
    baseUrl,
    apiKey: requiredText(config, 'apiKey', 'an API key from the Infobip portal (Developer Tools → API Keys)', 500),
    from: requiredText(config, 'from', 'the sender: a number in international format or an alphanumeric sender id registered with Infobip', 20),
    webhookSecret: optionalText(config, 'webhookSecret', 500),
    webhookSecretHeader: header,
    timeoutMs: timeoutOf(config),
  };
}

/** Keeps the fields given, validated (defaults stay derived, not stored). */
function normaliseConfig(config: Record<string, unknown>): Record<string, unknown> {
  const cfg = readConfig(config);
  const given = (k: string) => config[k] !== undefined && config[k] !== null && config[k] !== '';
  return {
    baseUrl: cfg.baseUrl,
    apiKey: cfg.apiKey,
    from: cfg.from,
    ...(cfg.webhookSecret ? { webhookSecret: cfg.webhookSecret } : {}),
    ...(given('webhookSecretHeader') ? { webhookSecretHeader: cfg.webhookSecretHeader } : {}),
    ...(given('timeoutMs') ? { timeoutMs: cfg.timeoutMs } : {}),
  };
}

export const infobipConfigFields: readonly ConfigField[] = [
  { key: 'baseUrl', label: 'Base URL', help: 'Your account\'s API address, shown on the Infobip portal homepage (https://xxxxx.api.infobip.com).', required: true, secret: false, kind: 'url', placeholder: 'https://xxxxx.api.infobip.com' },
  { key: 'apiKey', label: 'API key', help: 'Create one in the Infobip portal under Developer Tools → API Keys (SMS scope).', required: true, secret: true, kind: 'text' },
  { key: 'from', label: 'Sender', help: 'The number (international format) or alphanumeric sender id registered for your account under Channels and Numbers.', required: true, secret: false, kind: 'text', placeholder: '447491163443' },
  { key: 'webhookSecret', label: 'Webhook secret', help: 'A long random value you also set on the number\'s inbound forwarding in Infobip (as the header value or the Basic-auth password); blank means the webhook URL alone authenticates.', required: false, secret: true, kind: 'text' },
  { key: 'webhookSecretHeader', label: 'Webhook secret header', help: 'The header Infobip sends the secret in (Default: Authorization, which also accepts Basic auth).', required: false, secret: false, kind: 'text', placeholder: 'Authorization' },
  { key: 'timeoutMs', label: 'Timeout (ms)', help: 'How long to wait for Infobip before retrying later (Default: 15000).', required: false, secret: false, kind: 'number' },
];

interface InfobipStatus {
  groupName?: unknown;
  name?: unknown;
  description?: unknown;
}

const words = (s: InfobipStatus | undefined) => [shortField(s?.name), shortField(s?.description)].filter(Boolean).join(': ');

/** Infobip's documented error: requestError.serviceException {messageId, text}; nothing else of the answer is kept. */
function serviceException(json: unknown): string {
  const e = (json as { requestError?: { serviceException?: { messageId?: unknown; text?: unknown } } } | null)?.requestError?.serviceException;
  return [shortField(e?.messageId), shortField(e?.text)].filter(Boolean).join(': ');
}

async function sendOne(hosts: HostPolicy, cfg: InfobipConfig, m: OutboundMessage): Promise<SendOutcome> {
  const payload = {
    messages: [{
      // A numeric sender goes without its plus sign too; names are sent as they are.
      from: /^\+\d+$/.test(cfg.from) ? cfg.from.slice(1) : cfg.from,
      // Infobip wants international format without the plus sign.
      destinations: [{ to: m.to.replace(/^\+/, '') }],
      text: m.text,
      ...(m.statusCallbackUrl ? { notifyUrl: m.statusCallbackUrl, notifyContentType: 'application/json' } : {}),
      callbackData: m.id,
    }],
  };
  const res = await callVendor(hosts, `${cfg.baseUrl}/sms/2/text/advanced`, {
    method: 'POST',
    headers: { Authorization: `App ${cfg.apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(payload),
    timeoutMs: cfg.timeoutMs,
  });
  if (res.kind !== 'answered') {
    return noAnswer('Infobip', res);
  }
  const say = (text: string) => clip(redact(text, [cfg.apiKey, cfg.webhookSecret]));
  if (res.status < 200 || res.status > 299) {
    return httpFailure(res.status, res.headers, say(`Infobip HTTP ${res.status}: ${serviceException(res.json) || statusText(res.status)}`));
  }
  const first = (res.json as { messages?: { messageId?: unknown; status?: InfobipStatus }[] } | null)?.messages?.[0];
  if (!first || typeof first !== 'object') {
    // Accepted at HTTP level but unreadable: it may have gone out, so it is not retried.
    return { ok: false, retryable: false, reason: `Infobip answered HTTP ${res.status} without messages.` };
  }
  const group = first.status?.groupName;
  if (isInfobipGroup(group) && SEND_GROUPS[group] === 'refused') {
    return { ok: false, retryable: false, reason: say(`${group} ${words(first.status)}`) };
  }
  if (typeof first.messageId !== 'string' || first.messageId === '') {
    return { ok: false, retryable: false, reason: say(`Infobip answered without a messageId (${shortField(group) ?? 'no status'} ${words(first.status)}).`) };
  }
  return { ok: true, providerMessageId: first.messageId };
}

function results(request: WebhookRequest): Record<string, unknown>[] | null {
  const body = request.body as { results?: unknown } | null;
  if (!body || typeof body !== 'object' || !Array.isArray(body.results)) {
    return null;
  }
  return body.results.filter((r): r is Record<string, unknown> => !!r && typeof r === 'object');
}

/** Incoming messages: {results:[{messageId, from, to, text, cleanText, keyword, receivedAt, …}]}. */
export function parseInfobipInbound(gateway: GatewayRuntime, request: WebhookRequest): InboundParse {
  const refused = checkInfobipWebhook(readConfig(gateway.config), request, true);
  if (refused) {
    return refused;
  }
  const list = results(request);
  if (!list) {
    return { ok: false, status: 400, reason: 'Expected Infobip\'s JSON {"results": [{"messageId", "from", "text", …}]}.' };
  }
  const messages: InboundMessage[] = [];
  for (const r of list) {
    if (typeof r.from !== 'string' || r.from === '' || typeof r.text !== 'string') {
      return { ok: false, status: 400, reason: 'Each Infobip result needs "from" and "text".' };
    }
    // Infobip writes numbers without the plus sign; short codes and sender names stay as they are.
    const from = /^\d{8,15}$/.test(r.from) ? `+${r.from}` : r.from;
    messages.push({ from, text: r.text, gatewayMessageId: typeof r.messageId === 'string' ? r.messageId : null });
  }
  return { ok: true, messages };
}

/** Delivery reports: {results:[{messageId, status:{groupName, name, description}, error:{…}}]}. */
export function parseInfobipStatus(gateway: GatewayRuntime, request: WebhookRequest): StatusParse {
  // The header is optional here: per-message notifyUrl reports cannot carry it (see webhook-auth).
  const refused = checkInfobipWebhook(readConfig(gateway.config), request, false);
  if (refused) {
    return refused;
  }
  const list = results(request);
  if (!list) {
    return { ok: false, status: 400, reason: 'Expected Infobip\'s JSON delivery report {"results": [{"messageId", "status", …}]}.' };
  }
  const updates: StatusUpdate[] = [];
  const ignored: string[] = [];
  for (const r of list) {
    const status = r.status as InfobipStatus | undefined;
    const group = status?.groupName;
    if (typeof r.messageId !== 'string' || typeof group !== 'string') {
      return { ok: false, status: 400, reason: 'Each Infobip delivery report needs "messageId" and "status.groupName".' };
    }
    const mapped = isInfobipGroup(group) ? REPORT_GROUPS[group] : undefined;
    if (!mapped || mapped === 'ignored') {
      ignored.push(`${group}${typeof status?.name === 'string' ? ` (${status.name})` : ''}`);
      continue;
    }
    const error = r.error as InfobipStatus | undefined;
    // Infobip's own samples write the no-error group as both "OK" and "Ok".
    const errorWords = error && String(error.groupName).toUpperCase() !== 'OK' ? words(error) : '';
    const reason = mapped === 'failed' ? clip([`${group} ${words(status)}`, errorWords].filter(Boolean).join('; ')) : null;
    updates.push({ providerMessageId: r.messageId, status: mapped, reason, vendorStatus: typeof status?.name === 'string' ? status.name : group });
  }
  return { ok: true, updates, ignored };
}

export function createInfobipProvider(deps: ProviderDeps): Provider {
  return {
    type: 'infobip',
    label: 'Infobip',
    channel: 'sms',
    configFields: infobipConfigFields,
    // No idempotency key on this endpoint: a resend after a crash could send twice.
    idempotent: false,
    sendGroupSize: VENDOR_CALLS_AT_ONCE,
    // Infobip's throughput is per account (agreed with sales); 20/s is a safe start that new
    // accounts sustain. Set ratePerSecond on the gateway to what your contract allows.
    defaultRatePerSecond: 20,
    destination: (config) => new URL(readConfig(config).baseUrl).origin,
    validateConfig(config) {
      const out = normaliseConfig(config);
      checkDestination(deps.hosts, 'baseUrl', readConfig(out).baseUrl);
      return out;
    },
    parseInbound: parseInfobipInbound,
    parseStatus: parseInfobipStatus,
    async send(gateway, messages) {
      const cfg = readConfig(gateway.config);
      return mapPool(messages, VENDOR_CALLS_AT_ONCE, (m) => sendOne(deps.hosts, cfg, m));
    },
  };
}
