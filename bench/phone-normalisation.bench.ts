/**
 * Phone normalisation on one core (parsePhoneNumber, default country KE) over a realistic mix of
 * 20,000 distinct inputs: international digits, E.164 with punctuation, national numbers, spreadsheet
 * forms and invalid ones. Median of 5 timed passes after a warm-up pass; per-kind rates in the note.
 */
import { parsePhoneNumber } from '../src/domain/phone-number.ts';
import { type PhoneInput, type PhoneInputKind, phoneInputs } from './support/phone-inputs.ts';
import type { BenchResult } from './support/result.ts';

const TARGET = 50_000;

function timePass(inputs: PhoneInput[]): { seconds: number; valid: number } {
  let valid = 0;
  const start = performance.now();
  for (const input of inputs) {
    if (parsePhoneNumber(input.raw, { defaultCountry: 'KE' }).kind === 'valid') {
      valid++;
    }
  }
  return { seconds: (performance.now() - start) / 1000, valid };
}

/** The median rate over several timed passes. */
function medianRate(inputs: PhoneInput[], passes: number): { rate: number; valid: number } {
  const times: number[] = [];
  let valid = 0;
  for (let i = 0; i < passes; i++) {
    const pass = timePass(inputs);
    times.push(pass.seconds);
    valid = pass.valid;
  }
  times.sort((a, b) => a - b);
  return { rate: inputs.length / (times[Math.floor(times.length / 2)] ?? Infinity), valid };
}

export function benchPhoneNormalisation(): BenchResult[] {
  const inputs = phoneInputs(20_000);
  timePass(inputs); // warm-up: metadata, regexes, JIT
  const all = medianRate(inputs, 5);
  const kinds = [...new Set(inputs.map((i) => i.kind))].sort() as PhoneInputKind[];
  const perKind = kinds.map((kind) => {
    const subset = inputs.filter((i) => i.kind === kind);
    return `${kind} ${Math.round(medianRate(subset, 3).rate / 1000)}k/s`;
  });
  return [
    {
      figure: 'Phone normalisation, one core, mixed inputs (default country KE)',
      target: `>= ${TARGET.toLocaleString('en')} numbers/s`,
      measured: `${Math.round(all.rate).toLocaleString('en')} numbers/s`,
      pass: all.rate >= TARGET,
      note: `median of 5 passes over ${inputs.length.toLocaleString('en')} distinct inputs, ${all.valid.toLocaleString('en')} valid; ${perKind.join(', ')}`,
    },
  ];
}
