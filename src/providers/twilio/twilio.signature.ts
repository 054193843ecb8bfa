/**
 * @module providers/twilio/twilio.signature — X-Twilio-Signature as Twilio documents it
 * (https://www.twilio.com/docs/usage/webhooks/webhooks-security): HMAC-SHA1, keyed with the
 * account's Auth Token, over the full URL Twilio called (scheme, host, path and query exactly as
 * configured) followed by every POST parameter sorted by name, each written as name + value with no
 * separators; base64. A repeated parameter contributes name + value once per value, values sorted
 * (as Twilio's helper libraries do).
 */
import { createHmac } from 'node:crypto';

import { secretsEqual } from '../vendor-text.ts';

export function twilioSignature(authToken: string, url: string, params: Record<string, unknown>): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const raw = params[key];
    const values = Array.isArray(raw) ? raw.map(String).sort() : [raw === undefined || raw === null ? '' : String(raw)];
    for (const v of values) {
      data += key + v;
    }
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

/**
 * The URL as Twilio may have signed it: as given, and with the default port added or removed
 * (Twilio keeps whatever the configured webhook URL says; proxies may add or drop `:443`).
 */
function urlVariants(url: string): string[] {
  const out = [url];
  try {
    const u = new URL(url);
    const defaultPort = u.protocol === 'https:' ? '443' : '80';
    const hostStart = url.indexOf('//') + 2;
    const pathStart = url.indexOf('/', hostStart);
    const authority = pathStart === -1 ? url.slice(hostStart) : url.slice(hostStart, pathStart);
    const rest = pathStart === -1 ? '' : url.slice(pathStart);
    const prefix = url.slice(0, hostStart);
    if (authority.endsWith(`:${defaultPort}`)) {
      out.push(prefix + authority.slice(0, -(defaultPort.length + 1)) + rest);
    } else if (!/:\d+$/.test(authority)) {
      out.push(`${prefix}${authority}:${defaultPort}${rest}`);
    }
  } catch {
    // Not a URL: only the exact text can match.
  }
  return out;
}

/** True when the header matches the signature of this URL and these parameters. */
export function isValidTwilioSignature(authToken: string, header: string | undefined, url: string, params: Record<string, unknown>): boolean {
  if (!header || !authToken) {
    return false;
  }
  return urlVariants(url).some((u) => secretsEqual(twilioSignature(authToken, u, params), header));
}
