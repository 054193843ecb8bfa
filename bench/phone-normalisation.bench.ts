/**
 * Phone normalisation on one core: a realistic mix of inputs (international digits, E.164 with
 * punctuation, national numbers with a default country, spreadsheet forms, invalid ones).
 */
import { parsePhoneNumber } from '../src/domain/phone-number.ts';
import type { BenchResult } from './support/result.ts';

const inputs = [
  '919812345678',
  '12068130912',
  '+1 (206) 813-0912',
  '0712 345 678',
  '+254 712-345-678',
  '2.54712345678E11',
  '447946001800',
  '07946001800',
  '1-800-FLOWERS',
  '12345',
  '15551234567',
  '0044 7946 001800',
];

export function benchPhoneNormalisation(): BenchResult[] {
  const rounds = 20_000;
  // Warm up the metadata and the JIT.
  for (let i = 0; i < 5_000; i++) {
    parsePhoneNumber(inputs[i % inputs.length], { defaultCountry: 'KE' });
  }
  const start = performance.now();
  let valid = 0;
  for (let i = 0; i < rounds; i++) {
    for (const raw of inputs) {
      if (parsePhoneNumber(raw, { defaultCountry: i % 2 ? 'KE' : 'GB' }).kind === 'valid') {
        valid++;
      }
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const perSecond = (rounds * inputs.length) / seconds;
  return [{ figure: 'Phone normalisation (one core, mixed inputs)', target: '>= 50,000 numbers/s', measured: `${Math.round(perSecond).toLocaleString('en')} numbers/s`, pass: perSecond >= 50_000, note: `${valid} valid of ${rounds * inputs.length}` }];
}
