/**
 * After a project's phoneValidation or defaultCountry changes, the background job
 * `contacts-reevaluate` brings every case's stored number and phone registry entry in line with the
 * new reading (issue 22), through the HTTP API and the real job queue; chunks of 2 cases, so every
 * run spans several chunks. Superseding and resuming are driven by hand with a queue that only
 * records what would be enqueued.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { sql } from 'kysely';

import type { JobQueue } from '../src/services/deps.ts';
import { reevaluateChunk, reevaluateContacts, resumeStalledReevaluations } from '../src/services/contact-reevaluation.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { uiSession } from './support/ui-session.ts';

type Json = Record<string, any>;
let t: TestApp;

before(async () => {
  t = await createTestApp({ jobs: true, importChunkRows: 2 });
});
after(() => t.close());

async function newCase(project: string, name: string, properties: Record<string, unknown>): Promise<string> {
  const res = await t.request('POST', `/api/v1/projects/${project}/cases`, { body: { caseType: 'patient', name, properties } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id;
}

async function patch(project: string, body: Json): Promise<Json> {
  const res = await t.request('PATCH', `/api/v1/projects/${project}`, { body });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

const progressOf = async (project: string): Promise<Json | null> => (await t.request('GET', `/api/v1/projects/${project}/contact-reevaluation`)).json();

/** Waits for the queue's runner to finish the project's re-evaluation. */
async function settled(project: string): Promise<Json> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await progressOf(project);
    if (r?.status !== 'running' || Date.now() > deadline) {
      assert.ok(r);
      return r;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Jobs enqueued while `fn` runs are only recorded (no runner picks them up). */
async function withRecordedJobs<T>(fn: (jobs: string[]) => Promise<T>): Promise<T> {
  const real = t.deps.queue;
  const jobs: string[] = [];
  const recorder: JobQueue = {
    enqueue(_db, name, data) {
      if (name === 'contacts-reevaluate') {
        jobs.push((data as { reevaluationId: string }).reevaluationId);
      }
      return Promise.resolve();
    },
  };
  t.deps.queue = recorder;
  try {
    return await fn(jobs);
  } finally {
    t.deps.queue = real;
  }
}

/**
 * For every case: the stored number is the one read now, the case holds exactly the entry its
 * contact shows (none for an invalid number or a closed case) and the registry look-up agrees.
 * Returns each case's contact by name.
 */
async function assertConsistent(project: string, ids: readonly string[]): Promise<Map<string, Json>> {
  const out = new Map<string, Json>();
  for (const id of ids) {
    const c = (await t.request('GET', `/api/v1/projects/${project}/cases/${id}`)).json();
    const row = await t.deps.db.selectFrom('cases').select('phone_number').where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(row.phone_number, c.contact.phoneNumber, `${c.name}: the stored number follows the reading`);
    const entries = await t.deps.db.selectFrom('phone_entries').select(['number', 'state']).where('owner_type', '=', 'case').where('owner_id', '=', id).execute();
    if (c.contact.phoneNumber === null || c.closed) {
      assert.deepEqual(entries, [], `${c.name} holds no entry`);
    } else {
      assert.deepEqual(entries, [{ number: c.contact.phoneNumber, state: c.contact.phoneStatus }], `${c.name}: its entry is its contact's`);
      const lookup = (await t.request('GET', `/api/v1/projects/${project}/phone-numbers/${encodeURIComponent(c.contact.phoneNumber)}`)).json();
      assert.ok(lookup.entries.some((e: Json) => e.ownerType === 'case' && e.ownerId === id && e.state === c.contact.phoneStatus), `${c.name} in the registry look-up`);
      const heldHere = lookup.entries.filter((e: Json) => e.state !== 'one-way');
      if (c.contact.smsConsent) {
        // A consented case holds its number two-way unless someone else does.
        const someoneElse = lookup.twoWayElsewhere || heldHere.some((e: Json) => e.ownerId !== id);
        assert.equal(c.contact.phoneStatus, someoneElse ? 'one-way' : 'two-way', `${c.name}: two-way unless held elsewhere`);
        assert.equal(c.contact.problems.some((p: Json) => p.code === 'PHONE_NUMBER_IN_USE'), someoneElse, `${c.name}: PHONE_NUMBER_IN_USE when it lost`);
      }
      assert.ok(heldHere.length <= 1, `${c.contact.phoneNumber} has at most one holder`);
    }
    out.set(c.name, c.contact);
  }
  return out;
}

function summary(contacts: Map<string, Json>): Record<string, [string | null, string]> {
  return Object.fromEntries([...contacts].map(([name, c]) => [name, [c.phoneNumber, c.phoneStatus]]));
}

const consentEvents = async (projectId: string) => Number((await sql<{ n: string }>`select count(*) as n from consent_events where project_id = ${projectId}`.execute(t.deps.db)).rows[0]?.n);

describe('re-checking case numbers after a settings change', () => {
  test('strict → possible → strict: each case holds exactly the entry its number and consent give it, and no consent event is written', async () => {
    const p = (await t.createProject('usa-test', { defaultCountry: 'KE' })) as { id: string };
    // Another project, relaxed from the start, already holds one test number two-way.
    await t.createProject('elsewhere', { phoneValidation: 'possible' });
    await newCase('elsewhere', 'Holder elsewhere', { contact_phone_number: '+1 555 123 0006', contact_phone_number_is_verified: 1 });
    const ids = [
      await newCase('usa-test', 'Consented', { contact_phone_number: '+1 555 123 0002', contact_phone_number_is_verified: 1 }),
      await newCase('usa-test', 'No consent', { contact_phone_number: '+1 (555) 123-0003' }),
      await newCase('usa-test', 'First of two', { contact_phone_number: '15551230004', contact_phone_number_is_verified: 'true' }),
      await newCase('usa-test', 'Second of two', { contact_phone_number: '+1 555 123 0004', contact_phone_number_is_verified: 1 }),
      await newCase('usa-test', 'Kenyan', { contact_phone_number: '0712345678', contact_phone_number_is_verified: 1 }),
      await newCase('usa-test', 'Real US', { contact_phone_number: '+1 206 813 0912', contact_phone_number_is_verified: 1 }),
      await newCase('usa-test', 'Held elsewhere', { contact_phone_number: '+1 555 123 0006', contact_phone_number_is_verified: 1 }),
      await newCase('usa-test', 'Closed', { contact_phone_number: '+1 555 123 0005', contact_phone_number_is_verified: 1 }),
      await newCase('usa-test', 'No number', { colour: 'blue' }),
    ];
    assert.equal((await t.request('POST', `/api/v1/projects/usa-test/cases/${ids[7]}/close`)).statusCode, 200);
    const before = await assertConsistent('usa-test', ids);
    assert.deepEqual(summary(before), {
      Consented: [null, 'invalid'],
      'No consent': [null, 'invalid'],
      'First of two': [null, 'invalid'],
      'Second of two': [null, 'invalid'],
      Kenyan: ['+254712345678', 'two-way'],
      'Real US': ['+12068130912', 'two-way'],
      'Held elsewhere': [null, 'invalid'],
      Closed: [null, 'invalid'],
      'No number': [null, 'none'],
    });
    const events = await consentEvents(p.id);

    await patch('usa-test', { phoneValidation: 'possible' });
    // The reading follows at once; the registry and the stored number follow with the job.
    assert.equal((await t.request('GET', `/api/v1/projects/usa-test/cases/${ids[0]}`)).json().contact.phoneNumber, '+15551230002');
    const relaxed = await settled('usa-test');
    assert.equal(relaxed.status, 'done');
    assert.deepEqual([relaxed.done, relaxed.total], [8, 8], 'every case that may have a number, closed ones too (their stored number is searched)');
    assert.deepEqual(relaxed.settings, { defaultCountry: 'KE', phoneValidation: 'possible' });
    assert.ok(relaxed.finishedAt >= relaxed.startedAt);
    assert.deepEqual(summary(await assertConsistent('usa-test', ids)), {
      Consented: ['+15551230002', 'two-way'],
      'No consent': ['+15551230003', 'one-way'],
      'First of two': ['+15551230004', 'two-way'],
      'Second of two': ['+15551230004', 'one-way'],
      Kenyan: ['+254712345678', 'two-way'],
      'Real US': ['+12068130912', 'two-way'],
      'Held elsewhere': ['+15551230006', 'one-way'],
      Closed: ['+15551230005', 'none'],
      'No number': [null, 'none'],
    });
    const lookup = (await t.request('GET', '/api/v1/projects/usa-test/phone-numbers/%2B15551230006')).json();
    assert.equal(lookup.twoWayElsewhere, true, 'the other project keeps its number');

    await patch('usa-test', { phoneValidation: 'strict' });
    const strict = await settled('usa-test');
    assert.deepEqual([strict.status, strict.done, strict.total], ['done', 8, 8]);
    assert.deepEqual(summary(await assertConsistent('usa-test', ids)), summary(before));
    for (const n of ['15551230002', '15551230003', '15551230004', '15551230005']) {
      assert.deepEqual((await t.request('GET', `/api/v1/projects/usa-test/phone-numbers/${n}`)).json().entries, [], `${n} has no entry left`);
    }
    assert.equal(await consentEvents(p.id), events, 'the consent ledger is unchanged: nobody changed their consent');
  });

  test('a new default country reads national numbers again: the case moves to its new number and the old one goes to the next in line', async () => {
    await t.createProject('moving', { defaultCountry: 'KE' });
    const ids = [
      await newCase('moving', 'National', { contact_phone_number: '0712000001', contact_phone_number_is_verified: 1 }),
      await newCase('moving', 'Waiting', { contact_phone_number: '+254712000001', contact_phone_number_is_verified: 1 }),
      await newCase('moving', 'International', { contact_phone_number: '+254712000002' }),
    ];
    assert.deepEqual(summary(await assertConsistent('moving', ids)), {
      National: ['+254712000001', 'two-way'],
      Waiting: ['+254712000001', 'one-way'],
      International: ['+254712000002', 'one-way'],
    });
    await patch('moving', { defaultCountry: 'UG' });
    assert.deepEqual([(await settled('moving')).done, (await settled('moving')).total], [3, 3]);
    assert.deepEqual(summary(await assertConsistent('moving', ids)), {
      National: ['+256712000001', 'two-way'],
      Waiting: ['+254712000001', 'two-way'],
      International: ['+254712000002', 'one-way'],
    });
    // Without a default country a national number cannot be read at all: it holds nothing.
    await patch('moving', { defaultCountry: null });
    await settled('moving');
    const contacts = await assertConsistent('moving', ids);
    assert.deepEqual(summary(contacts), {
      National: [null, 'invalid'],
      Waiting: ['+254712000001', 'two-way'],
      International: ['+254712000002', 'one-way'],
    });
    assert.equal(contacts.get('National')?.problems[0].code, 'INVALID_PHONE_NUMBER');
  });

  test('progress on GET project and GET …/contact-reevaluation (members); only a number setting starts one; no case with a number is done at once', async () => {
    await t.createProject('progress', { defaultCountry: 'KE' });
    const member = await t.createMember('progress', 'member');
    assert.equal((await t.request('GET', '/api/v1/projects/progress', { token: member })).json().contactReevaluation, null);
    const none = await t.request('GET', '/api/v1/projects/progress/contact-reevaluation', { token: member });
    assert.equal(none.statusCode, 200);
    assert.equal(none.json(), null);
    // Other settings do not re-check numbers.
    await patch('progress', { helpText: 'Reply HELP', timeZone: 'Africa/Nairobi', defaultCountry: 'ke' });
    assert.equal(await progressOf('progress'), null, 'the same country, however spelt, is no change');
    // No case with a number: done at once, with nothing to do.
    const patched = await patch('progress', { phoneValidation: 'possible' });
    assert.equal(patched.contactReevaluation.status, 'done');
    assert.deepEqual([patched.contactReevaluation.done, patched.contactReevaluation.total], [0, 0]);
    await newCase('progress', 'One', { contact_phone_number: '+15551230100' });
    await patch('progress', { phoneValidation: 'strict' });
    const done = await settled('progress');
    const project = (await t.request('GET', '/api/v1/projects/progress', { token: member })).json();
    assert.deepEqual(project.contactReevaluation, done);
    assert.deepEqual(Object.keys(done).sort(), ['done', 'error', 'errorCode', 'finishedAt', 'settings', 'startedAt', 'status', 'total']);
    assert.deepEqual([done.status, done.done, done.total, done.error], ['done', 1, 1, null]);
    // Starting it again by hand is for project admins.
    const refused = await t.request('POST', '/api/v1/projects/progress/contact-reevaluation', { token: member });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error.code, 'FORBIDDEN');
    const again = await t.request('POST', '/api/v1/projects/progress/contact-reevaluation');
    assert.equal(again.statusCode, 202, again.body);
    assert.equal(again.json().total, 1);
    assert.equal((await settled('progress')).status, 'done');
  });

  test('a second change while one runs replaces it: the old job stops at its next chunk and the new one starts from the beginning', async () => {
    await t.createProject('superseded', { defaultCountry: 'KE' });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(await newCase('superseded', `Case ${i}`, { contact_phone_number: `+1 555 123 02${i}0`, contact_phone_number_is_verified: 1 }));
    }
    await withRecordedJobs(async (jobs) => {
      await patch('superseded', { phoneValidation: 'possible' });
      const first = jobs[0] as string;
      assert.equal(await reevaluateChunk(t.deps, first), 'more');
      assert.deepEqual([(await progressOf('superseded'))?.done, (await progressOf('superseded'))?.total], [2, 7]);
      await patch('superseded', { phoneValidation: 'strict', defaultCountry: 'US' });
      const second = jobs[1] as string;
      assert.ok(second && second !== first);
      const replaced = await progressOf('superseded');
      assert.deepEqual([replaced?.status, replaced?.done, replaced?.total, replaced?.settings], ['running', 0, 7, { defaultCountry: 'US', phoneValidation: 'strict' }]);
      // The old runner's next chunk finds its re-evaluation gone and stops without touching anything.
      const row = await t.deps.db.selectFrom('contact_reevaluations').selectAll().where('id', '=', second).executeTakeFirstOrThrow();
      await reevaluateContacts(t.deps, first);
      assert.deepEqual(await t.deps.db.selectFrom('contact_reevaluations').selectAll().where('id', '=', second).executeTakeFirstOrThrow(), row);
      await reevaluateContacts(t.deps, second);
    });
    const done = await progressOf('superseded');
    assert.deepEqual([done?.status, done?.done, done?.total], ['done', 7, 7]);
    const contacts = await assertConsistent('superseded', ids);
    assert.ok([...contacts.values()].every((c) => c.phoneStatus === 'invalid'), 'the newer settings apply to every case, those of the first chunk too');
  });

  test('a runner that dies mid-way is replaced, and the new runner continues from the cursor', async () => {
    await t.createProject('resumed', { defaultCountry: 'KE' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await newCase('resumed', `Case ${i}`, { contact_phone_number: `+1 555 123 03${i}0`, contact_phone_number_is_verified: 1 }));
    }
    await withRecordedJobs(async (jobs) => {
      await patch('resumed', { phoneValidation: 'possible' });
      const id = jobs[0] as string;
      // The first runner commits one chunk (cases 0 and 1), then dies.
      assert.equal(await reevaluateChunk(t.deps, id), 'more');
      // Marked: if the next runner started again from the beginning, it would repair this.
      await sql`update cases set phone_number = '+15559999999' where id = ${ids[0]}`.execute(t.deps.db);
      assert.equal(await resumeStalledReevaluations(t.deps, 60_000), 0, 'not taken over inside its lease');
      assert.equal(await resumeStalledReevaluations(t.deps, 0), 1, 'taken over once the lease has passed');
      assert.deepEqual(jobs, [id, id]);
      await reevaluateContacts(t.deps, id);
      const done = await progressOf('resumed');
      assert.deepEqual([done?.status, done?.done, done?.total], ['done', 5, 5], 'each case counted once');
      assert.equal(await resumeStalledReevaluations(t.deps, 0), 0, 'a finished one is not taken over');
    });
    const marked = await t.deps.db.selectFrom('cases').select('phone_number').where('id', '=', ids[0] as string).executeTakeFirstOrThrow();
    assert.equal(marked.phone_number, '+15559999999', 'the cases before the cursor were not redone');
    await sql`update cases set phone_number = '+15551230300' where id = ${ids[0]}`.execute(t.deps.db);
    const contacts = await assertConsistent('resumed', ids);
    assert.ok([...contacts.values()].every((c) => c.phoneStatus === 'two-way'));
  });
});

describe('the settings page', () => {
  test('shows the progress with a <progress> bar while it runs, what stopped a failed one, and starts it again', async () => {
    const p = (await t.createProject('page', { defaultCountry: 'KE' })) as { id: string };
    await newCase('page', 'One', { contact_phone_number: '+15551230400' });
    const s = await uiSession(t);
    const get = (url: string) => s.get(url);
    assert.doesNotMatch((await get('/ui/p/page/settings')).body, /contact-reevaluation/, 'nothing to show before a change');
    await withRecordedJobs(async () => {
      await patch('page', { phoneValidation: 'possible' });
      await sql`update contact_reevaluations set done = 1234, total = 5000 where project_id = ${p.id}`.execute(t.deps.db);
      const running = (await get('/ui/p/page/settings')).body;
      assert.match(running, /Re-checking contacts(&#39;|')s? numbers after the settings change: 1,234 of 5,000/);
      assert.match(running, /<progress id="contact-reevaluation-bar"[^>]* max="5000" value="1234"/);
      assert.match(running, /hx-get="\/ui\/p\/page\/settings\/contact-reevaluation"/, 'htmx asks for the card again while it runs');
      const card = await get('/ui/p/page/settings/contact-reevaluation');
      assert.equal(card.statusCode, 200);
      assert.match(card.body, /^<section id="contact-reevaluation"/);
      await sql`update contact_reevaluations set status = 'failed', error = ${'<b>disk</b> broke'}, error_code = 'INTERNAL_ERROR', finished_at = now() where project_id = ${p.id}`.execute(t.deps.db);
    });
    const failed = (await get('/ui/p/page/settings')).body;
    assert.match(failed, /stopped at 1,234 of 5,000/);
    assert.match(failed, /&lt;b(&gt;|>)disk&lt;\/b(&gt;|>) broke \(INTERNAL_ERROR\)/, 'the error is escaped');
    assert.doesNotMatch(failed, /<b>disk/);
    const restart = await s.post('/ui/p/page/settings/contact-reevaluation', {});
    assert.equal(restart.statusCode, 302, restart.body);
    assert.equal(restart.headers.location, '/ui/p/page/settings');
    const done = await settled('page');
    assert.deepEqual([done.status, done.done, done.total], ['done', 1, 1]);
    assert.match((await get('/ui/p/page/settings')).body, /Re-checked contacts(&#39;|')s? numbers after the settings change: 1 of 1/);
  });
});
