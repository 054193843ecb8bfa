/**
 * Issue 24, item 3: "export contacts" as CSV and .xlsx with the seed's column names, safe against
 * formula injection, that round-trips through the import: export → import (dry run, then a real
 * run matching by case id) → no case changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { exportCell } from '../src/services/contacts-export.service.ts';
import { readSheet } from './support/import-files.ts';
import { uploadImport } from './support/running-import.ts';
import { createTestApp, type TestApp, waitFinished } from './support/test-app.ts';
import { type UiSession, uiSession } from './support/ui-session.ts';

type Json = any;

let t: TestApp;
let ui: UiSession;

const SEED_COLUMNS = ['case id', 'Case Name', 'external_id', 'owner_id', 'contact_phone_number', 'contact_phone_number_is_verified', 'commcare_email_address', 'language_code', 'time_zone', 'contact_backend_id'];

before(async () => {
  t = await createTestApp({ jobs: true });
  await t.createProject('kenya', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi', languages: ['en', 'sw'], defaultLanguage: 'en' });
  await t.createProject('other', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  ui = await uiSession(t);
  const make = async (project: string, caseType: string, name: string, properties: Record<string, string>, externalId?: string) => {
    const res = await t.request('POST', `/api/v1/projects/${project}/cases`, { body: { caseType, name, properties, ...(externalId ? { externalId } : {}) } });
    assert.equal(res.statusCode, 201, res.body);
  };
  await make('kenya', 'patient', 'Amina Otieno', { contact_phone_number: '+254712345678', contact_phone_number_is_verified: '1', commcare_email_address: 'amina@example.org', gender: 'female', age: '31' }, 'EXT-1');
  await make('kenya', 'patient', 'John "Jack" Smith, Jr.', { contact_phone_number: '254712345679', contact_phone_number_is_verified: '0', language_code: 'sw', note: 'line one\nline two; with "quotes"' });
  await make('kenya', 'patient', '=HYPERLINK("http://evil.example","click")', { formula: '+cmd|calc', balance: '-5', at: '@SUM(A1)', contact_phone_number: '+1 206 555 1234' });
  await make('kenya', 'patient', 'Zawadi', { time_zone: 'Africa/Nairobi', village: 'Kibera' });
  await make('kenya', 'household', 'Household One', { members: '4' });
  await make('other', 'patient', 'Secret Other Project', { contact_phone_number: '+254799999999' });
});
after(() => t.close());

function upload(name: string, bytes: Buffer): Promise<Json> {
  return uploadImport(t, 'kenya', name, bytes);
}

function waitDone(id: string): Promise<Json> {
  return waitFinished(t, `/api/v1/projects/kenya/imports/${id}`);
}

async function snapshot(): Promise<Json[]> {
  const res = await t.request('GET', '/api/v1/projects/kenya/cases?limit=500&caseType=patient');
  return res.json().items.map((c: Json) => ({ id: c.id, name: c.name, externalId: c.externalId, ownerId: c.ownerId, properties: c.properties, updatedAt: c.updatedAt }));
}

/** Imports the file back (dry run, then for real) matching by case id; nothing may change. */
async function roundTrip(name: string, bytes: Buffer): Promise<void> {
  const beforeCases = await snapshot();
  const up = await upload(name, bytes);
  assert.equal(up.suggestedMatchColumn, 'case id');
  assert.equal(up.suggestedMatchBy, 'case_id');
  const body = { caseType: 'patient', matchBy: 'case_id', matchColumn: 'case id', createNew: false, mapping: up.suggestedMapping };
  const dry = await t.request('POST', `/api/v1/projects/kenya/imports/${up.id}/run`, { body: { ...body, dryRun: true } });
  assert.ok(dry.statusCode === 200 || dry.statusCode === 202, dry.body);
  const dryResult = dry.statusCode === 200 ? dry.json() : await waitDone(up.id);
  assert.deepEqual(dryResult.result.errors, [], 'the dry run finds no problem');
  assert.equal(dryResult.result.created, 0);
  assert.equal(dryResult.result.failed, 0);
  const again = await upload(name, bytes);
  const run = await t.request('POST', `/api/v1/projects/kenya/imports/${again.id}/run`, { body: { ...body, mapping: again.suggestedMapping } });
  assert.equal(run.statusCode, 202, run.body);
  const done = await waitDone(again.id);
  assert.equal(done.status, 'done', JSON.stringify(done));
  assert.deepEqual(done.result.errors, []);
  assert.equal(done.result.created, 0);
  const afterCases = await snapshot();
  assert.deepEqual(
    afterCases.map((c: Json) => ({ ...c, updatedAt: undefined })),
    beforeCases.map((c: Json) => ({ ...c, updatedAt: undefined })),
    'every case, its name and each property are as they were',
  );
}

describe('contacts export', () => {
  test('CSV: the seed’s columns first, then every other property; filtered; no other project', async () => {
    const res = await ui.get('/ui/p/kenya/cases/export.csv?caseType=patient');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/csv/);
    assert.match(String(res.headers['content-disposition']), /attachment; filename="kenya-patient-contacts-\d{4}-\d{2}-\d{2}\.csv"/);
    const rows = readSheet(res.rawPayload);
    assert.deepEqual(rows[0], [...SEED_COLUMNS, 'age', 'at', 'balance', 'formula', 'gender', 'note', 'village']);
    assert.equal(rows.length, 5, 'four patients and the header');
    assert.ok(!res.body.includes('Secret Other Project'));
    assert.ok(!res.body.includes('Household One'), 'the case type filter holds');
    const amina = rows.find((r) => r[1] === 'Amina Otieno');
    assert.equal(amina?.[2], 'EXT-1');
    assert.equal(amina?.[4], '+254712345678', 'a number with its + is written as it is');
  });

  test('formula injection: = + - @ cells are prefixed with an apostrophe; phone numbers are not', async () => {
    const res = await ui.get('/ui/p/kenya/cases/export.csv?caseType=patient');
    const text = res.body;
    assert.match(text, /"'=HYPERLINK\(""http:\/\/evil.example"",""click""\)"/);
    assert.match(text, /'\+cmd\|calc/);
    assert.match(text, /,'-5,/);
    assert.match(text, /'@SUM\(A1\)/);
    assert.match(text, /,\+1 206 555 1234,/);
    assert.equal(exportCell('+254712345678'), '+254712345678');
    assert.equal(exportCell('+1 (206) 555-1234'), '+1 (206) 555-1234');
    assert.equal(exportCell('+1+cmd|calc'), "'+1+cmd|calc");
    assert.equal(exportCell('+'), "'+");
    assert.equal(exportCell('-1'), "'-1");
  });

  test('.xlsx: the same columns, every cell text (254712345679 stays digits)', async () => {
    const res = await ui.get('/ui/p/kenya/cases/export.xlsx?caseType=patient');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /spreadsheetml/);
    const rows = readSheet(res.rawPayload);
    assert.deepEqual(rows[0]?.slice(0, SEED_COLUMNS.length), SEED_COLUMNS);
    assert.ok(rows.some((r) => r[4] === '254712345679'));
  });

  test('the API export (member): CSV and xlsx, with the list’s filters', async () => {
    const member = await t.createMember('kenya', 'member', 'm@example.org');
    const res = await t.request('GET', '/api/v1/projects/kenya/cases/export?format=csv&consent=yes', { token: member });
    assert.equal(res.statusCode, 200, res.body);
    const rows = readSheet(res.rawPayload);
    assert.deepEqual(rows.slice(1).map((r) => r[1]), ['Amina Otieno']);
    const x = await t.request('GET', '/api/v1/projects/kenya/cases/export?format=xlsx', { token: member });
    assert.equal(x.statusCode, 200);
    assert.equal(readSheet(x.rawPayload).length, 6);
    const outsider = await t.createMember('other', 'member', 'o@example.org');
    assert.equal((await t.request('GET', '/api/v1/projects/kenya/cases/export', { token: outsider })).statusCode, 404);
  });

  test('the selection exported from the list (bulk export) holds only the cases chosen', async () => {
    const items = (await t.request('GET', '/api/v1/projects/kenya/cases?caseType=patient&sort=name')).json().items;
    const res = await ui.post('/ui/p/kenya/cases/bulk/export', { caseIds: [items[0].id, items[1].id] });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(readSheet(res.rawPayload).length, 3);
  });

  test('round trip: the CSV, imported back matching by case id, changes nothing', async () => {
    const res = await ui.get('/ui/p/kenya/cases/export.csv?caseType=patient');
    await roundTrip('export.csv', res.rawPayload);
  });

  test('round trip: the .xlsx, imported back matching by case id, changes nothing', async () => {
    const res = await ui.get('/ui/p/kenya/cases/export.xlsx?caseType=patient');
    await roundTrip('export.xlsx', res.rawPayload);
  });

  test('the export page offers the filters and both formats', async () => {
    const page = await ui.get('/ui/p/kenya/export?caseType=patient');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /aria-labelledby="export"/);
    assert.match(page.body, /Download CSV/);
    assert.match(page.body, /formaction="\/ui\/p\/kenya\/cases\/export.xlsx"/);
    assert.match(page.body, /4 cases match these filters/);
  });
});
