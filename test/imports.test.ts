/**
 * Bulk registration from spreadsheets (issue 6) through the HTTP API and the real job queue: the
 * seeds' layout from .xls, .xlsx and .csv with every phone form, a bad number among good ones,
 * updates by external id, createNew off, the dry run (which writes nothing), duplicate verified
 * numbers, mobile workers, the annotated file and the template.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { sql } from 'kysely';

import { type Cell, csv, readSheet, workbook } from './support/import-files.ts';
import { uploadImport } from './support/running-import.ts';
import { createTestApp, type TestApp, waitFinished } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;

before(async () => {
  t = await createTestApp({ jobs: true, importChunkRows: 3 });
});
after(() => t.close());

const SEED_HEADER: Cell[] = ['Case Name', 'contact_phone_number', 'contact_phone_number_is_verified', 'commcare_email_address', 'case id', 'gender'];

function upload(project: string, name: string, bytes: Buffer, fields: Record<string, string> = {}): Promise<Json> {
  return uploadImport(t, project, name, bytes, fields);
}

function waitDone(project: string, id: string): Promise<Json> {
  return waitFinished(t, `/api/v1/projects/${project}/imports/${id}`);
}

async function run(project: string, id: string, body: Json): Promise<Json> {
  const res = await t.request('POST', `/api/v1/projects/${project}/imports/${id}/run`, { body });
  assert.equal(res.statusCode, 202, res.body);
  assert.equal(res.json().status, 'running');
  return waitDone(project, id);
}

async function importWithSuggestion(project: string, name: string, bytes: Buffer, extra: Json = {}): Promise<Json> {
  const up = await upload(project, name, bytes);
  return run(project, up.id, { caseType: 'contact', matchBy: up.suggestedMatchBy, matchColumn: up.suggestedMatchColumn, createNew: true, mapping: up.suggestedMapping, ...extra });
}

async function casesOf(project: string): Promise<Json[]> {
  const res = await t.request('GET', `/api/v1/projects/${project}/cases?limit=500`);
  return res.json().items;
}

async function count(table: 'cases' | 'phone_entries' | 'consent_events' | 'import_errors' | 'mobile_workers' | 'imports'): Promise<number> {
  const r = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(t.deps.db);
  return Number(r.rows[0]?.n);
}

describe('imports: the seed layout', () => {
  // Phone cells: a number cell, text, with +, with spaces, national (KE default country), scientific.
  function seedRows(base: number, numericCells: boolean): Cell[][] {
    const n = (i: number) => 254712300000 + base + i;
    return [
      SEED_HEADER,
      ['Amina', numericCells ? n(1) : String(n(1)), 1, 'amina@example.org', '', 'female'],
      ['Baraka', String(n(2)), '1', '', '', 'male'],
      ['Chebet', `+${n(3)}`, 1, '', null, ''],
      ['Daudi', `+254 ${String(n(4)).slice(3, 6)} ${String(n(4)).slice(6, 9)} ${String(n(4)).slice(9)}`, 0, '', '', ''],
      ['Eshe', `0${String(n(5)).slice(3)}`, '', '', '', ''],
    ];
  }

  for (const [format, base] of [
    ['xls', 10],
    ['xlsx', 20],
    ['csv', 30],
  ] as const) {
    test(`imports from .${format}: every phone form, consent, ledger events with the import id and row`, async () => {
      const project = `seed-${format}`;
      await t.createProject(project, { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
      const rows = seedRows(base, format !== 'csv');
      const bytes = format === 'csv' ? csv(rows, ';', true) : workbook(rows, format);
      const up = await upload(project, `sample_excel_contacts.${format}`, bytes);
      assert.deepEqual(up.columns, SEED_HEADER);
      assert.equal(up.rowCount, 5);
      assert.equal(up.sample[0][1], String(254712300000 + base + 1));
      assert.deepEqual(up.suggestedMapping, {
        'Case Name': 'name',
        contact_phone_number: 'contact_phone_number',
        contact_phone_number_is_verified: 'contact_phone_number_is_verified',
        commcare_email_address: 'commcare_email_address',
        'case id': '',
        gender: 'gender',
      });
      assert.equal(up.suggestedMatchBy, 'case_id');
      assert.equal(up.suggestedMatchColumn, 'case id');
      const done = await run(project, up.id, { caseType: 'contact', matchBy: 'case_id', matchColumn: 'case id', createNew: true, mapping: up.suggestedMapping });
      assert.equal(done.status, 'done', JSON.stringify(done));
      assert.deepEqual(done.progress, { done: 5, total: 5 });
      assert.deepEqual({ ...done.result, errors: undefined }, { created: 5, updated: 0, skipped: 0, failed: 0, errors: undefined, errorCount: 0 });
      const cases = await casesOf(project);
      const byName = Object.fromEntries(cases.map((c) => [c.name, c]));
      for (let i = 1; i <= 5; i++) {
        const name = ['Amina', 'Baraka', 'Chebet', 'Daudi', 'Eshe'][i - 1] as string;
        assert.equal(byName[name]?.contact.phoneNumber, `+${254712300000 + base + i}`, name);
        assert.equal(byName[name]?.caseType, 'contact');
      }
      assert.equal(byName.Amina?.contact.phoneStatus, 'two-way');
      assert.equal(byName.Amina?.contact.email, 'amina@example.org');
      assert.equal(byName.Amina?.properties.gender, 'female');
      assert.equal(byName.Daudi?.contact.phoneStatus, 'one-way');
      assert.equal(byName.Daudi?.contact.smsConsent, false);
      assert.equal('case id' in (byName.Amina?.properties ?? {}), false);
      const ledger = (await t.request('GET', `/api/v1/projects/${project}/phone-numbers/${encodeURIComponent(`+${254712300000 + base + 1}`)}/consent`)).json();
      assert.equal(ledger.length, 1);
      assert.equal(ledger[0].action, 'consent-granted');
      assert.equal(ledger[0].method, 'import');
      assert.deepEqual(ledger[0].source, { importId: up.id, row: 2 });
    });
  }
});

describe('imports: rows and rules', () => {
  before(async () => {
    await t.createProject('rules', { defaultCountry: 'KE' });
  });

  test('a 6-row file with one bad number: that row is imported and listed, the rest are fine', async () => {
    const rows: Cell[][] = [['Case Name', 'contact_phone_number']];
    for (let i = 1; i <= 6; i++) {
      rows.push([`Six ${i}`, i === 4 ? '12345' : `+2547124000${String(i).padStart(2, '0')}`]);
    }
    const done = await importWithSuggestion('rules', 'six.xlsx', workbook(rows));
    assert.equal(done.status, 'done');
    assert.equal(done.result.created, 6);
    assert.equal(done.result.failed, 0);
    assert.equal(done.result.errors.length, 1);
    assert.deepEqual({ ...done.result.errors[0], message: undefined }, { row: 5, column: 'contact_phone_number', code: 'INVALID_PHONE_NUMBER', message: undefined });
    assert.match(done.result.errors[0].message, /12345/);
    const bad = (await casesOf('rules')).find((c) => c.name === 'Six 4');
    assert.equal(bad?.contact.phoneStatus, 'invalid');

    const annotated = await t.request('GET', `/api/v1/projects/rules/imports/${done.id}/annotated`);
    assert.equal(annotated.statusCode, 200);
    assert.match(String(annotated.headers['content-disposition']), /six-annotated\.xlsx/);
    const sheet = readSheet(annotated.rawPayload);
    assert.deepEqual(sheet[0], ['Case Name', 'contact_phone_number', 'errors']);
    assert.equal(sheet.length, 7);
    assert.match(sheet[4]?.[2] ?? '', /contact_phone_number: INVALID_PHONE_NUMBER/);
    assert.equal(sheet[1]?.[2], '');
    // Only the rows with a problem, to fix and import again; `+` numbers protected against formulas.
    const only = readSheet((await t.request('GET', `/api/v1/projects/rules/imports/${done.id}/annotated?only=errors`)).rawPayload);
    assert.equal(only.length, 2);
    assert.equal(only[1]?.[0], 'Six 4');
  });

  test('update by external_id changes only mapped columns; --- clears, blank leaves; createNew false skips unknown rows', async () => {
    const made = await t.request('POST', '/api/v1/projects/rules/cases', {
      body: { caseType: 'mother', name: 'Old name', externalId: 'M-1', properties: { village: 'A', parity: '2', note: 'keep', contact_phone_number: '+254712500001' } },
    });
    assert.equal(made.statusCode, 201, made.body);
    const rows: Cell[][] = [
      ['external_id', 'Name', 'village', 'parity', 'clinic'],
      ['M-1', '', 'B', '---', 'North'],
      ['M-404', 'Nobody', 'C', '1', ''],
    ];
    const up = await upload('rules', 'update.csv', csv(rows));
    assert.equal(up.suggestedMatchBy, 'external_id');
    assert.equal(up.suggestedMatchColumn, 'external_id');
    const done = await run('rules', up.id, {
      caseType: 'mother',
      matchBy: 'external_id',
      matchColumn: 'external_id',
      createNew: false,
      mapping: { external_id: '', Name: 'name', village: 'village', parity: 'parity', clinic: 'clinic' },
    });
    assert.deepEqual({ ...done.result, errors: undefined }, { created: 0, updated: 1, skipped: 1, failed: 0, errors: undefined, errorCount: 0 });
    const c = (await t.request('GET', `/api/v1/projects/rules/cases/${made.json().id}`)).json();
    assert.equal(c.name, 'Old name');
    assert.deepEqual(c.properties, { village: 'B', note: 'keep', clinic: 'North', contact_phone_number: '+254712500001' });
    const nobody = (await casesOf('rules')).filter((x) => x.externalId === 'M-404');
    assert.equal(nobody.length, 0);

    // With createNew, the unknown external id becomes a new case carrying that external id.
    const again = await upload('rules', 'update.csv', csv(rows));
    const created = await run('rules', again.id, { caseType: 'mother', matchBy: 'external_id', matchColumn: 'external_id', createNew: true, mapping: { Name: 'name', village: 'village' } });
    assert.deepEqual({ ...created.result, errors: undefined }, { created: 1, updated: 1, skipped: 0, failed: 0, errors: undefined, errorCount: 0 });
    assert.equal((await casesOf('rules')).find((x) => x.externalId === 'M-404')?.name, 'Nobody');
  });

  test('case id match: a known id updates, an unknown id fails, a blank id creates; a new case needs a name', async () => {
    const made = (await t.request('POST', '/api/v1/projects/rules/cases', { body: { caseType: 'contact', name: 'By id', properties: { a: '1' } } })).json();
    const rows: Cell[][] = [
      ['case id', 'Case Name', 'a'],
      [made.id, 'Renamed', '2'],
      ['00000000-0000-4000-8000-000000000000', 'Ghost', '3'],
      ['', '', '4'],
      [made.id.toUpperCase(), 'Twice', '5'],
    ];
    const done = await importWithSuggestion('rules', 'byid.xlsx', workbook(rows));
    assert.deepEqual({ ...done.result, errors: undefined }, { created: 0, updated: 1, skipped: 0, failed: 3, errors: undefined, errorCount: 3 });
    assert.deepEqual(
      done.result.errors.map((e: Json) => [e.row, e.column, e.code]),
      [
        [3, 'case id', 'IMPORT_CASE_NOT_FOUND'],
        [4, 'Case Name', 'IMPORT_NAME_MISSING'],
        [5, 'case id', 'IMPORT_DUPLICATE_ROW'],
      ],
    );
    const c = (await t.request('GET', `/api/v1/projects/rules/cases/${made.id}`)).json();
    assert.equal(c.name, 'Renamed');
    assert.equal(c.properties.a, '2');
  });

  test('two rows with the same verified number: first two-way, second one-way with PHONE_NUMBER_IN_USE; the dry run warns', async () => {
    const rows: Cell[][] = [
      ['Case Name', 'contact_phone_number', 'contact_phone_number_is_verified'],
      ['First', '254712600001', '1'],
      ['Second', '0712600001', '1'],
    ];
    const up = await upload('rules', 'dupes.xlsx', workbook(rows));
    const body = { caseType: 'household', matchBy: 'case_id', matchColumn: null, createNew: true, mapping: up.suggestedMapping };
    const dry = (await t.request('POST', `/api/v1/projects/rules/imports/${up.id}/run`, { body: { ...body, dryRun: true } })).json();
    assert.deepEqual(dry.duplicates, [{ number: '+254712600001', rows: [2, 3] }]);
    assert.deepEqual(
      dry.result.errors.map((e: Json) => [e.row, e.column, e.code]),
      [[3, 'contact_phone_number', 'PHONE_NUMBER_IN_USE']],
    );
    const done = await run('rules', up.id, body);
    assert.deepEqual(
      done.result.errors.map((e: Json) => [e.row, e.column, e.code]),
      [[3, 'contact_phone_number', 'PHONE_NUMBER_IN_USE']],
    );
    const cases = (await casesOf('rules')).filter((c) => c.caseType === 'household');
    assert.equal(cases.find((c) => c.name === 'First')?.contact.phoneStatus, 'two-way');
    const second = cases.find((c) => c.name === 'Second');
    assert.equal(second?.contact.phoneStatus, 'one-way');
    assert.ok(second?.contact.problems.some((p: Json) => p.code === 'PHONE_NUMBER_IN_USE'));

    // A later file's dry run sees the number two-way elsewhere.
    const later = await upload('rules', 'later.csv', csv([rows[0] as Cell[], ['Third', '+254712600001', '1']]));
    const dry2 = (await t.request('POST', `/api/v1/projects/rules/imports/${later.id}/run`, { body: { ...body, mapping: later.suggestedMapping, dryRun: true } })).json();
    assert.deepEqual(dry2.twoWayElsewhere, [{ row: 2, number: '+254712600001' }]);
  });

  test('the dry run reports counts, normalisations and problems, and writes nothing', async () => {
    const rows: Cell[][] = [
      ['Case Name', 'contact_phone_number', 'contact_phone_number_is_verified', 'time_zone'],
      ['Norm one', '0712345678', '1', ''],
      ['Norm two', '2.54712345679E11', '', 'Mars/Olympus'],
      ['No name', '+254712345670', '', ''],
      ['', '+254712345671', '', ''],
    ];
    const up = await upload('rules', 'dry.csv', csv(rows));
    const before = await Promise.all((['cases', 'phone_entries', 'consent_events', 'import_errors'] as const).map(count));
    const res = await t.request('POST', `/api/v1/projects/rules/imports/${up.id}/run`, { body: { caseType: 'dry', createNew: true, mapping: up.suggestedMapping, dryRun: true } });
    assert.equal(res.statusCode, 200, res.body);
    const dry = res.json();
    assert.equal(dry.dryRun, true);
    assert.equal(dry.status, 'uploaded');
    assert.deepEqual({ ...dry.result, errors: undefined }, { created: 3, updated: 0, skipped: 0, failed: 1, errors: undefined, errorCount: 2 });
    assert.deepEqual(dry.normalisations, [
      { row: 2, column: 'contact_phone_number', from: '0712345678', to: '+254712345678' },
      { row: 3, column: 'contact_phone_number', from: '2.54712345679E11', to: '+254712345679' },
    ]);
    assert.deepEqual(
      dry.result.errors.map((e: Json) => [e.row, e.column, e.code]),
      [
        [3, 'time_zone', 'INVALID_TIME_ZONE'],
        [5, 'Case Name', 'IMPORT_NAME_MISSING'],
      ],
    );
    const afterwards = await Promise.all((['cases', 'phone_entries', 'consent_events', 'import_errors'] as const).map(count));
    assert.deepEqual(afterwards, before);
    assert.equal((await t.request('GET', `/api/v1/projects/rules/imports/${up.id}`)).json().status, 'uploaded');
    // The run then does what the dry run said.
    const done = await run('rules', up.id, { caseType: 'dry', createNew: true, mapping: up.suggestedMapping });
    assert.deepEqual({ ...done.result, errors: undefined }, { created: 3, updated: 0, skipped: 0, failed: 1, errors: undefined, errorCount: 2 });
    assert.deepEqual(
      done.result.errors.map((e: Json) => [e.row, e.column, e.code]),
      [
        [3, 'time_zone', 'INVALID_TIME_ZONE'],
        [5, 'Case Name', 'IMPORT_NAME_MISSING'],
      ],
    );
    // A run cannot be started twice.
    const twice = await t.request('POST', `/api/v1/projects/rules/imports/${up.id}/run`, { body: { caseType: 'dry', mapping: {} } });
    assert.equal(twice.statusCode, 409);
  });

  test('bad run options are refused with VALIDATION_ERROR', async () => {
    const up = await upload('rules', 'opts.csv', csv([['a', 'b'], ['1', '2']]));
    for (const body of [
      { mapping: { a: 'x' } },
      { caseType: 't', mapping: { nope: 'x' } },
      { caseType: 't', mapping: { a: 'bad name!' } },
      { caseType: 't', mapping: { a: 'x', b: 'x' } },
      { caseType: 't', matchColumn: 'zzz', mapping: {} },
      { target: 'mobile-workers', mapping: { a: 'language' } },
    ]) {
      const res = await t.request('POST', `/api/v1/projects/rules/imports/${up.id}/run`, { body });
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)} ${res.body}`);
      assert.equal(res.json().error.code, 'VALIDATION_ERROR');
    }
  });

  test('history lists imports newest first, paginated; the template downloads', async () => {
    const page = (await t.request('GET', '/api/v1/projects/rules/imports?limit=2')).json();
    assert.equal(page.items.length, 2);
    assert.ok(page.nextCursor);
    assert.equal(page.items[0].fileName, 'opts.csv');
    const next = (await t.request('GET', `/api/v1/projects/rules/imports?limit=2&cursor=${page.nextCursor}`)).json();
    assert.notEqual(next.items[0].id, page.items[1].id);
    const tpl = await t.request('GET', '/api/v1/projects/rules/imports/template');
    assert.equal(tpl.statusCode, 200);
    assert.deepEqual(readSheet(tpl.rawPayload)[0], ['Case Name', 'contact_phone_number', 'contact_phone_number_is_verified', 'commcare_email_address', 'case id', 'gender', 'age']);
    const tplCsv = await t.request('GET', '/api/v1/projects/rules/imports/template?format=csv');
    assert.match(tplCsv.body, /^\ufeffCase Name,contact_phone_number/);
  });

  test('annotated CSV cells are protected against formula injection', async () => {
    const rows: Cell[][] = [
      ['Case Name', 'contact_phone_number', 'note'],
      ['=HYPERLINK("http://evil.example","x")', '+254712700001', '@SUM(1)'],
      ['-2+3', '12', '\tlead'],
    ];
    const done = await importWithSuggestion('rules', 'inject.csv', csv(rows));
    assert.equal(done.result.created, 2);
    const res = await t.request('GET', `/api/v1/projects/rules/imports/${done.id}/annotated`);
    assert.match(String(res.headers['content-type']), /text\/csv/);
    const lines = res.body.replace(/^\ufeff/, '').split('\r\n');
    assert.equal(lines[0], 'Case Name,contact_phone_number,note,errors');
    assert.ok(lines[1]?.startsWith(`"'=HYPERLINK(""http://evil.example"",""x"")",'+254712700001,'@SUM(1),`), lines[1]);
    assert.ok(lines[2]?.startsWith(`'-2+3,12,'\tlead,`), lines[2]);
    // Uploading the annotated file again reads the protected cells back as they were.
    const back = await upload('rules', 'inject-annotated.csv', Buffer.from(res.body));
    assert.deepEqual(back.sample[0].slice(0, 3), ['=HYPERLINK("http://evil.example","x")', '+254712700001', '@SUM(1)']);
  });
});

describe('imports: mobile workers', () => {
  test('username, several numbers, language, time zone, email; a bad number is listed, a bad language fails the row', async () => {
    await t.createProject('workers', { defaultCountry: 'KE', languages: ['en', 'sw'] });
    const rows: Cell[][] = [
      ['username', 'phone numbers', 'language', 'time zone', 'email'],
      ['wanjiru', '+254712800001, 0712800002', 'sw', 'Africa/Nairobi', 'w@example.org'],
      ['otieno', '254712800003; 999', 'en', '', ''],
      ['kamau', '', 'xx', '', ''],
      ['WANJIRU', '+254712800009', '', '', ''],
    ];
    const up = await upload('workers', 'workers.xlsx', workbook(rows));
    assert.deepEqual(up.suggestedWorkerMapping, { username: 'username', 'phone numbers': 'phone_numbers', language: 'language', 'time zone': 'time_zone', email: 'email' });
    const done = await run('workers', up.id, { target: 'mobile-workers', createNew: true, mapping: up.suggestedWorkerMapping });
    assert.deepEqual({ ...done.result, errors: undefined }, { created: 2, updated: 0, skipped: 0, failed: 2, errors: undefined, errorCount: 3 });
    assert.deepEqual(
      done.result.errors.map((e: Json) => [e.row, e.column, e.code]),
      [
        [3, 'phone numbers', 'INVALID_PHONE_NUMBER'],
        [4, 'language', 'UNKNOWN_LANGUAGE'],
        [5, 'username', 'IMPORT_DUPLICATE_ROW'],
      ],
    );
    const list = (await t.request('GET', '/api/v1/projects/workers/mobile-workers')).json().items as Json[];
    const w = list.find((x) => x.username === 'wanjiru');
    assert.equal(w?.language, 'sw');
    assert.equal(w?.timeZone, 'Africa/Nairobi');
    assert.deepEqual(w?.phoneNumbers.map((n: Json) => [n.number, n.status]), [
      ['+254712800001', 'unverified'],
      ['+254712800002', 'unverified'],
    ]);
    assert.deepEqual(list.find((x) => x.username === 'otieno')?.phoneNumbers.map((n: Json) => n.number), ['+254712800003']);

    // Known workers get the numbers they do not have yet.
    const more = await upload('workers', 'more.csv', csv([['username', 'phone'], ['wanjiru', '+254712800001,+254712800004']]));
    const again = await run('workers', more.id, { target: 'mobile-workers', createNew: false, mapping: more.suggestedWorkerMapping });
    assert.equal(again.result.updated, 1);
    const w2 = (await t.request('GET', `/api/v1/projects/workers/mobile-workers/${w?.id}`)).json();
    assert.equal(w2.phoneNumbers.length, 3);
  });
});
