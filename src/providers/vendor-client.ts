/**
 * @module providers/vendor-client — what the HTTP-based providers share: a fetch with a timeout that
 * turns network failures into retryable outcomes, the HTTP-status classification (429 and 5xx
 * retryable, other 4xx permanent), Retry-After parsing, credential redaction of vendor text, a
 * constant-time secret comparison for webhooks, and a small concurrency pool for per-message calls.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import type { SendOutcome } from './provider.ts';

/** Vendor calls give up after this long unless the gateway config says otherwise (Default: 15 s). */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** Vendor words kept on a message are cut to this length (they end up in errorDetail). */
const MAX_REASON = 500;

export type VendorResponse = { ok: true; status: number; headers: Headers; body: string } | { ok: false; outcome: SendOutcome };

/**
 * Calls a vendor. Network errors and timeouts come back as retryable outcomes whose reason names
 * the error kind only (never the URL, which may carry credentials in its query).
 */
export async function callVendor(url: string, init: RequestInit, timeoutMs: number): Promise<VendorResponse> {
  try {
    const res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    return { ok: true, status: res.status, headers: res.headers, body: await res.text() };
  } catch (err) {
    // The cause's code or message names host and port at most, never the path or query.
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const kind = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `network error: ${e.cause?.code ?? e.cause?.message ?? e.name}`;
    return { ok: false, outcome: { ok: false, retryable: true, reason: `The gateway could not be reached (${kind}).` } };
  }
}

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: Date = new Date()): number | undefined {
  if (!value) {
    return undefined;
  }
  if (/^\d+$/.test(value.trim())) {
    return Number(value.trim()) * 1000;
  }
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/**
 * The outcome for an HTTP failure: 408, 429 (honouring Retry-After) and 5xx are retryable; any other
 * status (bad credentials 401/403, bad request 400, …) is permanent.
 */
export function httpFailure(status: number, headers: Headers, reason: string): SendOutcome {
  const retryable = status === 408 || status === 429 || status >= 500;
  const after = status === 429 || status === 503 ? retryAfterMs(headers.get('retry-after')) : undefined;
  return { ok: false, retryable, reason: clip(reason), ...(after === undefined ? {} : { retryAfterMs: after }) };
}

/** Cuts vendor text to a length fit for errorDetail. */
export function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_REASON ? `${flat.slice(0, MAX_REASON - 1)}…` : flat;
}

/** Replaces every occurrence of the given secrets (and their URL-encoded forms) with "[redacted]"; redact before clip, so no secret is cut in half. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) {
      for (const form of new Set([s, encodeURIComponent(s)])) {
        out = out.split(form).join('[redacted]');
      }
    }
  }
  return out;
}

/** Compares two secrets in constant time (both are hashed first, so lengths do not leak either). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/** One header's value (the first when repeated). */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Per-message vendor calls made at once by the providers that call once per message. */
export const VENDOR_CALLS_AT_ONCE = 4;

/** Runs `fn` over `items` with at most `limit` calls at a time, keeping the order of results. */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The body of a form or JSON webhook as a flat record of strings (non-string values dropped). */
export function stringFields(body: unknown): Record<string, string> | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return null;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string') {
      out[k] = v;
    } else if (typeof v === 'number') {
      out[k] = String(v);
    } else if (Array.isArray(v) && typeof v[0] === 'string') {
      out[k] = v[0];
    }
  }
  return out;
}

/** Config helpers shared by validateConfig implementations: they throw a plain message. */
export function optionalText(config: Record<string, unknown>, key: string, max = 500): string | undefined {
  const v = config[key];
  if (v === undefined || v === null || v === '') {
    return undefined;
  }
  if (typeof v !== 'string' || v.trim() === '' || v.length > max) {
    throw new Error(`config.${key} must be text of up to ${max} characters.`);
  }
  return v.trim();
}

export function requiredText(config: Record<string, unknown>, key: string, what: string, max = 500): string {
  const v = optionalText(config, key, max);
  if (v === undefined) {
    throw new Error(`config.${key} is required: ${what}.`);
  }
  return v;
}

export function optionalHttpUrl(config: Record<string, unknown>, key: string): string | undefined {
  const v = optionalText(config, key, 2000);
  if (v === undefined) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new Error(`config.${key} must be an http(s) URL such as https://api.example.com.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`config.${key} must be an http(s) URL such as https://api.example.com.`);
  }
  return v.replace(/\/+$/, '');
}

/** timeoutMs: whole milliseconds from 100 to 120000 (Default: 15000). Accepts a number or digits. */
export function timeoutOf(config: Record<string, unknown>): number {
  const v = config.timeoutMs;
  if (v === undefined || v === null || v === '') {
    return DEFAULT_TIMEOUT_MS;
  }
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (!Number.isInteger(n) || (n as number) < 100 || (n as number) > 120_000) {
    throw new Error('config.timeoutMs must be a whole number of milliseconds from 100 to 120000.');
  }
  return n as number;
}

export function refuseUnknown(config: Record<string, unknown>, known: readonly string[], typeLabel: string): void {
  const unknown = Object.keys(config).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new Error(`Unknown config field for ${typeLabel}: ${unknown.join(', ')}. Known fields: ${known.join(', ')}.`);
  }
}
