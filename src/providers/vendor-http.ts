/**
 * @module providers/vendor-http — small helpers the HTTP vendor providers share: one request with a
 * timeout whose outcome is sorted into answered / unreachable, Retry-After, config field readers,
 * a constant-time compare, redaction of secrets from vendor words, and a bounded parallel map.
 * Nothing here knows a particular vendor.
 */
import { timingSafeEqual } from 'node:crypto';

/** Default time to wait for a vendor's answer, in ms (Default: 15 s). */
export const DEFAULT_TIMEOUT_MS = 15_000;

export type VendorReply =
  | { kind: 'answered'; status: number; headers: Headers; body: unknown; text: string }
  | { kind: 'unreachable'; reason: string };

/** Sends one request; never throws. The body is parsed as JSON when it is JSON. */
export async function callVendor(url: string, init: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number }): Promise<VendorReply> {
  try {
    const res = await fetch(url, { method: init.method, headers: init.headers, body: init.body ?? null, signal: AbortSignal.timeout(init.timeoutMs), redirect: 'manual' });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    return { kind: 'answered', status: res.status, headers: res.headers, body, text };
  } catch (raw) {
    const err = raw as Error & { cause?: { code?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') {
      return { kind: 'unreachable', reason: `no answer within ${init.timeoutMs} ms` };
    }
    // fetch's own message is "fetch failed"; the cause names the network error (ECONNREFUSED …).
    return { kind: 'unreachable', reason: err.cause?.code ?? err.message };
  }
}

/** Retry-After (seconds or an HTTP date) in ms; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const raw = headers.get('retry-after');
  if (!raw) {
    return undefined;
  }
  if (/^\d+$/.test(raw.trim())) {
    return Number(raw.trim()) * 1000;
  }
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** Equal strings in time independent of where they differ (lengths may leak, contents do not). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Replaces every secret value in vendor words (some vendors echo what they were sent). */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) {
      out = out.split(s).join('[redacted]');
    }
  }
  return out;
}

/** Maps with at most `limit` calls in flight, keeping order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
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

/** Reads a flat config object field by field, collecting the keys it saw to refuse unknown ones. */
export class ConfigReader {
  private readonly seen = new Set<string>();
  constructor(
    private readonly config: Record<string, unknown>,
    private readonly vendor: string,
  ) {}

  /** A text field; blank counts as absent. `pattern` says what it must look like. */
  text(key: string, opts: { required: boolean; pattern?: RegExp; hint?: string; max?: number }): string | undefined {
    this.seen.add(key);
    const raw = this.config[key];
    if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
      if (opts.required) {
        throw new Error(`${this.vendor} config: ${key} is required${opts.hint ? ` (${opts.hint})` : ''}.`);
      }
      return undefined;
    }
    if (typeof raw !== 'string') {
      throw new Error(`${this.vendor} config: ${key} must be text.`);
    }
    const value = raw.trim();
    if (value.length > (opts.max ?? 500) || (opts.pattern && !opts.pattern.test(value))) {
      throw new Error(`${this.vendor} config: ${key} is not valid${opts.hint ? `; ${opts.hint}` : ''}.`);
    }
    return value;
  }

  /** An http(s) URL without credentials in it; trailing slashes are dropped. */
  url(key: string, fallback: string): string {
    const value = this.text(key, { required: false, max: 2000 });
    if (value === undefined) {
      return fallback;
    }
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      throw new Error(`${this.vendor} config: ${key} must be an http(s) URL such as ${fallback}.`);
    }
    if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.username || u.password || u.search || u.hash) {
      throw new Error(`${this.vendor} config: ${key} must be an http(s) URL such as ${fallback}, without credentials, query or fragment.`);
    }
    return value.replace(/\/+$/, '');
  }

  /** A whole number (a JSON number or digits as text, as forms send them). */
  integer(key: string, opts: { min: number; max: number; fallback: number }): number {
    this.seen.add(key);
    const raw = this.config[key];
    if (raw === undefined || raw === null || raw === '') {
      return opts.fallback;
    }
    const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < opts.min || n > opts.max) {
      throw new Error(`${this.vendor} config: ${key} must be a whole number from ${opts.min} to ${opts.max}.`);
    }
    return n;
  }

  /** Throws when the config holds keys no reader asked for. */
  refuseUnknown(): void {
    const unknown = Object.keys(this.config).filter((k) => !this.seen.has(k));
    if (unknown.length) {
      throw new Error(`Unknown config field for a ${this.vendor} gateway: ${unknown.join(', ')}. Known fields: ${[...this.seen].join(', ')}.`);
    }
  }
}

/** A form field as the HTTP layer parsed it: the first value of a repeated field, else the text. */
export function formField(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (Array.isArray(v)) {
    return typeof v[0] === 'string' ? v[0] : undefined;
  }
  return typeof v === 'string' ? v : undefined;
}

/** The parsed body as a plain object of form fields, or null when it is not one. */
export function formBody(body: unknown): Record<string, unknown> | null {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}
