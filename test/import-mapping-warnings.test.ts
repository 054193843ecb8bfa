/**
 * The import wizard cannot silently drop data (issue 24, items 10 and 11), through the real HTTP
 * API, the UI's forms and the real job queue, on PGlite or PostgreSQL (ROLLCALL_TEST_DATABASE_URL):
 *   - headers in the project's languages are suggested as the seed properties, each with the reason;
 *   - a dry run with no column giving a phone number or email says these contacts cannot be reached;
 *   - a consent column holding yes/no words is reported (values with counts, each row a problem),
 *     and the words are read as 1/0 only when the run asks for it (`consentWords: true`);
 *   - invalid phone numbers are listed by row, value and reason, also on rows that fail otherwise;
 *   - the mapping, case type and consent choice survive leaving the page and coming back;
 *   - the mapping form's problems name the fields by their labels.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { csv, type Cell } from './support/import-files.ts';
import { uploadImport } from './support/running-import.ts';
import { createTestApp, type TestApp, waitFinished } from './support/test-app.ts';
import { type UiSession, uiSession } from './support/ui-session.ts';

type Json = Record<string, any>;
let t: TestApp;
let ui: UiSession;

before(async () => {
  t = await createTestApp({ jobs: true, importChunkRows: 2 });
  await t.createProject('words', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi', languages: ['en', 'sw', 'fr'], defaultLanguage: 'en' });
  ui = await uiSession(t);
});
after(() => t.close());

const HEADER: Cell[] = ['Name', 'Mobile', 'Opt-in', 'Lang'];

function upload(name: string, rows: Cell[][]): Promise<Json> {
  return uploadImport(t, 'words', name, csv(rows));
}

async function dryRun(id: string, body: Json): Promise<Json> {
  const res = await t.request('POST', `/api/v1/projects/words/imports/${id}/run`, { body: { ...body, dryRun: true } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

async function runToEnd(id: string, body: Json): Promise<Json> {
  const res = await t.request('POST', `/api/v1/projects/words/imports/${id}/run`, { body });
  assert.equal(res.statusCode, 202, res.body);
  return waitFinished(t, `/api/v1/projects/words/imports/${id}`, 60_000, 50);
}

async function casesByName(caseType: string): Promise<Record<string, Json>> {
  const items = (await t.request('GET', `/api/v1/projects/words/cases?limit=500&caseType=${caseType}`)).json().items as Json[];
  return Object.fromEntries(items.filter((c) => c.caseType === caseType).map((c) => [c.name, c]));
}

/** The value of the option marked selected in the select with this id ('' when none is). */
function selected(html: string, id: string): string {
  const select = new RegExp(`<select[^>]*id="${id}"[^>]*>([\\s\\S]*?)</select>`).exec(html)?.[1];
  assert.ok(select !== undefined, `a select #${id}`);
  return /<option value="([^"]*)" selected/.exec(select)?.[1] ?? '';
}

function inputValue(html: string, id: string): string {
  const input = new RegExp(`<input[^>]*id="${id}"[^>]*>`).exec(html)?.[0];
  assert.ok(input, `an input #${id}`);
  return /value="([^"]*)"/.exec(input)?.[1] ?? '';
}

const ROWS: Cell[][] = [
  HEADER,
  ['Amina', '0712345601', 'yes', 'sw'],
  ['Baraka', '0712345602', 'No', 'en'],
  ['Chebet', '0712345603', 'oui', 'fr'],
  ['Daudi', '0712345604', 'ndiyo', 'sw'],
  ['Eshe', '0712345605', 'hapana', 'sw'],
  ['Fumo', '0712345606', '', 'en'],
];

describe('item 10: suggestions from the headers, with their reasons', () => {
  test('Name, Mobile, Opt-in, Lang are suggested as name and the seed properties, each explained', async () => {
    const up = await upload('words.csv', ROWS);
    assert.deepEqual(up.suggestedMapping, { Name: 'name', Mobile: 'contact_phone_number', 'Opt-in': 'contact_phone_number_is_verified', Lang: 'language_code' });
    assert.match(up.suggestionExplanations.Mobile, /'Mobile' looks like a phone number column/);
    assert.match(up.suggestionExplanations['Opt-in'], /consent/);
    assert.match(up.suggestionExplanations.Lang, /language/);
    // The page shows each suggestion with its explanation next to the select.
    const page = await ui.get(`/ui/p/words/imports/${up.id}`);
    assert.equal(page.statusCode, 200);
    assert.equal(selected(page.body, 'f-map-1'), 'contact_phone_number');
    assert.equal(selected(page.body, 'f-map-2'), 'contact_phone_number_is_verified');
    assert.match(page.body, /id="f-map-1-why"[^>]*>[^<]*&#39;Mobile&#39; looks like a phone number column/);
  });

  test('French and Swahili headers; two phone columns: the best one wins and the other is explained, not dropped', async () => {
    const up = await upload('mixed.csv', [
      ['Jina', 'Simu', 'Téléphone', 'Numéro', 'Courriel', 'Fuseau horaire', 'Passerelle', 'Consentement'],
      ['Zawadi', '0712345690', '0712345691', '0712345692', 'z@example.org', 'Africa/Nairobi', 'TEST1', '1'],
    ]);
    assert.equal(up.suggestedMapping.Jina, 'name');
    assert.equal(up.suggestedMapping.Courriel, 'commcare_email_address');
    assert.equal(up.suggestedMapping['Fuseau horaire'], 'time_zone');
    assert.equal(up.suggestedMapping.Passerelle, 'contact_backend_id');
    assert.equal(up.suggestedMapping.Consentement, 'contact_phone_number_is_verified');
    const phones = ['Simu', 'Téléphone', 'Numéro'].filter((c) => up.suggestedMapping[c] === 'contact_phone_number');
    assert.equal(phones.length, 1, 'one column only feeds contact_phone_number');
    for (const other of ['Simu', 'Téléphone', 'Numéro'].filter((c) => c !== phones[0])) {
      assert.notEqual(up.suggestedMapping[other], '', `${other} keeps its data as a property`);
      assert.match(up.suggestionExplanations[other], new RegExp(`also looks like a phone number column[\\s\\S]*'${phones[0]}'`));
    }
  });
});

describe('item 11: the dry run warns instead of dropping data', () => {
  test('no column gives a phone number or email: a red warning in the API answer and on the page', async () => {
    const up = await upload('nophone.csv', ROWS);
    const mapping = { Name: 'name', Mobile: 'mobile', 'Opt-in': '', Lang: 'language_code' };
    const dry = await dryRun(up.id, { caseType: 'np', mapping });
    assert.match(dry.warnings.noContact, /No column gives a phone number or email: these contacts cannot be reached/);
    const withPhone = await dryRun(up.id, { caseType: 'np', mapping: { ...mapping, Mobile: 'contact_phone_number' } });
    assert.equal(withPhone.warnings.noContact, null);
    const page = await ui.post(`/ui/p/words/imports/${up.id}/dry-run`, { target: 'cases', caseType: 'np', matchBy: 'case_id', matchColumn: '', createNew: 'true', 'map-0': 'name', 'map-1': '', 'new-1': 'mobile', 'map-2': '', 'map-3': 'language_code' });
    assert.equal(page.statusCode, 200, page.body.slice(0, 500));
    const section = page.body.slice(page.body.indexOf('data-testid="dry-run"'));
    assert.match(section, /<div class="error[^"]*" role="alert"[^>]*data-testid="warning-no-contact"[^>]*>[\s\S]*No column gives a phone number or email: these contacts cannot be reached/);
  });

  test('consent words: the values with counts, each row a problem, and the words read only when confirmed', async () => {
    const mapping = { Name: 'name', Mobile: 'contact_phone_number', 'Opt-in': 'contact_phone_number_is_verified', Lang: 'language_code' };
    const up = await upload('consent.csv', ROWS);
    const dry = await dryRun(up.id, { caseType: 'plain', mapping });
    const c = dry.warnings.consent;
    assert.equal(c.column, 'Opt-in');
    assert.deepEqual(
      c.values.map((v: Json) => [v.value, v.count, v.becomes]),
      [
        ['yes', 1, '1'],
        ['No', 1, '0'],
        ['oui', 1, '1'],
        ['ndiyo', 1, '1'],
        ['hapana', 1, '0'],
      ],
    );
    assert.equal(c.wordsOnly, true);
    assert.equal(c.applied, false);
    const consentProblems = dry.result.errors.filter((e: Json) => e.code === 'IMPORT_CONSENT_VALUE');
    assert.deepEqual(consentProblems.map((e: Json) => [e.row, e.column]), [[2, 'Opt-in'], [3, 'Opt-in'], [4, 'Opt-in'], [5, 'Opt-in'], [6, 'Opt-in']]);
    assert.match(consentProblems[0].message, /"yes"[\s\S]*not[\s\S]*consent/);

    // Not confirmed: nothing converted, every such row reported, nobody gets consent from a word.
    const plain = await runToEnd(up.id, { caseType: 'plain', mapping });
    assert.equal(plain.status, 'done', JSON.stringify(plain));
    assert.equal(plain.result.errors.filter((e: Json) => e.code === 'IMPORT_CONSENT_VALUE').length, 5);
    const plainCases = await casesByName('plain');
    assert.equal(plainCases.Amina?.contact.smsConsent, false);
    assert.equal(plainCases.Amina?.properties.contact_phone_number_is_verified, 'yes');

    // Confirmed: yes/oui/ndiyo → 1, no/hapana → 0 before saving; blank stays blank.
    const again = await upload('consent2.csv', ROWS);
    const preview = await dryRun(again.id, { caseType: 'words', mapping, consentWords: true });
    assert.equal(preview.warnings.consent.applied, true);
    assert.equal(preview.result.errors.filter((e: Json) => e.code === 'IMPORT_CONSENT_VALUE').length, 0);
    const done = await runToEnd(again.id, { caseType: 'words', mapping, consentWords: true });
    assert.equal(done.status, 'done', JSON.stringify(done));
    assert.equal(done.result.created, 6);
    const cases = await casesByName('words');
    for (const [name, consent, stored] of [
      ['Amina', true, '1'],
      ['Baraka', false, '0'],
      ['Chebet', true, '1'],
      ['Daudi', true, '1'],
      ['Eshe', false, '0'],
    ] as const) {
      assert.equal(cases[name]?.contact.smsConsent, consent, name);
      assert.equal(cases[name]?.properties.contact_phone_number_is_verified, stored, name);
    }
    assert.equal(cases.Amina?.contact.phoneStatus, 'two-way');
    assert.equal(cases.Fumo?.properties.contact_phone_number_is_verified, undefined);
  });

  test('consent values that are not all words: no offer, the odd rows reported even when words are read', async () => {
    const up = await upload('maybe.csv', [HEADER, ['Gari', '0712345611', 'yes', 'en'], ['Hadija', '0712345612', 'maybe', 'en'], ['Imani', '0712345613', 'TRUE', 'en']]);
    const mapping = { Name: 'name', Mobile: 'contact_phone_number', 'Opt-in': 'contact_phone_number_is_verified', Lang: 'language_code' };
    const dry = await dryRun(up.id, { caseType: 'maybe', mapping });
    assert.equal(dry.warnings.consent.wordsOnly, false);
    assert.deepEqual(dry.warnings.consent.values.map((v: Json) => [v.value, v.count]), [['yes', 1], ['maybe', 1]]);
    const done = await runToEnd(up.id, { caseType: 'maybe', mapping, consentWords: true });
    assert.deepEqual(done.result.errors.filter((e: Json) => e.code === 'IMPORT_CONSENT_VALUE').map((e: Json) => e.row), [3]);
    const cases = await casesByName('maybe');
    assert.equal(cases.Gari?.contact.smsConsent, true);
    assert.equal(cases.Hadija?.contact.smsConsent, false);
    assert.equal(cases.Imani?.contact.smsConsent, true);
  });

  test('invalid phone numbers are listed by row, value and reason, also on a row that fails for another reason', async () => {
    const up = await upload('bad-numbers.csv', [HEADER, ['Jabari', '0712345621', '1', 'en'], ['Kito', 'abc', '1', 'en'], ['', '2547', '1', 'en'], ['Lulu', '0712 345', '0', 'en']]);
    const dry = await dryRun(up.id, { caseType: 'bad', mapping: { Name: 'name', Mobile: 'contact_phone_number', 'Opt-in': 'contact_phone_number_is_verified' } });
    assert.equal(dry.invalidNumberCount, 3);
    assert.equal(dry.warnings.consent, null, 'consent given as 1 and 0: nothing to warn about');
    assert.equal(dry.warnings.noContact, null);
    assert.deepEqual(
      dry.invalidNumbers.map((n: Json) => [n.row, n.column, n.value]),
      [
        [3, 'Mobile', 'abc'],
        [4, 'Mobile', '2547'],
        [5, 'Mobile', '0712 345'],
      ],
    );
    assert.match(dry.invalidNumbers[0].reason, /letters/);
    // Row 4 has no name (it fails) and its number is listed all the same.
    assert.ok(dry.result.errors.some((e: Json) => e.row === 4 && e.code === 'IMPORT_NAME_MISSING'));
    assert.ok(dry.result.errors.some((e: Json) => e.row === 4 && e.code === 'INVALID_PHONE_NUMBER'));
    const page = await ui.post(`/ui/p/words/imports/${up.id}/dry-run`, { target: 'cases', caseType: 'bad', matchBy: 'case_id', matchColumn: '', createNew: 'true', 'map-0': 'name', 'map-1': 'contact_phone_number', 'map-2': 'contact_phone_number_is_verified', 'map-3': '' });
    assert.equal(page.statusCode, 200);
    const table = /<table data-testid="invalid-numbers">([\s\S]*?)<\/table>/.exec(page.body)?.[1] ?? '';
    assert.match(table, /<td>3<\/td>\s*<td>abc<\/td>\s*<td>[^<]*letters/);
    assert.match(table, /<td>4<\/td>\s*<td>2547<\/td>/);
    // The run records the same problems as the dry run listed (row 4's number too).
    const done = await runToEnd(up.id, { caseType: 'bad', mapping: { Name: 'name', Mobile: 'contact_phone_number', 'Opt-in': 'contact_phone_number_is_verified' } });
    assert.deepEqual(
      done.result.errors.map((e: Json) => [e.row, e.code]),
      dry.result.errors.map((e: Json) => [e.row, e.code]),
    );
  });
});

describe('the draft: the mapping, case type and consent choice survive leaving the page', () => {
  test('a dry run keeps what was chosen; the page opened again is filled from it', async () => {
    const up = await upload('draft.csv', ROWS);
    const fields = { target: 'cases', caseType: 'household', matchBy: 'case_id', matchColumn: '', createNew: 'true', consentWords: 'true', 'map-0': 'name', 'map-1': 'contact_phone_number', 'map-2': 'contact_phone_number_is_verified', 'map-3': '', 'new-3': 'lugha' };
    const dry = await ui.post(`/ui/p/words/imports/${up.id}/dry-run`, fields);
    assert.equal(dry.statusCode, 200, dry.body.slice(0, 500));
    // Leave (the history) and come back.
    assert.equal((await ui.get('/ui/p/words/imports')).statusCode, 200);
    const page = await ui.get(`/ui/p/words/imports/${up.id}`);
    assert.equal(inputValue(page.body, 'f-caseType'), 'household');
    assert.equal(selected(page.body, 'f-map-3'), '');
    assert.equal(inputValue(page.body, 'f-new-3'), 'lugha');
    assert.match(page.body, /<input[^>]*id="f-consentWords"[^>]*checked/);
    // Without a dry run the form still runs with the confirmed words.
    const run = await ui.post(`/ui/p/words/imports/${up.id}/run`, fields);
    assert.equal(run.statusCode, 302, run.body.slice(0, 500));
    const i = (await t.request('GET', `/api/v1/projects/words/imports/${up.id}`)).json();
    assert.equal(i.options.consentWords, true);
  });

  test('a form with problems keeps what was typed, names each field by its label, and is kept as the draft too', async () => {
    const up = await upload('labels.csv', ROWS);
    const res = await ui.post(`/ui/p/words/imports/${up.id}/dry-run`, { target: 'cases', caseType: '', matchBy: 'case_id', matchColumn: '', createNew: 'true', 'map-0': 'name', 'map-1': 'contact_phone_number', 'map-2': 'contact_phone_number', 'map-3': '', 'new-3': '9 bad' });
    assert.equal(res.statusCode, 422);
    const summary = /<div class="error" role="alert"[\s\S]*?<\/div>/.exec(res.body)?.[0] ?? '';
    assert.match(summary, /Case type: /);
    assert.doesNotMatch(summary.replace(/<[^>]*>/g, ''), /caseType|map-2|new-3/);
    assert.match(summary, /Import “Opt-in” into: /);
    assert.match(summary, /New property for “Lang”: /);
    assert.match(res.body, /<select[^>]*id="f-map-2"[^>]*aria-invalid="true"/);
    assert.equal(inputValue(res.body, 'f-new-3'), '9 bad');
    const back = await ui.get(`/ui/p/words/imports/${up.id}`);
    assert.equal(selected(back.body, 'f-map-2'), 'contact_phone_number');
  });
});
