import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
before(async () => {
  t = await createTestApp();
  await t.createProject('kenya', { defaultCountry: 'KE', timeZone: 'Africa/Nairobi', languages: ['en', 'sw'], defaultLanguage: 'en' });
});
after(() => t.close());

async function createCase(properties: Record<string, unknown>, name = 'Amina') {
  const res = await t.request('POST', '/api/v1/projects/kenya/cases', { body: { caseType: 'patient', name, properties } });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

describe('case contacts', () => {
  test('a national number with the project country becomes E.164 and consent gives two-way', async () => {
    const c = await createCase({ contact_phone_number: '0712 345 678', contact_phone_number_is_verified: 1 });
    assert.equal(c.contact.phoneNumber, '+254712345678');
    assert.equal(c.contact.phoneStatus, 'two-way');
    assert.equal(c.contact.smsConsent, true);
    assert.equal(c.properties.contact_phone_number_is_verified, '1');
    assert.deepEqual(c.contact.problems, []);
  });

  test('consent values: 1, "1", true, "TRUE" mean yes; 0, false, no, blank mean no', async () => {
    const yes = [1, '1', true, 'TRUE', ' true '];
    const no = [0, '0', false, 'false', 'no', ' ', 'yes'];
    let n = 5100;
    for (const v of yes) {
      const c = await createCase({ contact_phone_number: `+25471234${n++}`, contact_phone_number_is_verified: v });
      assert.equal(c.contact.smsConsent, true, `value ${JSON.stringify(v)}`);
      assert.equal(c.contact.phoneStatus, 'two-way', `value ${JSON.stringify(v)}`);
    }
    for (const v of no) {
      const c = await createCase({ contact_phone_number: `+25471234${n++}`, contact_phone_number_is_verified: v });
      assert.equal(c.contact.smsConsent, false, `value ${JSON.stringify(v)}`);
      assert.equal(c.contact.phoneStatus, 'one-way', `value ${JSON.stringify(v)}`);
    }
  });

  test('invalid numbers are listed as a problem and the case is still saved', async () => {
    for (const raw of ['1-800-FLOWERS', '12345', '15551234567']) {
      const c = await createCase({ contact_phone_number: raw });
      assert.equal(c.contact.phoneStatus, 'invalid');
      assert.equal(c.contact.phoneNumber, null);
      assert.equal(c.contact.problems[0].code, 'INVALID_PHONE_NUMBER');
      assert.equal(c.contact.problems[0].field, 'contact_phone_number');
      const again = await t.request('GET', `/api/v1/projects/kenya/cases/${c.id}`);
      assert.equal(again.json().properties.contact_phone_number, raw);
    }
  });

  test('"0" means no number', async () => {
    const c = await createCase({ contact_phone_number: '0' });
    assert.equal(c.contact.phoneStatus, 'none');
    assert.deepEqual(c.contact.problems, []);
  });

  test('time zone, language, email problems and fallbacks', async () => {
    const c = await createCase({ time_zone: 'Mars/Olympus', language_code: 'fr', commcare_email_address: 'not-an-email' });
    const codes = c.contact.problems.map((p: { code: string }) => p.code).sort();
    assert.deepEqual(codes, ['INVALID_EMAIL_ADDRESS', 'INVALID_TIME_ZONE', 'UNKNOWN_LANGUAGE']);
    assert.equal(c.contact.timeZone, 'Africa/Nairobi');
    assert.equal(c.contact.language, 'en');
    const ok = await createCase({ time_zone: 'america/new_york', language_code: 'SW', commcare_email_address: 'amina@example.org', contact_backend_id: ' test2 ' });
    assert.equal(ok.contact.timeZone, 'America/New_York');
    assert.equal(ok.contact.language, 'sw');
    assert.equal(ok.contact.email, 'amina@example.org');
    assert.equal(ok.contact.gateway, 'TEST2');
    assert.deepEqual(ok.contact.problems, []);
  });

  test('PATCH merges properties; null or "" clears one', async () => {
    const c = await createCase({ a: 'x', b: 'y', contact_phone_number: '+254712349999' });
    const res = await t.request('PATCH', `/api/v1/projects/kenya/cases/${c.id}`, { body: { name: 'Renamed', properties: { a: null, b: '', c: 3, d: false } } });
    assert.equal(res.statusCode, 200, res.body);
    const u = res.json();
    assert.equal(u.name, 'Renamed');
    assert.deepEqual(u.properties, { c: '3', d: 'false', contact_phone_number: '+254712349999' });
  });

  test('close marks the case closed', async () => {
    const c = await createCase({ contact_phone_number: '+254712348888' });
    const res = await t.request('POST', `/api/v1/projects/kenya/cases/${c.id}/close`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().closed, true);
  });

  test('list with cursor pagination and caseType filter', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await t.request('POST', '/api/v1/projects/kenya/cases', { body: { caseType: 'household', name: `H${i}` } });
      assert.equal(res.statusCode, 201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/projects/kenya/cases?caseType=household&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await t.request('GET', url)).json();
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((c: { name: string }) => c.name));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, ['H0', 'H1', 'H2', 'H3', 'H4']);
    const bad = await t.request('GET', '/api/v1/projects/kenya/cases?cursor=nonsense');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'VALIDATION_ERROR');
  });

  test('unknown case → 404 NOT_FOUND', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid']) {
      const res = await t.request('GET', `/api/v1/projects/kenya/cases/${id}`);
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().error.code, 'NOT_FOUND');
    }
  });
});

describe('phone validation mode', () => {
  test('strict rejects the seeds 15551234567 saying why; possible accepts it', async () => {
    await t.createProject('trial', { phoneValidation: 'possible' });
    const strict = await createCase({ contact_phone_number: '15551234567' });
    assert.equal(strict.contact.phoneStatus, 'invalid');
    assert.match(strict.contact.problems[0].message, /not a number in use/);
    const res = await t.request('POST', '/api/v1/projects/trial/cases', { body: { caseType: 'patient', name: 'Test', properties: { contact_phone_number: '15551234567' } } });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json().contact.phoneNumber, '+15551234567');
    assert.equal(res.json().contact.phoneStatus, 'one-way');
    assert.deepEqual(res.json().contact.problems, []);
  });

  test('seed numbers with the country code first normalise in any project', async () => {
    for (const [raw, e164] of [['919812345678', '+919812345678'], ['12068130912', '+12068130912'], ['+1 (206) 813-0912', '+12068130912']]) {
      const c = await createCase({ contact_phone_number: raw });
      assert.equal(c.contact.phoneNumber, e164, raw);
      assert.equal(c.contact.phoneStatus, 'one-way', raw);
    }
  });
});
