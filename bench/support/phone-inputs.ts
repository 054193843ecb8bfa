/**
 * A realistic, reproducible mix of phone inputs as people type them or spreadsheets hold them, for a
 * project whose default country is Kenya: international digits without '+', E.164 with punctuation,
 * national numbers with the trunk 0, spreadsheet forms, and invalid ones.
 */

export type PhoneInputKind = 'international-digits' | 'e164-punctuated' | 'national-KE' | 'spreadsheet' | 'invalid';

export interface PhoneInput {
  kind: PhoneInputKind;
  raw: string;
}

/** A small deterministic PRNG (mulberry32), so every run parses the same inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mobile numbers as country code + national significant number, all valid in libphonenumber's metadata. */
const INTERNATIONAL: Array<(d: (n: number) => string) => string> = [
  (d) => `2547${d(8)}`, // Kenya
  (d) => `2567${d(8)}`.replace(/^2567[0-9]/, '25677'), // Uganda, MTN 077x
  (d) => `2557${d(8)}`.replace(/^2557[0-9]/, '25575'), // Tanzania
  (d) => `2348${d(9)}`.replace(/^2348[0-9]/, '23480'), // Nigeria 080x
  (d) => `9198${d(8)}`, // India
  (d) => `447${d(9)}`.replace(/^447[0-9]/, '4479'), // UK mobile 079x
  (d) => `1206${d(7)}`.replace(/^1206[01]/, '12068'), // US, Seattle
];

const INVALID: Array<(d: (n: number) => string) => string> = [
  (d) => `07${d(3)}`, // too short
  (d) => `07${d(9)}`, // too long for Kenya
  (d) => `+999 ${d(3)} ${d(4)}`, // unknown country code
  (d) => `07${d(2)}-ABC-${d(3)}`, // letters
  (d) => `1-800-FLOWERS`.replace('800', d(3)),
  (d) => `+254 1${d(1)}`, // too short after the country code
  (d) => `07${d(2)} ${d(3)} ${d(3)} ext`, // letters at the end
  (d) => `0712#${d(6)}`, // bad characters
];

function punctuate(digits: string, r: () => number): string {
  const styles = [
    (s: string) => `${s.slice(0, 3)} ${s.slice(3, 6)} ${s.slice(6)}`,
    (s: string) => `${s.slice(0, 3)}-${s.slice(3, 6)}-${s.slice(6)}`,
    (s: string) => `(${s.slice(0, 3)}) ${s.slice(3, 6)}.${s.slice(6)}`,
    (s: string) => s,
  ];
  return styles[Math.floor(r() * styles.length)]!(digits);
}

export function phoneInputs(count: number, seed = 42): PhoneInput[] {
  const r = prng(seed);
  const d = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) {
      s += String(Math.floor(r() * 10));
    }
    return s;
  };
  const pick = <T>(list: T[]): T => list[Math.floor(r() * list.length)]!;
  const out: PhoneInput[] = [];
  for (let i = 0; i < count; i++) {
    const roll = r();
    if (roll < 0.3) {
      out.push({ kind: 'international-digits', raw: pick(INTERNATIONAL)(d) });
    } else if (roll < 0.55) {
      const full = pick(INTERNATIONAL)(d);
      const cc = full.startsWith('1') ? 1 : full.startsWith('44') || full.startsWith('91') ? 2 : 3;
      out.push({ kind: 'e164-punctuated', raw: `+${full.slice(0, cc)} ${punctuate(full.slice(cc), r)}` });
    } else if (roll < 0.8) {
      out.push({ kind: 'national-KE', raw: punctuate(`07${d(8)}`, r) });
    } else if (roll < 0.85) {
      out.push({ kind: 'spreadsheet', raw: r() < 0.5 ? `2.547${d(8)}E11` : `2547${d(8)}.0` });
    } else {
      out.push({ kind: 'invalid', raw: pick(INVALID)(d) });
    }
  }
  return out;
}
