/**
 * @module providers/vendor-text — what is kept of a vendor's words: secrets replaced, one line,
 * cut to a length fit for errorDetail; the vendor's own message fields picked out of an answer
 * (never its raw body); and the one constant-time comparison of webhook secrets.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Vendor words kept on a message are cut to this length (they end up in errorDetail). */
const MAX_REASON = 500;
/** A message field taken from an answer is cut to this length. */
const MAX_FIELD = 200;

/** Replaces every secret (and its URL-encoded form) with "[redacted]"; redact before clip, so no secret is cut in half. */
export function redact(text: string, secrets: readonly (string | undefined | null)[]): string {
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

/** One line, cut to a length fit for errorDetail. */
export function clip(text: string, max = MAX_REASON): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A short one-line text from a field of a parsed answer, or undefined when it is not text. */
export function shortField(value: unknown): string | undefined {
  if (typeof value === 'number') {
    return String(value);
  }
  if (typeof value !== 'string' || value.trim() === '') {
    return undefined;
  }
  return clip(value, MAX_FIELD);
}

/** Reads a dotted path ("messages.0.id", "$.messages[0].id") out of parsed JSON. */
export function atPath(value: unknown, path: string): unknown {
  const keys = path.replace(/^\$\.?/, '').replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean);
  return keys.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' && Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined), value);
}

/** Compares two secrets in constant time (both are hashed first, so lengths do not leak either). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}
