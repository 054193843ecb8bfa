import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parsePhoneNumber, spreadsheetDigits } from './phone-number.ts';

function e164(raw: unknown, options: Parameters<typeof parsePhoneNumber>[1] = {}): string | null {
  const r = parsePhoneNumber(raw, options);
  return r.kind === 'valid' ? r.e164 : null;
}

test('digits with the country code first and no + are read as international (seed examples)', () => {
  assert.equal(e164('919812345678'), '+919812345678');
  assert.equal(e164('12068130912'), '+12068130912');
  assert.equal(e164('+1 (206) 813-0912'), '+12068130912');
  assert.equal(e164(' 1.206.813.0912 '), '+12068130912');
  assert.equal(e164('0012068130912'), '+12068130912');
  const r = parsePhoneNumber('919812345678');
  assert.equal(r.kind === 'valid' && r.reading, 'international');
});

test('the seeds 15551234567 is rejected in strict mode with the reason, accepted in possible mode', () => {
  const strict = parsePhoneNumber('15551234567');
  assert.equal(strict.kind, 'invalid');
  assert.equal(strict.kind === 'invalid' && strict.reason, 'NOT_IN_USE');
  assert.match(strict.kind === 'invalid' ? strict.message : '', /not a number in use/);
  assert.equal(e164('15551234567', { validation: 'possible' }), '+15551234567');
});

test('national numbers use the default country; a trunk 0 means national', () => {
  assert.equal(e164('0712 345 678', { defaultCountry: 'KE' }), '+254712345678');
  const r = parsePhoneNumber('0712345678', { defaultCountry: 'KE' });
  assert.equal(r.kind === 'valid' && r.reading, 'national');
  assert.equal(e164('712345678', { defaultCountry: 'KE' }), '+254712345678');
  const noCountry = parsePhoneNumber('0712345678');
  assert.equal(noCountry.kind === 'invalid' && noCountry.reason, 'NO_COUNTRY');
});

test('international reading wins over national when both are valid', () => {
  // 254712345678 is a valid Kenyan number in international form.
  assert.equal(e164('254712345678', { defaultCountry: 'US' }), '+254712345678');
});

test('"0", blank and absent mean no number', () => {
  for (const raw of ['0', '', '   ', null, undefined]) {
    assert.equal(parsePhoneNumber(raw).kind, 'none');
  }
});

test('letters and short numbers are invalid with a reason', () => {
  const flowers = parsePhoneNumber('1-800-FLOWERS');
  assert.equal(flowers.kind === 'invalid' && flowers.reason, 'HAS_LETTERS');
  const short = parsePhoneNumber('12345');
  assert.equal(short.kind, 'invalid');
  assert.equal(parsePhoneNumber('++1555').kind, 'invalid');
  assert.equal(parsePhoneNumber('12#34').kind, 'invalid');
});

test('spreadsheet numbers keep every digit', () => {
  assert.equal(e164(12068130912), '+12068130912');
  assert.equal(e164('1.2068130912E10'), '+12068130912');
  assert.equal(e164('2.54712345678E11'), '+254712345678');
  assert.equal(e164('12068130912.0'), '+12068130912');
  assert.equal(spreadsheetDigits('1.5E1'), '15');
  assert.equal(spreadsheetDigits('1.25E1'), null);
  assert.equal(parsePhoneNumber(1.5).kind, 'invalid');
});

test('never throws on odd input', () => {
  for (const raw of [{}, [], true, NaN, -1, 'x'.repeat(10_000), '\u0000', '+', '00', '(((', '٠٧١٢٣٤٥٦٧٨']) {
    assert.doesNotThrow(() => parsePhoneNumber(raw as unknown, { defaultCountry: 'KE' }));
  }
});

test('a result is stable: its E.164 form reads back as itself (a trunk 0 is dropped once, never twice)', () => {
  assert.equal(e164('630021239398047', { validation: 'possible' }), null);
  assert.equal(e164('+63 (0) 2 8123 4567'), '+63281234567');
  // Italian numbers keep their leading 0 after the country code.
  assert.equal(e164('+39 06 1234 5678'), '+390612345678');
  assert.equal(e164('+390612345678'), '+390612345678');
});
