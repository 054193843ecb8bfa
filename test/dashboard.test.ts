/**
 * The project dashboard (issue 24, item 1) on a real database through real HTTP: contacts by phone
 * status (the same tallies as the cases' own views, opted out and no consent included), messages
 * per local day for 30 days (boundaries at the project's local midnight, a zone with a 30-minute
 * offset too), top failure codes in words, the recent opt-outs, registrations and imports, the
 * counts kept by the triggers and the fold, the background contact counts with their time, and
 * nothing of another project. The page and the API give the same figures.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { sql } from 'kysely';

import type { Project } from '../src/domain/project.ts';
import { errorCatalogue } from '../src/errors.ts';
import { recordOptOut } from '../src/services/consent.service.ts';
import { chartDays, type DashboardView, foldDashboardCounts, getDashboard, refreshContactCounts } from '../src/services/dashboard.service.ts';
import { findProjectByName } from '../src/store/project.store.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { type UiSession, uiSession } from './support/ui-session.ts';

// 12:00 in Nairobi (UTC+3) on 4 December 2026; the chart runs from 5 November to 4 December.
const NOW = new Date('2026-12-04T09:00:00Z');

let t: TestApp;
let kenya: Project;
let india: Project;
let ui: UiSession;
let memberToken: string;
const caseIds: Record<string, string> = {};

interface Msg {
  project: Project | null;
  direction: 'in' | 'out';
  status: 'queued' | 'sent' | 'delivered' | 'failed' | 'received';
  at: string;
  errorCode?: string;
  handling?: string;
  contactId?: string;
  from?: string;
  providerId?: string;
}

/** Inserts messages as the app stores them (the triggers keep the dashboard's counts). */
async function insertMessages(ms: Msg[]): Promise<void> {
  for (const m of ms) {
    await sql`
      insert into messages (project_id, direction, channel, status, to_address, from_address, text, error_code, created_at, updated_at, sent_at, due_at, handling, contact_type, contact_id, provider_message_id, processed_at)
      values (${m.project?.id ?? null}, ${m.direction}, 'sms', ${m.status}, ${m.direction === 'out' ? '+254711000001' : null}, ${m.from ?? (m.direction === 'in' ? '+254711000002' : null)},
              'hello', ${m.errorCode ?? null}, ${m.at}::timestamptz, ${m.at}::timestamptz,
              ${m.status === 'sent' || m.status === 'delivered' ? m.at : null}::timestamptz, ${m.direction === 'out' ? m.at : null}::timestamptz,
              ${m.handling ?? null}, ${m.contactId ? 'case' : null}, ${m.contactId ?? null}, ${m.providerId ?? null},
              ${m.direction === 'in' ? m.at : null}::timestamptz)`.execute(t.deps.db);
  }
}

async function createCase(name: string, properties: Record<string, string>, project = 'kenya'): Promise<string> {
  const res = await t.request('POST', `/api/v1/projects/${project}/cases`, { body: { caseType: name.startsWith('worker') ? 'household' : 'patient', name, properties } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id as string;
}

async function apiDashboard(project: string, token?: string): Promise<DashboardView> {
  const res = await t.request('GET', `/api/v1/projects/${project}/dashboard`, token === undefined ? {} : { token });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as DashboardView;
}

function day(d: DashboardView, name: string) {
  const found = d.messages.days.find((x) => x.day === name);
  assert.ok(found, `the chart has ${name}`);
  return found;
}

before(async () => {
  t = await createTestApp({ clock: () => NOW });
  await t.createProject('kenya', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  await t.createProject('india', { defaultCountry: 'IN', timeZone: 'Asia/Kolkata' });
  memberToken = await t.createMember('kenya', 'member', 'member@example.org');
  kenya = (await findProjectByName(t.deps.db, 'kenya')) as Project;
  india = (await findProjectByName(t.deps.db, 'india')) as Project;
  ui = await uiSession(t);
});
after(() => t.close());

describe('an empty project', () => {
  test('the page says what to do next: import or add a case, add a gateway', async () => {
    const res = await ui.get('/ui/p/kenya/dashboard');
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.body, /No contacts yet/);
    assert.match(res.body, /href="\/ui\/p\/kenya\/imports">import a spreadsheet/);
    assert.match(res.body, /No gateway yet/);
    assert.match(res.body, /href="\/ui\/p\/kenya\/gateways">add one/);
    assert.match(res.body, /No failed messages/);
    assert.match(res.body, /aria-current="page"[^>]*>Dashboard|href="\/ui\/p\/kenya\/dashboard" aria-current="page"/);
  });

  test('/ui/p/kenya opens the dashboard', async () => {
    const res = await ui.get('/ui/p/kenya');
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers.location, '/ui/p/kenya/dashboard');
  });
});

describe('contacts by phone status', () => {
  before(async () => {
    caseIds.twoWay = await createCase('Amina', { contact_phone_number: '+254711200001', contact_phone_number_is_verified: 'true' });
    caseIds.oneWay = await createCase('Baraka', { contact_phone_number: '+254711200002' });
    caseIds.invalid = await createCase('Chebet', { contact_phone_number: '12' });
    caseIds.none = await createCase('Daudi', {});
    // Same number as Amina, who already receives its replies: one-way (and a problem).
    caseIds.shared = await createCase('Esther', { contact_phone_number: '+254711200001', contact_phone_number_is_verified: '1' });
    caseIds.optedOut = await createCase('worker Faith', { contact_phone_number: '+254711200006', contact_phone_number_is_verified: 'true' });
    caseIds.closed = await createCase('Gideon', { contact_phone_number: '+254711200007', contact_phone_number_is_verified: 'true' });
    assert.equal((await t.request('POST', `/api/v1/projects/kenya/cases/${caseIds.closed}/close`)).statusCode, 200);
    await t.deps.db.transaction().execute((trx) =>
      recordOptOut(trx, { channel: 'sms', address: '+254711200006' }, { method: 'keyword', source: {}, projectId: kenya.id, contact: { type: 'case', id: caseIds.optedOut as string }, gateway: null }, NOW),
    );
    // Another project's cases are not counted.
    await createCase('Other', { contact_phone_number: '+919812345678', contact_phone_number_is_verified: 'true' }, 'india');
  });

  test('the counts are the tallies of the cases as their own views show them', async () => {
    const d = await apiDashboard('kenya');
    const list = await t.request('GET', '/api/v1/projects/kenya/cases?limit=500');
    const items = list.json().items as Array<{ contact: { phoneStatus: string; smsConsent: boolean } }>;
    const tally = (s: string) => items.filter((c) => c.contact.phoneStatus === s).length;
    assert.equal(d.contacts.total, items.length);
    assert.equal(d.contacts.total, 7);
    assert.equal(d.contacts.twoWay, tally('two-way'));
    assert.equal(d.contacts.oneWay, tally('one-way'));
    assert.equal(d.contacts.invalid, tally('invalid'));
    assert.equal(d.contacts.none, tally('none'));
    assert.equal(d.contacts.noConsent, items.filter((c) => !c.contact.smsConsent).length);
    assert.deepEqual(
      { twoWay: d.contacts.twoWay, oneWay: d.contacts.oneWay, invalid: d.contacts.invalid, none: d.contacts.none, optedOut: d.contacts.optedOut, noConsent: d.contacts.noConsent },
      // Amina and Faith two-way; Baraka and Esther one-way; Chebet invalid; Daudi and the closed Gideon none.
      { twoWay: 2, oneWay: 2, invalid: 1, none: 2, optedOut: 1, noConsent: 3 },
    );
    assert.deepEqual(d.contacts.caseTypes, [
      { caseType: 'patient', total: 6 },
      { caseType: 'household', total: 1 },
    ]);
    assert.equal(d.contacts.asOf, null, 'a small project is counted on every load');
  });

  test('each count links to the cases list filtered in the URL', async () => {
    const html = (await ui.get('/ui/p/kenya/dashboard')).body;
    for (const [href, n, label] of [
      ['/ui/p/kenya/cases?phoneStatus=two-way', 2, 'Two-way'],
      ['/ui/p/kenya/cases?phoneStatus=one-way', 2, 'One-way'],
      ['/ui/p/kenya/cases?phoneStatus=invalid', 1, 'Invalid number'],
      ['/ui/p/kenya/cases?phoneStatus=none', 2, 'No number'],
      ['/ui/p/kenya/cases?optedOut=yes', 1, 'Opted out'],
      ['/ui/p/kenya/cases?consent=no', 3, 'No consent'],
      ['/ui/p/kenya/cases?caseType=household', 1, 'household'],
    ] as const) {
      const re = new RegExp(`href="${href.replace(/[?]/g, '\\?')}"[^>]*>\\s*(<span class="tile-count">${n}</span>\\s*<span class="tile-label">${label}|${label}</a> ${n})`);
      assert.match(html, re, `${label}: ${n} linking to ${href}`);
    }
  });

  test('each count is the number of cases its filter finds in the cases list', async () => {
    const d = await apiDashboard('kenya');
    for (const [filter, n] of [
      ['phoneStatus=two-way', d.contacts.twoWay],
      ['phoneStatus=one-way', d.contacts.oneWay],
      ['phoneStatus=invalid', d.contacts.invalid],
      ['phoneStatus=none', d.contacts.none],
      ['optedOut=yes', d.contacts.optedOut],
      ['consent=no', d.contacts.noConsent],
      ['caseType=household', 1],
    ] as const) {
      const res = await t.request('GET', `/api/v1/projects/kenya/cases?${filter}&limit=500`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal((res.json().items as unknown[]).length, n, filter);
    }
  });

  test('a change shows at the next load of a small project', async () => {
    const id = await createCase('Hawa', { contact_phone_number: '+254711200009', contact_phone_number_is_verified: 'true' });
    assert.equal((await apiDashboard('kenya')).contacts.twoWay, 3);
    assert.equal((await t.request('DELETE', `/api/v1/projects/kenya/cases/${id}`)).statusCode, 204);
    assert.equal((await apiDashboard('kenya')).contacts.twoWay, 2);
  });

  test('a large project reads the background count, says when it was counted, and a refresh brings changes', async () => {
    await refreshContactCounts(t.deps, kenya.id);
    const before = await getDashboard(t.deps, kenya, { liveContactsLimit: 0 });
    assert.equal(before.contacts.total, 7);
    assert.ok(before.contacts.asOf, 'the stored count with its time');
    const id = await createCase('Imani', {});
    assert.equal((await getDashboard(t.deps, kenya, { liveContactsLimit: 0 })).contacts.total, 7, 'stored, not counted again on load');
    const refreshed = await refreshContactCounts(t.deps, kenya.id);
    assert.equal(refreshed.counts.total, 8);
    const after = await getDashboard(t.deps, kenya, { liveContactsLimit: 0 });
    assert.equal(after.contacts.total, 8);
    assert.equal(after.contacts.none, 3);
    assert.equal((await t.request('DELETE', `/api/v1/projects/kenya/cases/${id}`)).statusCode, 204);
    await refreshContactCounts(t.deps, kenya.id);
  });
});

describe('messages per day for 30 days, in local days', () => {
  before(async () => {
    await insertMessages([
      // Today in Nairobi from 00:00 EAT (21:00 UTC the day before).
      { project: kenya, direction: 'in', status: 'received', at: '2026-12-03T21:00:00Z' },
      { project: kenya, direction: 'in', status: 'received', at: '2026-12-04T08:59:00Z' },
      // 23:59 EAT on 3 December.
      { project: kenya, direction: 'in', status: 'received', at: '2026-12-03T20:59:59Z' },
      { project: kenya, direction: 'out', status: 'sent', at: '2026-12-03T20:30:00Z' },
      { project: kenya, direction: 'out', status: 'delivered', at: '2026-12-03T22:00:00Z' },
      { project: kenya, direction: 'out', status: 'sent', at: '2026-12-04T06:00:00Z', providerId: 'p-late-fail' },
      { project: kenya, direction: 'out', status: 'failed', errorCode: 'NO_SUITABLE_GATEWAY', at: '2026-12-04T07:00:00Z' },
      { project: kenya, direction: 'out', status: 'failed', errorCode: 'NO_SUITABLE_GATEWAY', at: '2026-12-01T07:00:00Z' },
      { project: kenya, direction: 'out', status: 'failed', errorCode: 'PHONE_NUMBER_OPTED_OUT', at: '2026-12-01T07:00:00Z' },
      // The first day of the chart (5 November from 00:00 EAT), and the minute before it.
      { project: kenya, direction: 'out', status: 'sent', at: '2026-11-04T21:00:00Z' },
      { project: kenya, direction: 'out', status: 'sent', at: '2026-11-04T20:59:00Z' },
      { project: kenya, direction: 'out', status: 'failed', errorCode: 'INVALID_PHONE_NUMBER', at: '2026-11-04T20:59:00Z' },
      // Queued is neither sent nor failed.
      { project: kenya, direction: 'out', status: 'queued', at: '2026-12-04T08:00:00Z' },
      // India (UTC+5:30): 23:59 IST on 3 December and 00:00 IST on 4 December.
      { project: india, direction: 'in', status: 'received', at: '2026-12-03T18:29:00Z' },
      { project: india, direction: 'in', status: 'received', at: '2026-12-03T18:30:00Z' },
      { project: india, direction: 'out', status: 'failed', errorCode: 'GATEWAY_ERROR', at: '2026-12-04T07:00:00Z' },
      // Inbound of no project yet.
      { project: null, direction: 'in', status: 'received', at: '2026-12-04T07:00:00Z' },
    ]);
  });

  test('the chart has 30 local days ending today, with every message on its local day', async () => {
    const d = await apiDashboard('kenya');
    assert.equal(d.messages.days.length, 30);
    assert.equal(d.messages.days[0]?.day, '2026-11-05');
    assert.equal(d.messages.days.at(-1)?.day, '2026-12-04');
    assert.deepEqual(day(d, '2026-12-04'), { day: '2026-12-04', sent: 2, failed: 1, received: 2 });
    assert.deepEqual(day(d, '2026-12-03'), { day: '2026-12-03', sent: 1, failed: 0, received: 1 });
    assert.deepEqual(day(d, '2026-12-01'), { day: '2026-12-01', sent: 0, failed: 2, received: 0 });
    assert.deepEqual(day(d, '2026-11-05'), { day: '2026-11-05', sent: 1, failed: 0, received: 0 });
    assert.deepEqual(d.messages.totals, { sent: 4, failed: 3, received: 3 });
  });

  test('a zone with a half-hour offset: midnight IST splits the days exactly', async () => {
    const d = await apiDashboard('india');
    assert.deepEqual(day(d, '2026-12-03'), { day: '2026-12-03', sent: 0, failed: 0, received: 1 });
    assert.deepEqual(day(d, '2026-12-04'), { day: '2026-12-04', sent: 0, failed: 1, received: 1 });
    assert.deepEqual(d.messages.totals, { sent: 0, failed: 1, received: 2 });
  });

  test('top failure codes with their descriptions, most first, from this project only', async () => {
    const d = await apiDashboard('kenya');
    assert.deepEqual(d.failures, [
      { code: 'NO_SUITABLE_GATEWAY', description: errorCatalogue.NO_SUITABLE_GATEWAY, count: 2 },
      { code: 'PHONE_NUMBER_OPTED_OUT', description: errorCatalogue.PHONE_NUMBER_OPTED_OUT, count: 1 },
    ]);
    const html = (await ui.get('/ui/p/kenya/dashboard')).body;
    assert.match(html, /href="\/ui\/p\/kenya\/messages\?status=failed&(amp;)?errorCode=NO_SUITABLE_GATEWAY"/);
    assert.ok(html.includes(errorCatalogue.NO_SUITABLE_GATEWAY.replace(/'/g, '&#39;').replace(/"/g, '&#34;')) || html.includes(errorCatalogue.NO_SUITABLE_GATEWAY), 'the description in words');
  });

  test('a status change moves the count at once (update trigger), and the fold keeps the figures', async () => {
    // A delivery report turns today's sent message into a failure.
    await sql`update messages set status = 'failed', error_code = 'DELIVERY_FAILED' where provider_message_id = 'p-late-fail'`.execute(t.deps.db);
    let d = await apiDashboard('kenya');
    assert.deepEqual(day(d, '2026-12-04'), { day: '2026-12-04', sent: 1, failed: 2, received: 2 });
    assert.equal(d.failures.find((f) => f.code === 'DELIVERY_FAILED')?.count, 1);
    const folded = await foldDashboardCounts(t.deps);
    assert.ok(folded > 0, 'deltas were folded');
    const deltas = await sql<{ n: string }>`select count(*)::text as n from dashboard_message_deltas`.execute(t.deps.db);
    assert.equal(deltas.rows[0]?.n, '0');
    const again = await apiDashboard('kenya');
    assert.deepEqual(again.messages, d.messages);
    assert.deepEqual(again.failures, d.failures);
    // Deleting messages takes them out of the counts too.
    await sql`delete from messages where project_id = ${kenya.id} and status = 'failed' and error_code = 'PHONE_NUMBER_OPTED_OUT'`.execute(t.deps.db);
    d = await apiDashboard('kenya');
    assert.deepEqual(day(d, '2026-12-01'), { day: '2026-12-01', sent: 0, failed: 1, received: 0 });
    await foldDashboardCounts(t.deps);
    assert.deepEqual(day(await apiDashboard('kenya'), '2026-12-01'), { day: '2026-12-01', sent: 0, failed: 1, received: 0 });
  });

  test('the page draws a bar per figure with its number in a <title>, a legend in words and a table', async () => {
    const html = (await ui.get('/ui/p/kenya/dashboard')).body;
    assert.match(html, /<svg class="chart"[^>]*role="img"[^>]*aria-label="Messages per day for the last 30 days: 3 sent, 3 failed, 3 received\."/);
    assert.match(html, /<rect class="bar bar-received"[^>]*><title>Fri 4 Dec: 2 received<\/title><\/rect>/);
    assert.match(html, /<rect class="bar bar-failed"[^>]*><title>Fri 4 Dec: 2 failed<\/title><\/rect>/);
    assert.match(html, /<rect class="bar bar-sent"[^>]*><title>Thu 5 Nov: 1 sent<\/title><\/rect>/);
    assert.equal((html.match(/<rect class="bar /g) ?? []).length, 7, 'one bar per non-zero figure');
    assert.match(html, /<ul class="legend"[^>]*>.*sent \(3\).*failed \(3\).*received \(3\)/s);
    assert.match(html, /<th scope="row">Fri 4 Dec<\/th><td>1<\/td><td>2<\/td><td>2<\/td>/);
    assert.doesNotMatch(html, /style="/, 'no style attributes (CSP)');
  });

  test('chartDays: 30 local days, from local midnight to the next', () => {
    const r = chartDays(NOW, 'Africa/Nairobi');
    assert.equal(r.days.length, 30);
    assert.equal(r.from.toISOString(), '2026-11-04T21:00:00.000Z');
    assert.equal(r.to.toISOString(), '2026-12-04T21:00:00.000Z');
    // A day of 23 hours (clocks forward) is one day.
    const ny = chartDays(new Date('2027-03-20T12:00:00Z'), 'America/New_York');
    assert.equal(ny.days.length, 30);
    assert.equal(ny.from.toISOString(), '2027-02-19T05:00:00.000Z');
    assert.equal(ny.to.toISOString(), '2027-03-21T04:00:00.000Z');
  });
});

describe('recent opt-outs, registrations and imports', () => {
  before(async () => {
    await insertMessages([
      { project: kenya, direction: 'in', status: 'received', at: '2026-12-02T10:00:00Z', handling: 'registered-case', contactId: caseIds.invalid as string, from: '+254711200003' },
      { project: india, direction: 'in', status: 'received', at: '2026-12-02T10:00:00Z', handling: 'registered-case', from: '+919800000000' },
    ]);
    await sql`
      insert into imports (project_id, file_name, file_type, has_headers, columns, row_count, status, created, updated, failed)
      values (${kenya.id}, 'clinic-list.csv', 'csv', true, '[]'::jsonb, 120, 'done', 100, 15, 5),
             (${india.id}, 'india-secret.csv', 'csv', true, '[]'::jsonb, 3, 'done', 3, 0, 0)`.execute(t.deps.db);
  });

  test('each list has its items with links, and only this project’s', async () => {
    const d = await apiDashboard('kenya');
    assert.equal(d.recent.optOuts.length, 1);
    assert.deepEqual(d.recent.optOuts[0]?.contact, { type: 'case', id: caseIds.optedOut, name: 'worker Faith' });
    assert.equal(d.recent.optOuts[0]?.method, 'keyword');
    assert.deepEqual(
      d.recent.registrations.map((r) => [r.type, r.contact?.name, r.number]),
      [['case', 'Chebet', '+254711200003']],
    );
    assert.deepEqual(
      d.recent.imports.map((i) => [i.fileName, i.status, i.rows, i.created]),
      [['clinic-list.csv', 'done', 120, 100]],
    );
    const html = (await ui.get('/ui/p/kenya/dashboard')).body;
    assert.match(html, new RegExp(`href="/ui/p/kenya/cases/${caseIds.optedOut}">worker Faith</a> <span class="muted">replied with an opt-out word`));
    assert.match(html, new RegExp(`href="/ui/p/kenya/cases/${caseIds.invalid}">Chebet</a>`));
    assert.match(html, /href="\/ui\/p\/kenya\/imports\/[0-9a-f-]{36}">clinic-list\.csv<\/a>/);
    assert.doesNotMatch(html, /india-secret|\+9198/);
  });
});

describe('who may read it', () => {
  test('a member reads the page and the API; a non-member gets nothing', async () => {
    const d = await apiDashboard('kenya', memberToken);
    assert.equal(d.project, 'kenya');
    assert.equal((await t.request('GET', '/api/v1/projects/india/dashboard', { token: memberToken })).statusCode, 404);
    const member = await uiSession(t, 'member@example.org', 'member-password');
    assert.equal((await member.get('/ui/p/kenya/dashboard')).statusCode, 200);
    assert.equal((await member.get('/ui/p/india/dashboard')).statusCode, 404);
    assert.equal((await t.app.inject({ method: 'GET', url: '/ui/p/kenya/dashboard' })).statusCode, 302);
  });

  test('the page and the API give the same figures', async () => {
    const d = await apiDashboard('kenya');
    const html = (await ui.get('/ui/p/kenya/dashboard')).body;
    assert.match(html, new RegExp(`<span class="tile-count">${d.contacts.twoWay}</span>\\s*<span class="tile-label">Two-way`));
    assert.ok(html.includes(`sent (${d.messages.totals.sent})`));
  });
});
