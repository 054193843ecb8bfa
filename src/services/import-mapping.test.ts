import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkConsentColumn, type CaseDraft } from '../domain/import-row.ts';
import { normaliseHeader, suggestMapping } from './import-mapping.ts';

test('headers are compared without case, accents, spaces, underscores, dashes or a trailing note', () => {
  assert.equal(normaliseHeader('  Numéro_de-Téléphone '), 'numero de telephone');
  assert.equal(normaliseHeader('Opt-in'), 'opt in');
  assert.equal(normaliseHeader('E-mail'), 'e mail');
  assert.equal(normaliseHeader('Phone (with country code)'), 'phone');
  assert.equal(normaliseHeader('contact_phone_number'), 'contact phone number');
});

test('the issue’s headers map to the seed properties, with a reason for each', () => {
  const cases: Array<[string, string]> = [
    ['Phone', 'contact_phone_number'],
    ['Mobile', 'contact_phone_number'],
    ['Tel', 'contact_phone_number'],
    ['Phone number', 'contact_phone_number'],
    ['Numéro', 'contact_phone_number'],
    ['Simu', 'contact_phone_number'],
    ['Consent', 'contact_phone_number_is_verified'],
    ['Opt-in', 'contact_phone_number_is_verified'],
    ['Language', 'language_code'],
    ['Lang', 'language_code'],
    ['Email', 'commcare_email_address'],
    ['Time zone', 'time_zone'],
    ['TZ', 'time_zone'],
    ['Gateway', 'contact_backend_id'],
  ];
  for (const [header, target] of cases) {
    const s = suggestMapping([header], { languages: ['en', 'fr', 'sw'] });
    assert.equal(s.mapping[header], target, header);
    assert.match(s.explanations[header] ?? '', new RegExp(`^'${header}' (looks like .* so it goes to ${target}|is the name of ${target} itself, so it goes there)\\.$`), header);
  }
  assert.match(suggestMapping(['Mobile']).explanations.Mobile ?? '', /'Mobile' looks like a phone number column/);
  assert.match(suggestMapping(['Simu'], { languages: ['sw'] }).explanations.Simu ?? '', /\(Swahili\)/);
});

test('the seed names map to themselves, the case id column is the match column, other headers keep their own property', () => {
  const s = suggestMapping(['Case Name', 'contact_phone_number', 'contact_phone_number_is_verified', 'commcare_email_address', 'case id', 'gender']);
  assert.deepEqual({ ...s.mapping }, {
    'Case Name': 'name',
    contact_phone_number: 'contact_phone_number',
    contact_phone_number_is_verified: 'contact_phone_number_is_verified',
    commcare_email_address: 'commcare_email_address',
    'case id': '',
    gender: 'gender',
  });
  assert.equal(s.matchColumn, 'case id');
  assert.equal(s.matchBy, 'case_id');
  assert.match(s.explanations.contact_phone_number ?? '', /is the name of contact_phone_number itself/);
  assert.match(s.explanations['case id'] ?? '', /case ids/);
  assert.match(s.explanations.gender ?? '', /kept as the case property gender/);
  const ext = suggestMapping(['Name', 'external_id']);
  assert.equal(ext.matchBy, 'external_id');
  assert.equal(ext.matchColumn, 'external_id');
});

test('never two columns to the same property: the best match wins, the other keeps its data and is explained', () => {
  const s = suggestMapping(['Mobile', 'contact_phone_number', 'Simu'], { languages: ['sw'] });
  assert.equal(s.mapping.contact_phone_number, 'contact_phone_number');
  assert.equal(s.mapping.Mobile, 'mobile');
  assert.equal(s.mapping.Simu, 'simu');
  assert.match(s.explanations.Mobile ?? '', /also looks like a phone number column, but 'contact_phone_number' gives contact_phone_number/);
  // A word of the project's languages beats another language's; the first column breaks a tie.
  const sw = suggestMapping(['Portable', 'Simu'], { languages: ['sw'] });
  assert.equal(sw.mapping.Simu, 'contact_phone_number');
  assert.equal(sw.mapping.Portable, 'portable');
  const tie = suggestMapping(['Phone', 'Mobile'], { languages: ['en'] });
  assert.equal(tie.mapping.Phone, 'contact_phone_number');
  assert.equal(tie.mapping.Mobile, 'mobile');
  // A loser whose header is not a valid name still keeps its data, under a plain name.
  const fr = suggestMapping(['Numéro', 'Téléphone'], { languages: ['fr'] });
  assert.equal(fr.mapping['Numéro'], 'contact_phone_number');
  assert.equal(fr.mapping['Téléphone'], 'telephone');
  const values = Object.values(s.mapping).filter(Boolean);
  assert.equal(new Set(values).size, values.length);
});

test('columns named like Object.prototype members are plain keys', () => {
  const s = suggestMapping(['constructor', '__proto__', 'toString']);
  assert.equal(Object.getPrototypeOf(s.mapping), null);
  assert.equal(s.mapping.constructor, 'constructor');
  assert.equal(s.mapping.__proto__, 'proto');
});

test('mobile workers: their own fields', () => {
  const s = suggestMapping(['username', 'phone numbers', 'language', 'time zone', 'email', 'Simu'], { target: 'mobile-workers' });
  assert.deepEqual({ ...s.mapping }, { username: 'username', 'phone numbers': 'phone_numbers', language: 'language', 'time zone': 'time_zone', email: 'email', Simu: '' });
  assert.match(s.explanations.Simu ?? '', /also looks like a phone number column/);
});

function draft(row: number, value: string | null | undefined): CaseDraft {
  return { row, key: null, duplicateOf: null, name: 'x', externalId: null, ownerId: null, properties: value === undefined ? {} : { contact_phone_number_is_verified: value }, problems: [] };
}

test('consent words: counted, converted only when confirmed, anything else a row problem', () => {
  const rows = () => [draft(2, 'yes'), draft(3, 'YES'), draft(4, 'hapana'), draft(5, '1'), draft(6, 'false'), draft(7, undefined), draft(8, null)];
  const plain = rows();
  const r = checkConsentColumn(plain, 'contact_phone_number_is_verified', 'Opt-in', false);
  assert.deepEqual(r.values, [
    { value: 'yes', count: 2, becomes: '1' },
    { value: 'hapana', count: 1, becomes: '0' },
  ]);
  assert.equal(r.wordsOnly, true);
  assert.equal(plain[0]?.properties.contact_phone_number_is_verified, 'yes');
  assert.deepEqual(plain.flatMap((d) => d.problems.map((p) => [p.row, p.column, p.code])), [
    [2, 'Opt-in', 'IMPORT_CONSENT_VALUE'],
    [3, 'Opt-in', 'IMPORT_CONSENT_VALUE'],
    [4, 'Opt-in', 'IMPORT_CONSENT_VALUE'],
  ]);
  const confirmed = rows();
  checkConsentColumn(confirmed, 'contact_phone_number_is_verified', 'Opt-in', true);
  assert.deepEqual(confirmed.map((d) => d.properties.contact_phone_number_is_verified), ['1', '1', '0', '1', 'false', undefined, null]);
  assert.equal(confirmed.flatMap((d) => d.problems).length, 0);
  const mixed = [draft(2, 'oui'), draft(3, 'peut-être')];
  const m = checkConsentColumn(mixed, 'contact_phone_number_is_verified', 'Consent', true);
  assert.equal(m.wordsOnly, false);
  assert.equal(mixed[0]?.properties.contact_phone_number_is_verified, '1');
  assert.deepEqual(mixed.flatMap((d) => d.problems.map((p) => p.row)), [3]);
});
