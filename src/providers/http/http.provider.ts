/**
 * @module providers/http/http.provider — the generic HTTP gateway (type `http`): how programs
 * connect local aggregators and Kannel. Each message is one request built from templates (see
 * http.template.ts and http.config.ts); success is a configured HTTP status (Default: 2xx) and,
 * when set, a matching answer. The aggregator's message id comes from a regex group or a JSON path,
 * else our own message id is the provider id (so a callback URL holding {message_id} matches).
 * Inbound and delivery reports arrive by GET or POST with configurable field names, read from the
 * body (form or JSON) or the query string, with an optional shared secret (constant-time).
 */
import type { GatewayRuntime, InboundParse, OutboundMessage, Provider, SendOutcome, StatusParse, WebhookRequest } from '../provider.ts';
import { callVendor, clip, headerValue, httpFailure, mapPool, VENDOR_CALLS_AT_ONCE, redact, secretsEqual } from '../vendor-client.ts';
import { type HttpConfig, normaliseHttpConfig, readHttpConfig } from './http.config.ts';
import { httpConfigFields } from './http.config-fields.ts';
import { fillTemplate, type TemplateValues } from './http.template.ts';

/** Secrets to strip from any vendor text kept on a message: header values, webhook secret, URL query values. */
function secretsOf(cfg: HttpConfig): string[] {
  const query = cfg.url.includes('?') ? [...new URLSearchParams(cfg.url.slice(cfg.url.indexOf('?') + 1)).values()].filter((v) => !/\{[a-z_]+\}/.test(v)) : [];
  const userinfo = /^[a-z]+:\/\/([^@/]+)@/i.exec(cfg.url)?.[1]?.split(':') ?? [];
  return [...Object.values(cfg.headers), ...query, ...userinfo, cfg.webhookSecret ?? ''];
}

/** Reads a dotted path ("messages.0.id", "$.messages[0].id") out of parsed JSON. */
function atPath(value: unknown, path: string): unknown {
  const keys = path.replace(/^\$\.?/, '').replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean);
  return keys.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);
}

function vendorId(cfg: HttpConfig, body: string): string | null | undefined {
  if (cfg.messageIdPattern) {
    const m = cfg.messageIdPattern.exec(body.slice(0, 65_536));
    return m ? (m[1] ?? m[0]) : null;
  }
  if (cfg.messageIdPath) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return null;
    }
    const v = atPath(parsed, cfg.messageIdPath);
    return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
  }
  return undefined;
}

function buildRequest(cfg: HttpConfig, values: TemplateValues): { url: string; init: RequestInit } {
  const url = fillTemplate(cfg.url, values, encodeURIComponent);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(cfg.headers)) {
    headers[k] = fillTemplate(v, values);
  }
  if (cfg.method === 'GET') {
    return { url, init: { method: 'GET', headers } };
  }
  const fields = Object.fromEntries(Object.entries(cfg.body).map(([k, v]) => [k, fillTemplate(v, values)]));
  if (cfg.bodyFormat === 'json') {
    return { url, init: { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(fields) } };
  }
  return { url, init: { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() } };
}

async function sendOne(cfg: HttpConfig, m: OutboundMessage): Promise<SendOutcome> {
  const values: TemplateValues = { to: m.to, to_digits: m.to.replace(/\D/g, ''), text: m.text, from: cfg.from, message_id: m.id, status_url: m.statusCallbackUrl ?? '' };
  const { url, init } = buildRequest(cfg, values);
  const res = await callVendor(url, init, cfg.timeoutMs);
  if (!res.ok) {
    return res.outcome;
  }
  const say = (text: string) => clip(redact(text, secretsOf(cfg)));
  if (!cfg.isSuccess(res.status)) {
    // Outside the success set: 5xx, 408 and 429 are retried, any other status is final.
    return httpFailure(res.status, res.headers, say(`HTTP ${res.status}: ${res.body || 'no details'}`));
  }
  // Patterns run on the first 64 KiB only, so a huge answer cannot make a regex run for long.
  const head = res.body.slice(0, 65_536);
  if (cfg.successPattern && !cfg.successPattern.test(head)) {
    return { ok: false, retryable: false, reason: say(`HTTP ${res.status} but the answer does not match the success pattern: ${res.body || '(empty)'}`) };
  }
  // Without a vendor id (none configured, or the pattern/path found none) our own id stands in:
  // the gateway accepted the message, and a callback URL holding {message_id} still matches.
  return { ok: true, providerMessageId: vendorId(cfg, res.body) ?? m.id };
}

/** The webhook's fields: the body (form or JSON, nested via dotted names) then the query string. */
function fieldReader(request: WebhookRequest): (name: string) => string | undefined {
  let query: URLSearchParams;
  try {
    query = new URL(request.url).searchParams;
  } catch {
    query = new URLSearchParams();
  }
  const body = request.body !== null && typeof request.body === 'object' ? request.body : null;
  return (name) => {
    const v = body ? (Object.hasOwn(body, name) ? (body as Record<string, unknown>)[name] : atPath(body, name)) : undefined;
    if (typeof v === 'string' || typeof v === 'number') {
      return String(v);
    }
    return query.get(name) ?? undefined;
  };
}

function authenticate(cfg: HttpConfig, request: WebhookRequest, read: (name: string) => string | undefined): { ok: false; status: 403; reason: string } | null {
  if (!cfg.webhookSecret) {
    return null;
  }
  const header = headerValue(request.headers, cfg.webhookSecretHeader);
  const field = read(cfg.webhookSecretField);
  // Both candidates are compared (no early exit).
  const matches = [header, field].map((v) => (v === undefined ? false : secretsEqual(v, cfg.webhookSecret as string)));
  return matches.includes(true) ? null : { ok: false, status: 403, reason: `The webhook secret is missing or wrong (header ${cfg.webhookSecretHeader} or field ${cfg.webhookSecretField}).` };
}

export function parseHttpInbound(gateway: GatewayRuntime, request: WebhookRequest): InboundParse {
  const cfg = readHttpConfig(gateway.config);
  const read = fieldReader(request);
  const refused = authenticate(cfg, request, read);
  if (refused) {
    return refused;
  }
  const from = read(cfg.inboundFromField)?.trim();
  const text = read(cfg.inboundTextField);
  if (!from || from.length > 64 || text === undefined || text.length > 10_000) {
    return { ok: false, status: 400, reason: `Expected the sender in "${cfg.inboundFromField}" and the text in "${cfg.inboundTextField}" (form, JSON or query string).` };
  }
  const id = read(cfg.inboundIdField);
  return { ok: true, messages: [{ from, text, gatewayMessageId: id ? id.slice(0, 200) : null }] };
}

export function parseHttpStatus(gateway: GatewayRuntime, request: WebhookRequest): StatusParse {
  const cfg = readHttpConfig(gateway.config);
  const read = fieldReader(request);
  const refused = authenticate(cfg, request, read);
  if (refused) {
    return refused;
  }
  const id = read(cfg.statusIdField);
  const status = read(cfg.statusField);
  if (!id || status === undefined) {
    return { ok: false, status: 400, reason: `Expected the message id in "${cfg.statusIdField}" and the status in "${cfg.statusField}".` };
  }
  const mapped = cfg.statusMap[status.toLowerCase()];
  if (!mapped || mapped === 'ignored') {
    return { ok: true, updates: [], ignored: [status] };
  }
  const why = cfg.statusReasonField ? read(cfg.statusReasonField) : undefined;
  const reason = mapped === 'failed' ? clip(why ? `${status}: ${why}` : status) : null;
  return { ok: true, updates: [{ providerMessageId: id, status: mapped, reason, vendorStatus: status }], ignored: [] };
}

export function createHttpProvider(): Provider {
  return {
    type: 'http',
    label: 'Generic HTTP (Kannel, local aggregators)',
    channel: 'sms',
    configFields: httpConfigFields,
    // A plain HTTP call has no idempotency key: a resend after a crash could send twice.
    idempotent: false,
    sendGroupSize: VENDOR_CALLS_AT_ONCE,
    // Local aggregators and Kannel SMSC links commonly sustain about 10 messages per second; set
    // ratePerSecond on the gateway to what your link allows.
    defaultRatePerSecond: 10,
    validateConfig: normaliseHttpConfig,
    parseInbound: parseHttpInbound,
    parseStatus: parseHttpStatus,
    async send(gateway, messages) {
      const cfg = readHttpConfig(gateway.config);
      return mapPool(messages, VENDOR_CALLS_AT_ONCE, (m) => sendOne(cfg, m));
    },
  };
}
