/**
 * @module domain/sms-segments — how long an SMS is on the air: GSM-7 when every character is in the
 * GSM 03.38 basic table or its extension table (an extension character such as € or { takes two
 * septets), UCS-2 otherwise. One segment holds 160 septets (GSM-7) or 70 UTF-16 code units (UCS-2);
 * a longer message is split into parts of 153 or 67 (the rest is the concatenation header). An
 * escape pair and a surrogate pair (an emoji) are never split across two parts, so a part may hold
 * one unit less than the maximum.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsLength {
  encoding: SmsEncoding;
  /** Units counted against the limit: septets for GSM-7 (extension characters count 2), UTF-16 code units for UCS-2. */
  characters: number;
  /** Parts the message is sent as (0 for an empty message). */
  segments: number;
  /** Units one part holds for this message: 160 / 153 (GSM-7) or 70 / 67 (UCS-2). */
  perSegment: number;
}

/** The GSM 03.38 basic character set (the escape code 0x1B itself left out). */
const GSM_BASIC = new Set(
  Array.from(
    '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
  ),
);

/** The extension table: each is sent as ESC + a character, two septets. */
const GSM_EXTENSION = new Set(Array.from('\f^{}\\[~]|€'));

const LIMITS = {
  'GSM-7': { single: 160, multi: 153 },
  'UCS-2': { single: 70, multi: 67 },
} as const;

/** Units of each character (code point) of the text in the encoding. */
function units(text: string): { encoding: SmsEncoding; sizes: number[] } {
  const chars = Array.from(text);
  if (chars.every((c) => GSM_BASIC.has(c) || GSM_EXTENSION.has(c))) {
    return { encoding: 'GSM-7', sizes: chars.map((c) => (GSM_EXTENSION.has(c) ? 2 : 1)) };
  }
  // A code point above U+FFFF is a surrogate pair: two UTF-16 code units.
  return { encoding: 'UCS-2', sizes: chars.map((c) => c.length) };
}

/** Packs the characters into parts of `size` units without splitting one. */
function countParts(sizes: readonly number[], size: number): number {
  let parts = 1;
  let used = 0;
  for (const s of sizes) {
    if (used + s > size) {
      parts++;
      used = 0;
    }
    used += s;
  }
  return parts;
}

/** The encoding, length and number of parts of an SMS text. */
export function smsLength(text: string): SmsLength {
  const { encoding, sizes } = units(text);
  const characters = sizes.reduce((a, b) => a + b, 0);
  const limit = LIMITS[encoding];
  if (characters === 0) {
    return { encoding, characters, segments: 0, perSegment: limit.single };
  }
  if (characters <= limit.single) {
    return { encoding, characters, segments: 1, perSegment: limit.single };
  }
  return { encoding, characters, segments: countParts(sizes, limit.multi), perSegment: limit.multi };
}

/** The characters that force UCS-2 (each once, in order of appearance); empty for a GSM-7 text. */
export function nonGsmCharacters(text: string): string[] {
  const out: string[] = [];
  for (const c of Array.from(text)) {
    if (!GSM_BASIC.has(c) && !GSM_EXTENSION.has(c) && !out.includes(c)) {
      out.push(c);
    }
  }
  return out;
}
