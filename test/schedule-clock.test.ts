/**
 * Scheduled messages when the clock jumps around daylight-saving changes (America/New_York): a
 * local time in the spring-forward gap goes out at the moved-forward instant; a clock that jumps
 * ahead sends exactly what became due; a clock that jumps back sends nothing twice; a local time in
 * the autumn overlap goes out once, at the earlier instant.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let now = new Date('2031-03-09T06:00:00Z');
let caseId = '';
before(async () => {
  t = await createTestApp({ clock: () => now });
  await t.createProject('dst', { timeZone: 'America/New_York', defaultCountry: 'KE' });
  await t.request('POST', '/api/v1/projects/dst/gateways', { body: { name: 'sms', type: 'test' } });
  await t.request('PUT', '/api/v1/projects/dst/gateway-routes', { body: [{ prefix: '*', gateway: 'SMS' }] });
  const c = await t.request('POST', '/api/v1/projects/dst/cases', {
    body: { caseType: 'patient', name: 'Grace', properties: { contact_phone_number: '+254712345678', contact_phone_number_is_verified: '1', time_zone: 'America/New_York' } },
  });
  caseId = c.json().id;
});
after(() => t.close());

async function schedule(text: string, sendAt: string): Promise<string> {
  const res = await t.request('POST', '/api/v1/projects/dst/messages', { body: { recipient: { caseId }, text, sendAt } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().scheduledFor;
}

async function sentTexts(): Promise<string[]> {
  const outbox = await t.request('GET', '/api/v1/projects/dst/gateways/SMS/outbox');
  return (outbox.json() as Array<{ text: string }>).map((m) => m.text);
}

async function at(iso: string): Promise<string[]> {
  now = new Date(iso);
  await dispatchOnce(t.deps, { batchSize: 50, leaseMs: 60_000 });
  return sentTexts();
}

test('spring forward: the gap moves forward, jumps ahead send what is due, jumps back resend nothing', async () => {
  assert.equal(await schedule('gap 02:30', '2031-03-09T02:30'), '2031-03-09T07:30:00.000Z');
  assert.equal(await schedule('after 03:15', '2031-03-09T03:15'), '2031-03-09T07:15:00.000Z');
  assert.deepEqual(await at('2031-03-09T06:59:00Z'), []);
  assert.deepEqual(await at('2031-03-09T07:20:00Z'), ['after 03:15'], 'the clock jumped ahead past 03:15 EDT');
  assert.deepEqual(await at('2031-03-09T06:30:00Z'), ['after 03:15'], 'the clock jumped back: nothing new, nothing twice');
  assert.deepEqual(await at('2031-03-09T07:31:00Z'), ['after 03:15', 'gap 02:30']);
  assert.deepEqual(await at('2031-03-09T09:00:00Z'), ['after 03:15', 'gap 02:30']);
});

test('fall back: 01:30 happens twice; the message goes once, at the earlier instant', async () => {
  assert.equal(await schedule('overlap 01:30', '2031-11-02T01:30'), '2031-11-02T05:30:00.000Z');
  const before = await at('2031-11-02T05:29:00Z');
  assert.equal(before.includes('overlap 01:30'), false);
  assert.equal((await at('2031-11-02T05:31:00Z')).filter((x) => x === 'overlap 01:30').length, 1);
  assert.equal((await at('2031-11-02T06:31:00Z')).filter((x) => x === 'overlap 01:30').length, 1, 'the second 01:30 (EST) sends nothing');
});
