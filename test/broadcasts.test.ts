import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { CHUNK } from '../src/services/broadcasts.service.ts';
import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { createTestApp, type TestApp, waitFinished } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;

before(async () => {
  t = await createTestApp({ jobs: true });
  await t.createProject('bc', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi' });
  await t.request('POST', '/api/v1/projects/bc/gateways', { body: { name: 'test', type: 'test' } });
  await t.request('PUT', '/api/v1/projects/bc/gateway-routes', { body: [{ prefix: '*', gateway: 'TEST' }] });
});
after(() => t.close());

async function newCase(name: string, properties: Record<string, unknown>, caseType = 'mother'): Promise<Json> {
  const res = await t.request('POST', '/api/v1/projects/bc/cases', { body: { caseType, name, properties } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

function waitDone(id: string): Promise<Json> {
  return waitFinished(t, `/api/v1/projects/bc/broadcasts/${id}`, 30_000);
}

describe('broadcasts', () => {
  test('one message per recipient, each with its own checks; sendAt in each recipient zone', async () => {
    const nairobi = await newCase('Nairobi', { contact_phone_number: '+254712100001', village: 'A' });
    const newYork = await newCase('New York', { contact_phone_number: '+12068130900', contact_phone_number_is_verified: 1, time_zone: 'America/New_York', village: 'A' });
    await newCase('No consent', { contact_phone_number: '+12068130901', village: 'A' });
    await newCase('No number', { village: 'A' });
    await newCase('Other village', { contact_phone_number: '+254712100002', village: 'B' });
    await newCase('Other type', { contact_phone_number: '+254712100003', village: 'A' }, 'child');
    const res = await t.request('POST', '/api/v1/projects/bc/broadcasts', { body: { recipients: { caseType: 'mother', where: { village: 'A' } }, text: 'Clinic day', sendAt: '2031-01-15T09:00' } });
    assert.equal(res.statusCode, 202, res.body);
    assert.ok(['pending', 'expanding', 'done'].includes(res.json().status));
    const b = await waitDone(res.json().id);
    assert.equal(b.status, 'done');
    assert.equal(b.total, 4);
    assert.deepEqual(b.counts, { scheduled: 2, queued: 0, sent: 0, delivered: 0, failed: 2 });
    assert.deepEqual(b.errorCounts, { NO_SMS_CONSENT: 1, NO_PHONE_NUMBER: 1 });
    const log = (await t.request('GET', `/api/v1/projects/bc/messages?caseId=${nairobi.id}`)).json();
    assert.equal(log.items[0].scheduledFor, '2031-01-15T06:00:00.000Z');
    const ny = (await t.request('GET', `/api/v1/projects/bc/messages?caseId=${newYork.id}`)).json();
    assert.equal(ny.items[0].scheduledFor, '2031-01-15T14:00:00.000Z');
  });

  test('by case ids and worker ids; unknown ids are counted as missing, not ignored', async () => {
    const a = await newCase('A', { contact_phone_number: '+254712100010' }, 'x');
    const w = (await t.request('POST', '/api/v1/projects/bc/mobile-workers', { body: { username: 'bc-worker' } })).json();
    await t.request('POST', `/api/v1/projects/bc/mobile-workers/${w.id}/phone-numbers`, { body: { number: '+254712100011' } });
    const byCase = await t.request('POST', '/api/v1/projects/bc/broadcasts', { body: { recipients: { caseIds: [a.id, '00000000-0000-0000-0000-000000000000', 'junk'] }, text: 'hi' } });
    const b1 = await waitDone(byCase.json().id);
    assert.equal(b1.total, 1);
    assert.equal(b1.missing, 2);
    const byWorker = await t.request('POST', '/api/v1/projects/bc/broadcasts', { body: { recipients: { mobileWorkerIds: [w.id] }, translations: { en: 'Hello worker' } } });
    const b2 = await waitDone(byWorker.json().id);
    assert.equal(b2.total, 1);
    while ((await dispatchOnce(t.deps, { batchSize: 100, leaseMs: 60_000 })) > 0) {
      // send what is due
    }
    const sent = await waitDone(byWorker.json().id);
    assert.equal(sent.counts.sent, 1);
  });

  test('a broadcast larger than one chunk is expanded completely, each recipient once', async () => {
    const n = CHUNK + 37;
    const values = Array.from({ length: n }, (_, i) => ({ caseType: 'bulk', name: `B${i}`, properties: { contact_phone_number: `+2547131${String(i).padStart(5, '0')}` } }));
    const project = (await t.request('GET', '/api/v1/projects/bc')).json();
    // Insert directly for speed; the contact is derived from the properties on read.
    await t.deps.db
      .insertInto('cases')
      .values(values.map((v) => ({ project_id: project.id, case_type: v.caseType, name: v.name, owner_id: null, external_id: null, properties: JSON.stringify(v.properties), phone_number: null, closed_at: null, deleted_at: null })))
      .execute();
    const res = await t.request('POST', '/api/v1/projects/bc/broadcasts', { body: { recipients: { caseType: 'bulk' }, text: 'hi' } });
    const b = await waitDone(res.json().id);
    assert.equal(b.total, n);
    assert.equal(b.counts.queued, n);
    const distinct = await t.deps.db.selectFrom('messages').select((eb) => eb.fn.count<string>('contact_id').distinct().as('n')).where('broadcast_id', '=', b.id).executeTakeFirstOrThrow();
    assert.equal(Number(distinct.n), n);
  });

  test('bad requests are refused', async () => {
    const none = await t.request('POST', '/api/v1/projects/bc/broadcasts', { body: { recipients: { caseType: 'x' } } });
    assert.equal(none.statusCode, 400);
    const both = await t.request('POST', '/api/v1/projects/bc/broadcasts', { body: { recipients: { caseType: 'x', caseIds: ['a'] }, text: 'x' } });
    assert.equal(both.statusCode, 400);
    assert.equal((await t.request('GET', '/api/v1/projects/bc/broadcasts/00000000-0000-0000-0000-000000000000')).statusCode, 404);
  });
});
