/**
 * @module providers/http/http.provider — the generic HTTP gateway (type `http`): how programs
 * connect local aggregators and Kannel. Each message is one request built from templates (see
 * http.template.ts and http.config.ts); success is a configured HTTP status (Default: 2xx) and,
 * when set, a matching answer. The aggregator's message id comes from a regex group or a JSON path,
 * else our own message id is the provider id (so a callback URL holding {message_id} matches).
 * Inbound and delivery reports arrive by GET or POST with configurable field names, read from the
 * body (form or JSON) or the query string, with an optional shared secret (constant-time).
 */
import type { HostPolicy } from '../outbound-hosts.ts';
import type { GatewayRuntime, InboundParse, OutboundMessage, Provider, ProviderDeps, SendOutcome, StatusParse, WebhookRequest } from '../provider.ts';
import { checkDestination } from '../vendor-config.ts';
import { callVendor, httpFailure, mapPool, noAnswer, statusText, VENDOR_CALLS_AT_ONCE, type VendorRequest } from '../vendor-http.ts';
import { atPath, clip, redact, secretsEqual, shortField } from '../vendor-text.ts';
import { headerValue } from '../vendor-webhook.ts';
import { type HttpConfig, normaliseHttpConfig, readHttpConfig, sampleUrl } from './http.config.ts';
import { httpConfigFields } from './http.config-fields.ts';
import { fillTemplate, type TemplateValues } from './http.template.ts';

/** Secrets to strip from any vendor text kept on a message: header values, webhook secret, URL query values. */
function secretsOf(cfg: HttpConfig): string[] {
  const query = cfg.url.includes('?') ? [...new URLSearchParams(cfg.url.slice(cfg.url.indexOf('?') + 1)).values()].filter((v) => !/\{[a-z_]+\}/.test(v)) : [];
  const userinfo = /^[a-z]+:\/\/([^@/]+)@/i.exec(cfg.url)?.[1]?.split(':') ?? [];
  return [...Object.values(cfg.headers), ...query, ...userinfo, cfg.webhookSecret ?? ''];
}

/** Fields of a JSON answer that commonly carry an aggregator's error words (the first found is kept). */
const MESSAGE_FIELDS = ['message', 'error.message', 'error', 'error_message', 'errorMessage', 'description', 'detail', 'reason'];

/** The status, plus a short message from a known field of a JSON answer; never the raw body. */
function statusWords(status: number, json: unknown): string {
  const words = MESSAGE_FIELDS.map((f) => shortField(atPath(json, f))).find(Boolean);
  return `HTTP ${status}: ${words ?? statusText(status)}`;
}

/** Patterns run on the first 64 KiB of the answer only (all callVendor reads). */
function vendorId(cfg: HttpConfig, text: string, json: unknown): string | null | undefined {
  if (cfg.messageIdPattern) {
    const m = cfg.messageIdPattern.exec(text);
    return m ? (m[1] ?? m[0] ?? null) : null;
  }
  if (cfg.messageIdPath) {
    const v = atPath(json, cfg.messageIdPath);
    return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
  }
  return undefined;
}

function buildRequest(cfg: HttpConfig, values: TemplateValues): { url: string; init: VendorRequest } {
  const url = fillTemplate(cfg.url, values, encodeURIComponent);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(cfg.headers)) {
    headers[k] = fillTemplate(v, values);
  }
  if (cfg.method === 'GET') {
    return { url, init: { method: 'GET', headers, timeoutMs: cfg.timeoutMs } };
  }
  const fields = Object.fromEntries(Object.entries(cfg.body).map(([k, v]) => [k, fillTemplate(v, values)]));
  if (cfg.bodyFormat === 'json') {
    return { url, init: { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(fields), timeoutMs: cfg.timeoutMs } };
  }
  return { url, init: { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString(), timeoutMs: cfg.timeoutMs } };
}

async function sendOne(hosts: HostPolicy, cfg: HttpConfig, m: OutboundMessage): Promise<SendOutcome> {
  const values: TemplateValues = { to: m.to, to_digits: m.to.replace(/\D/g, ''), text: m.text, from: cfg.from, message_id: m.id, status_url: m.statusCallbackUrl ?? '' };
  const { url, init } = buildRequest(cfg, values);
  const res = await callVendor(hosts, url, init);
  if (res.kind !== 'answered') {
    return noAnswer('The gateway', res);
  }
  const say = (text: string) => clip(redact(text, secretsOf(cfg)));
  if (!cfg.isSuccess(res.status)) {
    // Outside the success set: 5xx, 408, 425 and 429 are retried, any other status is final.
    return httpFailure(res.status, res.headers, say(statusWords(res.status, res.json)));
  }
  if (cfg.successPattern && !cfg.successPattern.test(res.text)) {
    return { ok: false, retryable: false, reason: `HTTP ${res.status} but the answer does not match the success pattern.` };
  }
  // Without a vendor id (none configured, or the pattern/path found none) our own id stands in:
  // the gateway accepted the message, and a callback URL holding {message_id} still matches.
  return { ok: true, providerMessageId: vendorId(cfg, res.text, res.json) ?? m.id };
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

export function createHttpProvider(deps: ProviderDeps): Provider {
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
    destination: (config) => sampleUrl(readHttpConfig(config).url).origin,
    validateConfig(config) {
      const out = normaliseHttpConfig(config);
      checkDestination(deps.hosts, 'url', sampleUrl(readHttpConfig(out).url).href);
      return out;
    },
    parseInbound: parseHttpInbound,
    parseStatus: parseHttpStatus,
    async send(gateway, messages) {
      let cfg: HttpConfig;
      try {
        cfg = readHttpConfig(gateway.config);
      } catch (err) {
        // A config saved before a rule existed (e.g. a pattern this server no longer runs).
        return messages.map(() => ({ ok: false, retryable: false, reason: `The http gateway config is not valid: ${(err as Error).message}` }));
      }
      return mapPool(messages, VENDOR_CALLS_AT_ONCE, (m) => sendOne(deps.hosts, cfg, m));
    },
  };
}
