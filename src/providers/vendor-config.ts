/**
 * @module providers/vendor-config — reading a vendor gateway's config: a reader that collects the
 * keys it saw (to refuse unknown ones) and plain functions for the same checks; both throw a plain
 * message naming the field. Destination hosts are checked against the host policy at save time
 * only when they are literal addresses (checkDestination); the send-time check is the authority.
 */
import { type HostPolicy, literalHostRefusal } from './outbound-hosts.ts';
import { DEFAULT_TIMEOUT_MS } from './vendor-http.ts';

/** Throws, naming the field, when a URL's or host's literal address is refused by the policy. */
export function checkDestination(policy: HostPolicy, field: string, urlOrHost: string): void {
  let host = urlOrHost;
  try {
    host = new URL(urlOrHost).hostname;
  } catch {
    // a bare host name (SMTP)
  }
  const refused = literalHostRefusal(policy, host);
  if (refused) {
    throw new Error(`config.${field}: ${refused.message}`);
  }
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
