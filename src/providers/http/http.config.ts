/**
 * @module providers/http/http.config — the generic HTTP gateway's config: validated and normalised
 * when the gateway is saved, read again before each use. Object-valued fields (body, headers,
 * statusMap) may be given as objects or as JSON text (the admin form's text areas).
 */
import { optionalText, refuseUnknown, timeoutOf } from '../vendor-config.ts';
import { compilePattern, type TextPattern } from './http.pattern.ts';
import { checkTemplate, fillTemplate, SAMPLE_VALUES } from './http.template.ts';

export type MappedStatus = 'sent' | 'delivered' | 'failed' | 'ignored';

export interface HttpConfig {
  url: string;
  method: 'GET' | 'POST';
  bodyFormat: 'form' | 'json';
  body: Record<string, string>;
  headers: Record<string, string>;
  from: string;
  /** The success statuses as written (Default: "2xx"), and as a test. */
  successStatuses: string;
  isSuccess: (status: number) => boolean;
  successPattern?: TextPattern | undefined;
  messageIdPattern?: TextPattern | undefined;
  messageIdPath?: string | undefined;
  timeoutMs: number;
  inboundFromField: string;
  inboundTextField: string;
  inboundIdField: string;
  webhookSecret?: string | undefined;
  webhookSecretHeader: string;
  webhookSecretField: string;
  statusIdField: string;
  statusField: string;
  statusReasonField?: string | undefined;
  statusMap: Record<string, MappedStatus>;
}

export const KNOWN_FIELDS = [
  'url', 'method', 'bodyFormat', 'body', 'headers', 'from', 'successStatuses', 'successPattern', 'messageIdPattern', 'messageIdPath', 'timeoutMs',
  'inboundFromField', 'inboundTextField', 'inboundIdField', 'webhookSecret', 'webhookSecretHeader', 'webhookSecretField',
  'statusIdField', 'statusField', 'statusReasonField', 'statusMap',
] as const;

/** Used when statusMap is not set: plain words, lower-cased before the look-up. */
export const DEFAULT_STATUS_MAP: Readonly<Record<string, MappedStatus>> = { sent: 'sent', delivered: 'delivered', failed: 'failed', undelivered: 'failed', rejected: 'failed', expired: 'failed', queued: 'ignored', accepted: 'ignored' };

function stringRecord(config: Record<string, unknown>, key: string): Record<string, string> | undefined {
  let v = config[key];
  if (v === undefined || v === null || v === '') {
    return undefined;
  }
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      throw new Error(`config.${key} must be a JSON object of names to text, e.g. {"to": "{to}"}.`);
    }
  }
  if (!v || typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
    throw new Error(`config.${key} must be an object of names to text, e.g. {"to": "{to}"}.`);
  }
  return v as Record<string, string>;
}

/** A pattern run by the linear-time matcher (http.pattern.ts); never a JavaScript RegExp. */
function pattern(config: Record<string, unknown>, key: string): TextPattern | undefined {
  const v = optionalText(config, key, 500);
  if (v === undefined) {
    return undefined;
  }
  try {
    return compilePattern(v);
  } catch (err) {
    throw new Error(`config.${key} is not a pattern this server runs: ${(err as Error).message}`);
  }
}

function oneOf<T extends string>(config: Record<string, unknown>, key: string, options: readonly T[], fallback: T): T {
  const v = config[key];
  if (v === undefined || v === null || v === '') {
    return fallback;
  }
  const upper = typeof v === 'string' ? (options.find((o) => o.toLowerCase() === v.toLowerCase()) as T | undefined) : undefined;
  if (!upper) {
    throw new Error(`config.${key} must be one of ${options.join(', ')}.`);
  }
  return upper;
}

/** "2xx", "200,202", "200-204" or a list of statuses (Default: "2xx"). */
function successTest(config: Record<string, unknown>): { text: string; test: (s: number) => boolean } {
  const v = config.successStatuses;
  const text = v === undefined || v === null || v === '' ? '2xx' : Array.isArray(v) ? v.join(',') : String(v);
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  const tests = parts.map((p) => {
    let m = /^([1-5])xx$/i.exec(p);
    if (m) {
      const h = Number(m[1]);
      return (s: number) => Math.floor(s / 100) === h;
    }
    m = /^(\d{3})-(\d{3})$/.exec(p);
    if (m) {
      const [lo, hi] = [Number(m[1]), Number(m[2])];
      return (s: number) => s >= lo && s <= hi;
    }
    if (/^\d{3}$/.test(p)) {
      return (s: number) => s === Number(p);
    }
    throw new Error('config.successStatuses must list HTTP statuses such as "2xx", "200,202" or "200-204".');
  });
  if (tests.length === 0) {
    throw new Error('config.successStatuses must list at least one HTTP status.');
  }
  return { text: parts.join(','), test: (s) => tests.some((t) => t(s)) };
}

function statusMap(config: Record<string, unknown>): Record<string, MappedStatus> {
  const given = stringRecord(config, 'statusMap');
  if (!given) {
    return { ...DEFAULT_STATUS_MAP };
  }
  const out: Record<string, MappedStatus> = {};
  for (const [k, v] of Object.entries(given)) {
    if (!['sent', 'delivered', 'failed', 'ignored'].includes(v)) {
      throw new Error(`config.statusMap["${k}"] must be sent, delivered, failed or ignored.`);
    }
    out[k.toLowerCase()] = v as MappedStatus;
  }
  return out;
}

/** The URL template with sample values, as a URL (for its scheme and host). */
export function sampleUrl(template: string): URL {
  return new URL(fillTemplate(template, SAMPLE_VALUES, encodeURIComponent));
}

export function readHttpConfig(config: Record<string, unknown>): HttpConfig {
  refuseUnknown(config, KNOWN_FIELDS, 'an http gateway');
  const url = optionalText(config, 'url', 4000);
  if (!url) {
    throw new Error('config.url is required: the address to call for each message, with placeholders such as {to} and {text}.');
  }
  checkTemplate(url, 'config.url');
  let sample: URL;
  try {
    sample = sampleUrl(url);
  } catch {
    throw new Error('config.url must be an http(s) URL such as http://kannel:13013/cgi-bin/sendsms?to={to}&text={text}.');
  }
  if (sample.protocol !== 'http:' && sample.protocol !== 'https:') {
    throw new Error('config.url must be an http(s) URL.');
  }
  const method = oneOf(config, 'method', ['GET', 'POST'] as const, 'GET');
  const body = stringRecord(config, 'body') ?? { to: '{to}', text: '{text}' };
  if (config.body !== undefined && config.body !== null && config.body !== '' && method === 'GET') {
    throw new Error('config.body is only sent with method POST.');
  }
  for (const [k, v] of Object.entries(body)) {
    checkTemplate(v, `config.body.${k}`);
  }
  const headers = stringRecord(config, 'headers') ?? {};
  for (const [k, v] of Object.entries(headers)) {
    if (!/^[A-Za-z0-9-]+$/.test(k) || /[\r\n]/.test(v)) {
      throw new Error(`config.headers: "${k}" must be a header name (letters, digits, dashes) with a one-line value.`);
    }
    checkTemplate(v, `config.headers.${k}`);
  }
  const success = successTest(config);
  const field = (key: string, fallback: string) => optionalText(config, key, 100) ?? fallback;
  return {
    url,
    method,
    bodyFormat: oneOf(config, 'bodyFormat', ['form', 'json'] as const, 'form'),
    body,
    headers,
    from: optionalText(config, 'from', 50) ?? '',
    successStatuses: success.text,
    isSuccess: success.test,
    successPattern: pattern(config, 'successPattern'),
    messageIdPattern: pattern(config, 'messageIdPattern'),
    messageIdPath: optionalText(config, 'messageIdPath', 200),
    timeoutMs: timeoutOf(config),
    inboundFromField: field('inboundFromField', 'from'),
    inboundTextField: field('inboundTextField', 'text'),
    inboundIdField: field('inboundIdField', 'id'),
    webhookSecret: optionalText(config, 'webhookSecret', 500),
    webhookSecretHeader: field('webhookSecretHeader', 'X-Webhook-Secret'),
    webhookSecretField: field('webhookSecretField', 'secret'),
    statusIdField: field('statusIdField', 'id'),
    statusField: field('statusField', 'status'),
    statusReasonField: optionalText(config, 'statusReasonField', 100),
    statusMap: statusMap(config),
  };
}

/** Validates; keeps the fields given (trimmed, objects parsed from JSON text), defaults not stored. */
export function normaliseHttpConfig(config: Record<string, unknown>): Record<string, unknown> {
  const cfg = readHttpConfig(config);
  const out: Record<string, unknown> = {};
  for (const key of KNOWN_FIELDS) {
    const v = config[key];
    if (v === undefined || v === null || v === '') {
      continue;
    }
    if (key === 'body' || key === 'headers') {
      out[key] = cfg[key];
    } else if (key === 'statusMap') {
      out[key] = stringRecord(config, key);
    } else if (key === 'method') {
      out[key] = cfg.method;
    } else if (key === 'successStatuses') {
      out[key] = cfg.successStatuses;
    } else if (key === 'timeoutMs') {
      out[key] = cfg.timeoutMs;
    } else {
      out[key] = typeof v === 'string' ? v.trim() : v;
    }
  }
  return out;
}
