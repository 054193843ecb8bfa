/**
 * @module providers/telerivet/telerivet.provider — the `telerivet` gateway (REST API v1).
 * Send: POST {baseUrl}/v1/projects/{project_id}/messages/send, JSON {content, to_number, route_id?,
 * status_url, status_secret}, HTTP Basic with the API key as user name and no password; the vendor
 * id is the answer's `id`; errors come as {"error": {"code", "message", "param"?}}.
 * Webhooks are form-encoded POSTs carrying `secret` (the webhook secret, compared in constant time):
 * event=incoming_message for replies, event=send_status for delivery reports.
 * Default rate 0.5 messages/s: most Telerivet senders are Android phones, which Android limits to
 * 30 SMS a minute per app; gateways on a cloud route can raise ratePerSecond.
 */
import type { HostPolicy } from '../outbound-hosts.ts';
import type { GatewayRuntime, InboundParse, OutboundMessage, Provider, ProviderDeps, SendOutcome, StatusParse, WebhookRequest } from '../provider.ts';
import { checkDestination } from '../vendor-config.ts';
import { basicAuth, callVendor, httpFailure, mapPool, noAnswer, statusText, VENDOR_CALLS_AT_ONCE, type VendorReply } from '../vendor-http.ts';
import { clip, redact, secretsEqual, shortField } from '../vendor-text.ts';
import { formBody, formField } from '../vendor-webhook.ts';
import { normaliseTelerivetConfig, readTelerivetConfig, TELERIVET_CONFIG_FIELDS, type TelerivetConfig } from './telerivet.config.ts';
import { mapTelerivetStatus } from './telerivet.status-map.ts';

/** The JSON body Telerivet receives for one message. */
export function telerivetSendBody(c: TelerivetConfig, m: OutboundMessage): Record<string, string> {
  const body: Record<string, string> = { to_number: m.to, content: m.text };
  if (c.routeId) {
    body.route_id = c.routeId;
  }
  if (m.statusCallbackUrl) {
    body.status_url = m.statusCallbackUrl;
    body.status_secret = c.webhookSecret;
  }
  return body;
}

/**
 * Sorts Telerivet's answer into our outcome. Only Telerivet's documented error fields (code,
 * message, param) are kept, secrets removed; which failures are retried is the shared table.
 */
export function telerivetOutcome(reply: VendorReply, secrets: readonly string[]): SendOutcome {
  if (reply.kind !== 'answered') {
    return noAnswer('Telerivet', reply);
  }
  const body = (reply.json && typeof reply.json === 'object' ? reply.json : {}) as Record<string, unknown>;
  const error = body.error && typeof body.error === 'object' ? (body.error as Record<string, unknown>) : null;
  if (reply.status >= 200 && reply.status < 300 && !error) {
    if (typeof body.id === 'string' && body.id) {
      return { ok: true, providerMessageId: body.id };
    }
    // Accepted without an id: it may have been sent, so it is not retried.
    return { ok: false, retryable: false, reason: `Telerivet answered HTTP ${reply.status} without a message id.` };
  }
  const code = shortField(error?.code) ?? `HTTP ${reply.status}`;
  const words = shortField(error?.message) ?? statusText(reply.status);
  const param = shortField(error?.param);
  const reason = clip(redact(`Telerivet ${code}: ${words}${param ? ` (${param})` : ''}${error ? ` (HTTP ${reply.status})` : ''}`, secrets));
  if (reply.status < 300) {
    // An error inside a success answer: the vendor refused this message.
    return { ok: false, retryable: false, reason };
  }
  // 400 invalid_param (number, content, route), 401/403 (API key), 404 (project or route): permanent.
  return httpFailure(reply.status, reply.headers, reason);
}

async function sendOne(hosts: HostPolicy, c: TelerivetConfig, m: OutboundMessage): Promise<SendOutcome> {
  const reply = await callVendor(hosts, `${c.baseUrl}/v1/projects/${encodeURIComponent(c.projectId)}/messages/send`, {
    method: 'POST',
    headers: { authorization: basicAuth(c.apiKey, ''), 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(telerivetSendBody(c, m)),
    timeoutMs: c.timeoutMs,
  });
  return telerivetOutcome(reply, [c.apiKey, c.webhookSecret]);
}

/** The form fields of a Telerivet webhook carrying the right secret, or the refusal. */
function verified(gateway: GatewayRuntime, request: WebhookRequest): { ok: true; body: Record<string, unknown> } | { ok: false; status: 400 | 403; reason: string } {
  const c = readTelerivetConfig(gateway.config);
  const body = formBody(request.body);
  const secret = body ? formField(body, 'secret') : undefined;
  if (!body || secret === undefined || !secretsEqual(secret, c.webhookSecret)) {
    return { ok: false, status: 403, reason: 'The webhook secret is missing or wrong (it must equal the Webhook Secret set in Telerivet).' };
  }
  return { ok: true, body };
}

export function parseTelerivetInbound(gateway: GatewayRuntime, request: WebhookRequest): InboundParse {
  const v = verified(gateway, request);
  if (!v.ok) {
    return v;
  }
  // A webhook service may also post other events (send_status, contact updates): nothing to store.
  const event = formField(v.body, 'event');
  const type = formField(v.body, 'message_type') ?? 'sms';
  if (event !== 'incoming_message' || (type !== 'sms' && type !== 'mms')) {
    return { ok: true, messages: [] };
  }
  const from = formField(v.body, 'from_number');
  if (!from || from.length > 64) {
    return { ok: false, status: 400, reason: 'The Telerivet webhook has no from_number.' };
  }
  return { ok: true, messages: [{ from, text: formField(v.body, 'content') ?? '', gatewayMessageId: formField(v.body, 'id') ?? null }] };
}

export function parseTelerivetStatus(gateway: GatewayRuntime, request: WebhookRequest): StatusParse {
  const v = verified(gateway, request);
  if (!v.ok) {
    return v;
  }
  const event = formField(v.body, 'event');
  const id = formField(v.body, 'id');
  const status = formField(v.body, 'status');
  if (event !== undefined && event !== 'send_status') {
    return { ok: true, updates: [], ignored: [`event ${event}`] };
  }
  if (!id || !status) {
    return { ok: false, status: 400, reason: 'A Telerivet send_status notification carries id and status.' };
  }
  const mapped = mapTelerivetStatus(status);
  if (mapped === undefined || mapped === 'ignored') {
    return { ok: true, updates: [], ignored: [status] };
  }
  const detail = formField(v.body, 'error_message');
  const reason = mapped === 'failed' ? `Telerivet ${status}${detail ? `: ${detail}` : ''}` : null;
  return { ok: true, updates: [{ providerMessageId: id, status: mapped, reason, vendorStatus: status }], ignored: [] };
}

export function createTelerivetProvider(deps: ProviderDeps): Provider {
  return {
    type: 'telerivet',
    label: 'Telerivet',
    channel: 'sms',
    // The send API takes no idempotency key: a resend after a crash could send twice.
    idempotent: false,
    defaultRatePerSecond: 0.5,
    configFields: TELERIVET_CONFIG_FIELDS,
    destination: (config) => new URL(readTelerivetConfig(config).baseUrl).origin,
    validateConfig(config) {
      const out = normaliseTelerivetConfig(config);
      checkDestination(deps.hosts, 'baseUrl', readTelerivetConfig(out).baseUrl);
      return out;
    },
    async send(gateway: GatewayRuntime, messages: readonly OutboundMessage[]): Promise<SendOutcome[]> {
      const c = readTelerivetConfig(gateway.config);
      return mapPool(messages, VENDOR_CALLS_AT_ONCE, (m) => sendOne(deps.hosts, c, m));
    },
    parseInbound: parseTelerivetInbound,
    parseStatus: parseTelerivetStatus,
  };
}
