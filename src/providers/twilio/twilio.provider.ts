/**
 * @module providers/twilio/twilio.provider — the `twilio` gateway: Programmable Messaging.
 * Send: POST {baseUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded To, Body,
 * From or MessagingServiceSid, StatusCallback; HTTP Basic with AccountSid:AuthToken or an API key
 * SID:secret; the vendor id is the answer's `sid`. Webhooks (inbound and status callbacks) are
 * form-encoded and must carry a valid X-Twilio-Signature (twilio.signature.ts); they are answered
 * with empty TwiML. Default rate 1 message/s: one US long code sends one segment per second.
 */
import type { HostPolicy } from '../outbound-hosts.ts';
import type { GatewayRuntime, InboundParse, OutboundMessage, Provider, ProviderDeps, SendOutcome, StatusParse, WebhookRequest } from '../provider.ts';
import { checkDestination } from '../vendor-config.ts';
import { basicAuth, callVendor, httpFailure, mapPool, noAnswer, statusText, VENDOR_CALLS_AT_ONCE, type VendorReply } from '../vendor-http.ts';
import { clip, redact, shortField } from '../vendor-text.ts';
import { formBody, formField } from '../vendor-webhook.ts';
import { normaliseTwilioConfig, readTwilioConfig, TWILIO_CONFIG_FIELDS, type TwilioConfig } from './twilio.config.ts';
import { isValidTwilioSignature } from './twilio.signature.ts';
import { mapTwilioStatus, TWILIO_ERROR_TITLES, twilioErrorReason } from './twilio.status-map.ts';

/** Twilio error codes that mean the message can never go to this number as it is. */
const OPTED_OUT = '21610';

function secretsOf(c: TwilioConfig): string[] {
  return [c.authToken, ...(c.apiKeySecret ? [c.apiKeySecret] : [])];
}

/** The form Twilio receives for one message. */
export function twilioSendForm(c: TwilioConfig, m: OutboundMessage): URLSearchParams {
  const form = new URLSearchParams();
  form.set('To', m.to);
  form.set('Body', m.text);
  if (c.messagingServiceSid) {
    form.set('MessagingServiceSid', c.messagingServiceSid);
  }
  if (c.from) {
    form.set('From', c.from);
  }
  if (m.statusCallbackUrl) {
    form.set('StatusCallback', m.statusCallbackUrl);
  }
  return form;
}

/**
 * Sorts Twilio's answer into our outcome. Only Twilio's documented error fields (code, message) are
 * kept, secrets removed; which failures are retried is the shared table (vendor-http.ts), plus
 * Twilio's own 20429 (too many requests).
 */
export function twilioOutcome(reply: VendorReply, secrets: readonly string[]): SendOutcome {
  if (reply.kind !== 'answered') {
    return noAnswer('Twilio', reply);
  }
  const body = (reply.json && typeof reply.json === 'object' ? reply.json : {}) as Record<string, unknown>;
  if (reply.status >= 200 && reply.status < 300) {
    if (typeof body.sid === 'string' && body.sid) {
      return { ok: true, providerMessageId: body.sid };
    }
    // Accepted without an id: it may have been sent, so it is not retried.
    return { ok: false, retryable: false, reason: `Twilio answered HTTP ${reply.status} without a message sid.` };
  }
  const code = shortField(body.code) ?? '';
  const words = shortField(body.message) ?? TWILIO_ERROR_TITLES[code] ?? statusText(reply.status);
  const reason = clip(redact(`Twilio ${code || `HTTP ${reply.status}`}: ${words}${code ? ` (HTTP ${reply.status})` : ''}`, secrets));
  if (code === OPTED_OUT) {
    return { ok: false, retryable: false, optedOut: true, reason };
  }
  if (code === '20429') {
    return httpFailure(429, reply.headers, reason);
  }
  // 400 (invalid number 21211/21614, region 21408, content), 401/403 (credentials 20003), 404: permanent.
  return httpFailure(reply.status, reply.headers, reason);
}

async function sendOne(hosts: HostPolicy, c: TwilioConfig, m: OutboundMessage): Promise<SendOutcome> {
  const [user, password] = c.apiKeySid && c.apiKeySecret ? [c.apiKeySid, c.apiKeySecret] : [c.accountSid, c.authToken];
  const reply = await callVendor(hosts, `${c.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(c.accountSid)}/Messages.json`, {
    method: 'POST',
    headers: { authorization: basicAuth(user, password), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: twilioSendForm(c, m).toString(),
    timeoutMs: c.timeoutMs,
  });
  return twilioOutcome(reply, secretsOf(c));
}

function header(request: WebhookRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The form fields of a signed Twilio webhook, or the refusal. */
function verified(gateway: GatewayRuntime, request: WebhookRequest): { ok: true; body: Record<string, unknown> } | { ok: false; status: 400 | 403; reason: string } {
  const c = readTwilioConfig(gateway.config);
  const body = formBody(request.body) ?? {};
  if (!isValidTwilioSignature(c.authToken, header(request, 'x-twilio-signature'), request.url, body)) {
    return { ok: false, status: 403, reason: 'The X-Twilio-Signature header is missing or does not match this URL and body (check the Auth Token and ROLLCALL_PUBLIC_URL).' };
  }
  if (!formBody(request.body)) {
    return { ok: false, status: 400, reason: 'Twilio webhooks are form-encoded (application/x-www-form-urlencoded).' };
  }
  return { ok: true, body };
}

export function parseTwilioInbound(gateway: GatewayRuntime, request: WebhookRequest): InboundParse {
  const v = verified(gateway, request);
  if (!v.ok) {
    return v;
  }
  const from = formField(v.body, 'From');
  if (!from || from.length > 64) {
    return { ok: false, status: 400, reason: 'The Twilio webhook has no From.' };
  }
  const id = formField(v.body, 'MessageSid') ?? formField(v.body, 'SmsMessageSid') ?? formField(v.body, 'SmsSid') ?? null;
  // Media (NumMedia, MediaUrl0…) is not stored; the text is what people reply with.
  return { ok: true, messages: [{ from, text: formField(v.body, 'Body') ?? '', gatewayMessageId: id }] };
}

export function parseTwilioStatus(gateway: GatewayRuntime, request: WebhookRequest): StatusParse {
  const v = verified(gateway, request);
  if (!v.ok) {
    return v;
  }
  const sid = formField(v.body, 'MessageSid') ?? formField(v.body, 'SmsSid');
  const status = formField(v.body, 'MessageStatus') ?? formField(v.body, 'SmsStatus');
  if (!sid || !status) {
    return { ok: false, status: 400, reason: 'A Twilio status callback carries MessageSid and MessageStatus.' };
  }
  const mapped = mapTwilioStatus(status);
  if (mapped === undefined || mapped === 'ignored') {
    return { ok: true, updates: [], ignored: [status] };
  }
  const code = formField(v.body, 'ErrorCode');
  const reason = mapped === 'failed' ? twilioErrorReason(code, formField(v.body, 'ErrorMessage'), status) : null;
  // With a Messaging Service, Twilio accepts the message and reports 21610 in the callback instead.
  const optedOut = mapped === 'failed' && code === OPTED_OUT ? { optedOut: true } : {};
  return { ok: true, updates: [{ providerMessageId: sid, status: mapped, reason, vendorStatus: status, ...optedOut }], ignored: [] };
}

/** Twilio expects TwiML back; an empty Response sends no reply (Rollcall replies through the API). */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export function createTwilioProvider(deps: ProviderDeps): Provider {
  return {
    type: 'twilio',
    label: 'Twilio',
    channel: 'sms',
    // The Messages API takes no idempotency key: a resend after a crash could send twice.
    idempotent: false,
    defaultRatePerSecond: 1,
    configFields: TWILIO_CONFIG_FIELDS,
    destination: (config) => new URL(readTwilioConfig(config).baseUrl).origin,
    validateConfig(config) {
      const out = normaliseTwilioConfig(config);
      checkDestination(deps.hosts, 'baseUrl', readTwilioConfig(out).baseUrl);
      return out;
    },
    async send(gateway: GatewayRuntime, messages: readonly OutboundMessage[]): Promise<SendOutcome[]> {
      const c = readTwilioConfig(gateway.config);
      // Twilio queues per sender anyway; VENDOR_CALLS_AT_ONCE bounds our sockets.
      return mapPool(messages, VENDOR_CALLS_AT_ONCE, (m) => sendOne(deps.hosts, c, m));
    },
    parseInbound: parseTwilioInbound,
    parseStatus: parseTwilioStatus,
    webhookAnswer: { contentType: 'text/xml', body: EMPTY_TWIML },
  };
}
