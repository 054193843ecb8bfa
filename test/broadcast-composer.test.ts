/**
 * The broadcast composer (issue 24): the preview's recipient count and reasons agree with what
 * sending records (set-based count vs. planning every recipient vs. the broadcast's own messages
 * after dispatch), cancelling a scheduled broadcast, the list, the UI's composer / preview / send
 * flow with everything typed kept, a file of case ids, and isolation between projects.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { previewBroadcast } from '../src/services/broadcast-preview.service.ts';
import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { findProjectByName } from '../src/store/project.store.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { type UiSession, uiSession } from './support/ui-session.ts';

type Json = Record<string, any>;
let t: TestApp;
let otherToken = '';

before(async () => {
  t = await createTestApp({ jobs: true });
  await t.createProject('compose', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi', languages: ['en', 'sw'], defaultLanguage: 'en' });
  await t.request('POST', '/api/v1/projects/compose/gateways', { body: { name: 'test', type: 'test' } });
  // Kenya and North America are routed; the United Kingdom (+44) is not.
  await t.request('PUT', '/api/v1/projects/compose/gateway-routes', { body: [{ prefix: '254', gateway: 'TEST' }, { prefix: '1', gateway: 'TEST' }] });
  await t.createProject('elsewhere', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  otherToken = await t.createMember('elsewhere', 'member');
});
after(() => t.close());

async function newCase(project: string, caseType: string, name: string, properties: Record<string, unknown>): Promise<Json> {
  const res = await t.request('POST', `/api/v1/projects/${project}/cases`, { body: { caseType, name, properties } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function waitExpanded(project: string, id: string): Promise<Json> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const b = (await t.request('GET', `/api/v1/projects/${project}/broadcasts/${id}`)).json();
    if (!['pending', 'expanding'].includes(b.status) || Date.now() > deadline) {
      return b;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function dispatchAll(): Promise<void> {
  while ((await dispatchOnce(t.deps, { batchSize: 200, leaseMs: 60_000 })) > 0) {
    // send what is due
  }
}

/** Marks a number opted out, and another as held for review (an open possible opt-out). */
async function optOutAndHold(project: string, optedOut: string, held: string): Promise<void> {
  const p = await findProjectByName(t.deps.db, project);
  assert.ok(p);
  await t.deps.db.insertInto('opt_outs').values({ number: optedOut, opted_out: true }).onConflict((oc) => oc.column('number').doNothing()).execute();
  const m = await t.deps.db
    .insertInto('messages')
    .values({ project_id: p.id, direction: 'in', channel: 'sms', status: 'received', from_address: held, text: 'please do not text me', to_address: null, processed_at: new Date(), handling: 'possible-opt-out' } as never)
    .returning('id')
    .executeTakeFirstOrThrow();
  await t.deps.db.insertInto('possible_opt_outs').values({ project_id: p.id, number: held, message_id: m.id, text: 'please do not text me', contact_type: null, contact_id: null, status: 'open', decided_at: null, decided_by: null }).execute();
}

const byCode = (list: Array<{ code: string; count: number }>) => Object.fromEntries(list.map((u) => [u.code, u.count]));

describe('broadcast preview', () => {
  let mothers: Json[] = [];

  before(async () => {
    mothers = [
      await newCase('compose', 'mother', 'Amina', { contact_phone_number: '0712300001', village: 'A' }),
      await newCase('compose', 'mother', 'Baraka', { contact_phone_number: '+254712300002', language_code: ' SW ', village: 'A' }),
      await newCase('compose', 'mother', 'Chausiku', { contact_phone_number: '+254712300003', language_code: 'fr', village: 'A' }),
      await newCase('compose', 'mother', 'No number', { village: 'A' }),
      await newCase('compose', 'mother', 'Zero', { contact_phone_number: ' 0 ', village: 'A' }),
      await newCase('compose', 'mother', 'Bad number', { contact_phone_number: '12', village: 'A' }),
      await newCase('compose', 'mother', 'US no consent', { contact_phone_number: '+12068130901', village: 'A' }),
      await newCase('compose', 'mother', 'US consent', { contact_phone_number: '+12068130902', contact_phone_number_is_verified: ' TRUE ', village: 'A' }),
      await newCase('compose', 'mother', 'Canada', { contact_phone_number: '+16135550123', village: 'A' }),
      await newCase('compose', 'mother', 'UK', { contact_phone_number: '+447911123456', village: 'A' }),
      await newCase('compose', 'mother', 'Named gateway', { contact_phone_number: '+254712300004', contact_backend_id: 'nope', village: 'A' }),
      await newCase('compose', 'mother', 'Own gateway', { contact_phone_number: '+254712300005', contact_backend_id: ' test ', village: 'A' }),
      await newCase('compose', 'mother', 'Opted out', { contact_phone_number: '+254712300006', village: 'A' }),
      await newCase('compose', 'mother', 'Held', { contact_phone_number: '+254712300007', language_code: 'sw', village: 'A' }),
      await newCase('compose', 'mother', 'Other village', { contact_phone_number: '+254712300008', village: 'B' }),
    ];
    await newCase('compose', 'child', 'Other type', { contact_phone_number: '+254712300009', village: 'A' });
    const closed = await newCase('compose', 'mother', 'Closed', { contact_phone_number: '+254712300010', village: 'A' });
    assert.equal((await t.request('POST', `/api/v1/projects/compose/cases/${closed.id}/close`)).statusCode, 200);
    mothers.push(closed);
    await optOutAndHold('compose', '+254712300006', '+254712300007');
  });

  test('counts every reason as sending records it, set-based and by planning alike', async () => {
    const body = { recipients: { caseType: 'mother', where: { village: 'A' } }, translations: { en: 'Clinic day is Monday', sw: 'Siku ya kliniki ni Jumatatu' } };
    const res = await t.request('POST', '/api/v1/projects/compose/broadcasts/preview', { body });
    assert.equal(res.statusCode, 200, res.body);
    const preview = res.json();
    assert.equal(preview.total, 14);
    assert.deepEqual(byCode(preview.unreachable), {
      NO_PHONE_NUMBER: 2,
      INVALID_PHONE_NUMBER: 1,
      NO_SMS_CONSENT: 1,
      NO_SUITABLE_GATEWAY: 1,
      GATEWAY_NOT_FOUND: 1,
      PHONE_NUMBER_OPTED_OUT: 1,
      POSSIBLE_OPT_OUT_HELD: 1,
    });
    assert.ok(preview.unreachable.every((u: Json) => typeof u.description === 'string' && u.description.length > 10));
    // Amina, Chausiku (fr is not a project language: English), US with consent, Canada, own gateway; Baraka in Swahili.
    assert.equal(preview.reachable, 6);
    assert.deepEqual(preview.byLanguage, [
      { language: 'en', count: 5, textLanguage: 'en' },
      { language: 'sw', count: 1, textLanguage: 'sw' },
    ]);
    const project = await findProjectByName(t.deps.db, 'compose');
    assert.ok(project);
    const planned = await previewBroadcast(t.deps, project, body, { method: 'plan' });
    assert.deepEqual(planned, preview);

    // Sending records exactly those reasons: at planning, and the held number at dispatch.
    const sent = await t.request('POST', '/api/v1/projects/compose/broadcasts', { body });
    assert.equal(sent.statusCode, 202, sent.body);
    await waitExpanded('compose', sent.json().id);
    await dispatchAll();
    const b = (await t.request('GET', `/api/v1/projects/compose/broadcasts/${sent.json().id}`)).json();
    assert.equal(b.total, preview.total);
    assert.deepEqual(b.errorCounts, byCode(preview.unreachable));
    assert.equal(b.counts.sent + b.counts.delivered, preview.reachable);
    assert.equal(b.finished, true);
  });

  test('a text missing for a language falls back to the default; a blank text is a reason', async () => {
    const project = await findProjectByName(t.deps.db, 'compose');
    assert.ok(project);
    const onlyEnglish = await previewBroadcast(t.deps, project, { recipients: { caseType: 'mother', where: { village: 'A' } }, translations: { en: 'Hi' } });
    assert.deepEqual(onlyEnglish.byLanguage, [
      { language: 'en', count: 5, textLanguage: 'en' },
      { language: 'sw', count: 1, textLanguage: 'en' },
    ]);
    const blankSw = { recipients: { caseType: 'mother', where: { village: 'A' } }, translations: { en: 'Hi', sw: '   ' } };
    const blank = await previewBroadcast(t.deps, project, blankSw);
    // Baraka and the held number read Swahili; the text check comes before the hold.
    assert.equal(byCode(blank.unreachable).MESSAGE_BLANK, 2);
    assert.deepEqual(await previewBroadcast(t.deps, project, blankSw, { method: 'plan' }), blank);
  });

  test('by case ids: closed cases are inactive, unknown and repeated ids are not recipients', async () => {
    const ids = [...mothers.map((m) => m.id), mothers[0]?.id, randomUUID(), 'junk'];
    const body = { recipients: { caseIds: ids }, text: 'Hello' };
    const res = await t.request('POST', '/api/v1/projects/compose/broadcasts/preview', { body });
    assert.equal(res.statusCode, 200, res.body);
    const preview = res.json();
    assert.equal(preview.total, mothers.length);
    assert.equal(preview.missing, 2);
    assert.equal(byCode(preview.unreachable).CONTACT_IS_INACTIVE, 1);
    const project = await findProjectByName(t.deps.db, 'compose');
    assert.ok(project);
    assert.deepEqual(await previewBroadcast(t.deps, project, body, { method: 'plan' }), preview);
    const sent = await t.request('POST', '/api/v1/projects/compose/broadcasts', { body });
    const b = await waitExpanded('compose', sent.json().id);
    assert.equal(b.total, preview.total);
    assert.equal(b.missing, preview.missing);
    await dispatchAll();
    const done = (await t.request('GET', `/api/v1/projects/compose/broadcasts/${b.id}`)).json();
    assert.deepEqual(done.errorCounts, byCode(preview.unreachable));
  });

  test('set-based and planned counts agree on random contacts', async () => {
    await t.createProject('random', { defaultCountry: 'US', timeZone: 'America/Chicago', languages: ['en', 'es'], phoneValidation: 'possible' });
    await t.request('POST', '/api/v1/projects/random/gateways', { body: { name: 'test', type: 'test' } });
    await t.request('PUT', '/api/v1/projects/random/gateway-routes', { body: [{ prefix: '1', gateway: 'TEST' }, { prefix: '2547', gateway: 'TEST' }] });
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor(seed / 65536) % n;
    };
    const numbers = ['+12068130', '+16135550', '+15550100', '+2547123', '+2541234', '+4477009', '+1340774', ''];
    const cases = Array.from({ length: 120 }, (_, i) => {
      const prefix = numbers[rand(numbers.length)] ?? '';
      const props: Record<string, string> = {};
      if (prefix) {
        props.contact_phone_number = prefix + String(100 + rand(900)).padStart(prefix.startsWith('+254') ? 6 : 3, '0');
      }
      if (rand(3) === 0) {
        props.contact_phone_number_is_verified = ['1', ' True\t', 'yes', '0'][rand(4)] ?? '';
      }
      if (rand(3) === 0) {
        props.language_code = ['es', ' ES\u00a0', 'fr', ''][rand(4)] ?? '';
      }
      if (rand(10) === 0) {
        props.contact_backend_id = ['test', 'other'][rand(2)] ?? '';
      }
      return { caseType: 'r', name: `R${i}`, properties: props };
    });
    for (const c of cases) {
      await newCase('random', c.caseType, c.name, c.properties);
    }
    // Some of their numbers opted out, some held for review.
    const numbers0 = await t.deps.db.selectFrom('cases').select('phone_number').where('case_type', '=', 'r').where('phone_number', 'is not', null).execute();
    const some = numbers0.flatMap((r) => (r.phone_number ? [r.phone_number] : []));
    for (const [i, n] of some.entries()) {
      if (i % 9 === 0) {
        await t.deps.db.insertInto('opt_outs').values({ number: n, opted_out: true }).onConflict((oc) => oc.column('number').doNothing()).execute();
      }
      if (i % 11 === 0) {
        await optOutAndHold('random', '+10000000000', n);
      }
    }
    const project = await findProjectByName(t.deps.db, 'random');
    assert.ok(project);
    const input = { recipients: { caseType: 'r' }, translations: { en: 'Hi', es: 'Hola' } };
    const bySql = await previewBroadcast(t.deps, project, input);
    assert.equal(bySql.total, 120);
    assert.ok(bySql.unreachable.length >= 5, JSON.stringify(bySql.unreachable));
    assert.deepEqual(bySql, await previewBroadcast(t.deps, project, input, { method: 'plan' }));
  });
});

describe('cancel and list', () => {
  test('a scheduled broadcast is cancelled; a sent one, a cancelled one or another project’s cannot be', async () => {
    const c = await newCase('compose', 'nurse', 'Nurse', { contact_phone_number: '+254712300101' });
    const scheduled = await t.request('POST', '/api/v1/projects/compose/broadcasts', { body: { recipients: { caseIds: [c.id] }, text: 'Later', sendAt: '2035-01-15T09:00' } });
    const b = await waitExpanded('compose', scheduled.json().id);
    assert.equal(b.counts.scheduled, 1);
    assert.equal((await t.request('POST', `/api/v1/projects/elsewhere/broadcasts/${b.id}/cancel`, { token: otherToken })).statusCode, 404);
    const cancelled = await t.request('POST', `/api/v1/projects/compose/broadcasts/${b.id}/cancel`);
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    assert.equal(cancelled.json().status, 'cancelled');
    assert.deepEqual(cancelled.json().errorCounts, { BROADCAST_CANCELLED: 1 });
    assert.equal(cancelled.json().counts.scheduled, 0);
    assert.ok(cancelled.json().cancelledAt);
    const again = await t.request('POST', `/api/v1/projects/compose/broadcasts/${b.id}/cancel`);
    assert.equal(again.statusCode, 409);

    const now = await t.request('POST', '/api/v1/projects/compose/broadcasts', { body: { recipients: { caseIds: [c.id] }, text: 'Now' } });
    await waitExpanded('compose', now.json().id);
    const refused = await t.request('POST', `/api/v1/projects/compose/broadcasts/${now.json().id}/cancel`);
    assert.equal(refused.statusCode, 409);
    assert.match(refused.json().error?.message ?? refused.body, /sent at once|already sending/);
  });

  test('a scheduled broadcast whose first messages are due is already sending: 409', async () => {
    const c = await newCase('compose', 'nurse', 'Due', { contact_phone_number: '+254712300102' });
    const res = await t.request('POST', '/api/v1/projects/compose/broadcasts', { body: { recipients: { caseIds: [c.id] }, text: 'Soon', sendAt: '2035-01-15T09:00' } });
    const b = await waitExpanded('compose', res.json().id);
    await t.deps.db.updateTable('messages').set({ due_at: new Date(Date.now() - 1000) }).where('broadcast_id', '=', b.id).execute();
    const refused = await t.request('POST', `/api/v1/projects/compose/broadcasts/${b.id}/cancel`);
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, /already sending/);
  });

  test('the list is newest first, paginated, and only the project’s own', async () => {
    const first = (await t.request('GET', '/api/v1/projects/compose/broadcasts?limit=2')).json();
    assert.equal(first.items.length, 2);
    assert.ok(first.nextCursor);
    assert.ok(first.items[0].createdAt >= first.items[1].createdAt);
    const second = (await t.request('GET', `/api/v1/projects/compose/broadcasts?limit=2&cursor=${first.nextCursor}`)).json();
    assert.ok(second.items.length >= 1);
    assert.ok(!second.items.some((b: Json) => first.items.some((a: Json) => a.id === b.id)));
    const other = (await t.request('GET', '/api/v1/projects/elsewhere/broadcasts', { token: otherToken })).json();
    assert.deepEqual(other.items, []);
    assert.equal((await t.request('GET', `/api/v1/projects/elsewhere/broadcasts/${first.items[0].id}`, { token: otherToken })).statusCode, 404);
    assert.equal((await t.request('GET', `/api/v1/projects/compose/broadcasts`, { token: otherToken })).statusCode, 404);
  });
});

// ---- The UI ----

function post(s: UiSession, url: string, fields: Array<[string, string]>) {
  const body = new URLSearchParams([['_csrf', s.csrf], ...fields]).toString();
  return t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s.cookie }, payload: body });
}

function multipart(s: UiSession, url: string, fields: Array<[string, string]>, file: { name: string; content: string } | null) {
  const boundary = '----rollcall-test-boundary';
  const parts = [['_csrf', s.csrf] as [string, string], ...fields].map(([k, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  if (file) {
    parts.push(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${file.name}"\r\ncontent-type: text/csv\r\n\r\n${file.content}\r\n`);
  }
  const payload = `${parts.join('')}--${boundary}--\r\n`;
  return t.app.inject({ method: 'POST', url, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, cookie: s.cookie }, payload });
}

describe('the composer pages', () => {
  let s: UiSession;
  before(async () => {
    s = await uiSession(t);
  });

  test('every error at once with its label, what was typed kept, and no text in any URL', async () => {
    const res = await multipart(s, '/ui/p/compose/broadcasts/preview', [['source', 'caseType'], ['caseType', ''], ['where', 'village'], ['text-en', ''], ['text-sw', 'Habari <b>zenu</b>'], ['when', 'later'], ['sendAt', '2001-01-01T09:00']], null);
    assert.equal(res.statusCode, 422);
    assert.match(res.body, /There are 4 problems/);
    assert.match(res.body, /Case type: choose a case type/);
    assert.match(res.body, /Only cases whose properties match: line 1 is not/);
    assert.match(res.body, /Message in English \(en\) — default: write the message/);
    assert.match(res.body, /Send at \(local time\): is in the past/);
    assert.match(res.body, /aria-invalid="true"/);
    assert.match(res.body, /Habari &lt;b>zenu&lt;\/b>|Habari &lt;b&gt;zenu&lt;\/b&gt;/);
    assert.match(res.body, /value="2001-01-01T09:00"/);
  });

  test('preview shows counts, reasons and each language’s text; send creates it and redirects to its page', async () => {
    const fields: Array<[string, string]> = [
      ['source', 'caseType'],
      ['caseType', 'mother'],
      ['where', 'village = A'],
      ['text-en', 'Clinic day is Monday'],
      ['text-sw', ''],
      ['when', 'now'],
      ['sendAt', ''],
    ];
    const preview = await multipart(s, '/ui/p/compose/broadcasts/preview', fields, null);
    assert.equal(preview.statusCode, 200, preview.body);
    assert.match(preview.body, /id="stat-total">\s*14/);
    assert.match(preview.body, /id="stat-reachable">\s*6/);
    assert.match(preview.body, /recorded consent/);
    assert.match(preview.body, /NO_SMS_CONSENT/);
    assert.match(preview.body, /No Swahili text was given: they get the English \(en\) text/);
    assert.match(preview.body, /20 characters · 1 SMS · GSM-7/);
    assert.match(preview.body, /Send to 6 contacts/);
    // Change keeps everything.
    const back = await post(s, '/ui/p/compose/broadcasts/new', fields);
    assert.equal(back.statusCode, 200);
    assert.match(back.body, />Clinic day is Monday<\/textarea>/);
    assert.match(back.body, />village = A<\/textarea>/);
    const sent = await post(s, '/ui/p/compose/broadcasts', fields);
    assert.equal(sent.statusCode, 303, sent.body);
    const location = String(sent.headers.location);
    assert.match(location, /^\/ui\/p\/compose\/broadcasts\/[0-9a-f-]{36}\?notice=created$/);
    assert.doesNotMatch(location, /Clinic/);
    const page = await s.get(location);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Clinic day is Monday/);
    assert.match(page.body, /Open cases of type mother where village = A/);
    const id = location.split('/').at(-1)?.split('?')[0] ?? '';
    await waitExpanded('compose', id);
    await dispatchAll();
    const progress = await s.get(`/ui/p/compose/broadcasts/${id}/progress`);
    assert.match(progress.body, /id="n-sent">6</);
    assert.match(progress.body, /data-finished="true"/);
    assert.doesNotMatch(progress.body, /hx-trigger/);
    const list = await s.get('/ui/p/compose/broadcasts');
    assert.match(list.body, new RegExp(id));
  });

  test('the contacts list posts its selection to the composer; a file of ids is kept by the server', async () => {
    const a = await newCase('compose', 'fileme', 'F1', { contact_phone_number: '+254712300201' });
    const b = await newCase('compose', 'fileme', 'F2', { contact_phone_number: '+254712300202' });
    const selected = await post(s, '/ui/p/compose/broadcasts/new', [
      ['caseIds', a.id],
      ['caseIds', b.id],
    ]);
    assert.equal(selected.statusCode, 200);
    assert.match(selected.body, /2 selected cases/);
    assert.ok(selected.body.includes(`${a.id}\n${b.id}</textarea>`));

    const csv = `name,case_id\nF1,${a.id}\nF2,${b.id}\nF2 again,${b.id}\n`;
    const preview = await multipart(s, '/ui/p/compose/broadcasts/preview', [['source', 'file'], ['text-en', 'From a file'], ['when', 'now']], { name: 'ids.csv', content: csv });
    assert.equal(preview.statusCode, 200, preview.body);
    assert.match(preview.body, /The 2 case ids of ids.csv/);
    assert.match(preview.body, /Send to 2 contacts/);
    const listId = /name="listId" value="([0-9a-f-]{36})"/.exec(preview.body)?.[1];
    assert.ok(listId);
    const sent = await post(s, '/ui/p/compose/broadcasts', [['source', 'file'], ['listId', listId], ['text-en', 'From a file'], ['when', 'now']]);
    assert.equal(sent.statusCode, 303, sent.body);
    const id = String(sent.headers.location).split('/').at(-1)?.split('?')[0] ?? '';
    const bc = await waitExpanded('compose', id);
    assert.equal(bc.total, 2);
    // Another project cannot use the list.
    const other = await post(s, '/ui/p/elsewhere/broadcasts', [['source', 'file'], ['listId', listId], ['text-en', 'x'], ['when', 'now']]);
    assert.equal(other.statusCode, 422);
    assert.match(other.body, /no longer kept/);
  });

  test('cancel from the page; another project’s broadcast is not found', async () => {
    const c = await newCase('compose', 'nurse', 'UI cancel', { contact_phone_number: '+254712300301' });
    const res = await t.request('POST', '/api/v1/projects/compose/broadcasts', { body: { recipients: { caseIds: [c.id] }, text: 'Later', sendAt: '2035-01-15T09:00' } });
    const id = res.json().id;
    await waitExpanded('compose', id);
    const page = await s.get(`/ui/p/compose/broadcasts/${id}`);
    assert.match(page.body, /data-confirm=/);
    assert.match(page.body, /Cancel broadcast/);
    assert.match(page.body, /hx-trigger="every 2s"/);
    const cancelled = await post(s, `/ui/p/compose/broadcasts/${id}/cancel`, []);
    assert.equal(cancelled.statusCode, 303);
    const after = await s.get(String(cancelled.headers.location));
    assert.match(after.body, /Broadcast cancelled/);
    assert.match(after.body, /cancelled the scheduled broadcast/);
    const twice = await post(s, `/ui/p/compose/broadcasts/${id}/cancel`, []);
    assert.equal(twice.statusCode, 409);
    assert.match(twice.body, /already cancelled/);

    const member = await t.createMember('elsewhere', 'member', 'elsewhere-ui@example.org');
    assert.ok(member);
    const m = await uiSession(t, 'elsewhere-ui@example.org', 'member-password');
    assert.equal((await m.get(`/ui/p/compose/broadcasts/${id}`)).statusCode, 404);
    assert.equal((await m.get(`/ui/p/elsewhere/broadcasts/${id}`)).statusCode, 404);
    assert.equal((await m.get(`/ui/p/elsewhere/broadcasts/${id}/progress`)).statusCode, 404);
    assert.equal((await post(m, `/ui/p/elsewhere/broadcasts/${id}/cancel`, [])).statusCode, 404);
  });

  test('the live counter answers a POST (the text never in the URL)', async () => {
    const res = await post(s, '/ui/p/compose/broadcasts/segments', [
      ['field', 'text-en'],
      ['text-en', 'Habari — karibu'],
    ]);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /15 characters · 1 SMS · Unicode \(UCS-2\) because of “—”, 70 per SMS/);
  });
});
