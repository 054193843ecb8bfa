/**
 * Bad input anywhere gets a 4xx with a code from the catalogue, and nothing is half-written:
 * malformed JSON, empty and non-object bodies, wrong types, unknown fields, very long strings,
 * oversized bodies, invalid UTF-8, NUL characters, __proto__ keys, wrong content types, and
 * SQL-looking strings in filters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;
let codes: Set<string>;
let caseId = '';
let workerId = '';

async function counts(): Promise<string> {
  const db = t.deps.db;
  const tables = ['projects', 'users', 'memberships', 'cases', 'mobile_workers', 'phone_entries', 'gateways', 'gateway_routes', 'messages', 'broadcasts', 'consent_events'] as const;
  const out: Record<string, number> = {};
  for (const table of tables) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  const c = await db.selectFrom('cases').select(['name', 'properties']).where('id', '=', caseId).executeTakeFirst();
  return JSON.stringify({ out, c });
}

before(async () => {
  t = await createTestApp();
  await t.createProject('p1', { defaultCountry: 'KE' });
  caseId = (await t.request('POST', '/api/v1/projects/p1/cases', { body: { caseType: 'x', name: 'Keep', properties: { a: '1' } } })).json().id;
  workerId = (await t.request('POST', '/api/v1/projects/p1/mobile-workers', { body: { username: 'w' } })).json().id;
  codes = new Set(((await t.request('GET', '/api/v1/errors', { token: null })).json() as Json[]).map((e) => e.code));
});
after(() => t.close());

const WRITES = () => [
  { method: 'POST', url: '/api/v1/auth/tokens', good: { email: 'root@example.org', password: 'root-password' } },
  { method: 'POST', url: '/api/v1/projects', good: { name: 'fresh' } },
  { method: 'PATCH', url: '/api/v1/projects/p1', good: { helpText: 'h' } },
  { method: 'POST', url: '/api/v1/projects/p1/users', good: { email: 'u@example.org', password: 'password1', role: 'member' } },
  { method: 'POST', url: '/api/v1/projects/p1/cases', good: { caseType: 'x', name: 'n' } },
  { method: 'PATCH', url: `/api/v1/projects/p1/cases/${caseId}`, good: { name: 'n2' } },
  { method: 'POST', url: '/api/v1/projects/p1/mobile-workers', good: { username: 'w2' } },
  { method: 'POST', url: `/api/v1/projects/p1/mobile-workers/${workerId}/phone-numbers`, good: { number: '+254712000001' } },
  { method: 'POST', url: '/api/v1/projects/p1/gateways', good: { name: 'g', type: 'test' } },
  { method: 'PUT', url: '/api/v1/projects/p1/gateway-routes', good: [] },
  { method: 'POST', url: '/api/v1/projects/p1/messages', good: { recipient: { phoneNumber: '+254712000001' }, text: 'x' } },
  { method: 'POST', url: '/api/v1/projects/p1/broadcasts', good: { recipients: { caseType: 'x' }, text: 'x' } },
];

function assertCoded(res: { statusCode: number; body: string }, what: string): void {
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${what}: status ${res.statusCode} ${res.body.slice(0, 200)}`);
  const body = JSON.parse(res.body) as Json;
  assert.ok(codes.has(body.error?.code), `${what}: code ${body.error?.code} is in the catalogue`);
  assert.equal(typeof body.error.message, 'string', what);
}

describe('bad input', () => {
  test('malformed, empty, non-object, NUL, __proto__ and non-UTF-8 bodies on every write', async () => {
    const before = await counts();
    for (const w of WRITES()) {
      const variants: Array<[string, string | Buffer]> = [
        ['malformed JSON', '{"name": '],
        ['empty body', ''],
        ['a JSON number', '42'],
        ['NUL character', JSON.stringify(Array.isArray(w.good) ? w.good : { ...w.good, name: 'a\u0000b' })],
        ['__proto__ key', '{"__proto__": {"polluted": true}, "name": "x"}'],
        ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
      ];
      for (const [what, payload] of variants) {
        if (what === 'NUL character' && Array.isArray(w.good)) {
          continue;
        }
        const res = await t.request(w.method as 'POST', w.url, { body: payload });
        assertCoded(res, `${w.method} ${w.url} with ${what}`);
      }
    }
    assert.equal(({} as Json).polluted, undefined);
    assert.equal(await counts(), before);
  });

  test('wrong types, unknown fields and very long strings are refused field by field', async () => {
    const before = await counts();
    for (const w of WRITES()) {
      if (Array.isArray(w.good)) {
        const res = await t.request(w.method as 'PUT', w.url, { body: [{ prefix: 1, gateway: true }] });
        assertCoded(res, `${w.url} wrong types`);
        continue;
      }
      for (const key of Object.keys(w.good)) {
        const wrong = await t.request(w.method as 'POST', w.url, { body: { ...w.good, [key]: { nested: ['wrong'] } } });
        assertCoded(wrong, `${w.method} ${w.url} ${key} wrong type`);
        const long = await t.request(w.method as 'POST', w.url, { body: { ...w.good, [key]: 'x'.repeat(200_000) } });
        assertCoded(long, `${w.method} ${w.url} ${key} very long`);
      }
      const unknown = await t.request(w.method as 'POST', w.url, { body: { ...w.good, surprise: 1 } });
      assertCoded(unknown, `${w.method} ${w.url} unknown field`);
    }
    assert.equal(await counts(), before);
  });

  test('oversized bodies are refused with 413 PAYLOAD_TOO_LARGE; wrong content types with a code', async () => {
    const before = await counts();
    const big = JSON.stringify({ caseType: 'x', name: 'n', properties: { a: 'x'.repeat(300 * 1024) } });
    const res = await t.request('POST', '/api/v1/projects/p1/cases', { body: big });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error.code, 'PAYLOAD_TOO_LARGE');
    const xml = await t.request('POST', '/api/v1/projects/p1/cases', { body: '<case/>', headers: { 'content-type': 'application/xml' } });
    assertCoded(xml, 'xml body');
    assert.equal(xml.statusCode, 415);
    const text = await t.request('POST', '/api/v1/projects/p1/cases', { body: 'name=x', headers: { 'content-type': 'text/plain' } });
    assertCoded(text, 'text body');
    assert.equal(await counts(), before);
  });

  test('a case write that fails half way leaves nothing behind', async () => {
    const before = await counts();
    // A valid case whose owner does not exist: refused before anything is written.
    const res = await t.request('POST', '/api/v1/projects/p1/cases', { body: { caseType: 'x', name: 'n', ownerId: '00000000-0000-0000-0000-000000000000', properties: { contact_phone_number: '+254712000002', contact_phone_number_is_verified: 1 } } });
    assertCoded(res, 'unknown owner');
    assert.equal(await counts(), before);
  });

  test('SQL-looking strings in filters and ids are just text', async () => {
    for (const q of ["caseType=' OR 1=1 --", 'search=%25%27%3B%20DROP%20TABLE%20cases%3B--', 'cursor=%27%3Bselect', 'phoneNumber=1%27%20or%20%271%27%3D%271']) {
      const res = await t.request('GET', `/api/v1/projects/p1/cases?${q}`);
      assert.ok(res.statusCode === 200 || res.statusCode === 400, `${q}: ${res.statusCode}`);
      if (res.statusCode === 200) {
        assert.deepEqual(res.json().items, [], q);
      } else {
        assertCoded(res, q);
      }
    }
    for (const id of ["1' or '1'='1", '../../etc/passwd', '%00']) {
      const res = await t.request('GET', `/api/v1/projects/p1/cases/${encodeURIComponent(id)}`);
      assert.equal(res.statusCode, 404, id);
    }
    assert.equal((await t.request('GET', '/api/v1/projects/p1/cases?limit=501')).statusCode, 400);
    assert.equal((await t.request('GET', '/api/v1/projects/p1/cases?limit=-1')).statusCode, 400);
  });

  test('the catalogue holds every code the API uses, each with a description; the OpenAPI document is there', async () => {
    const catalogue = (await t.request('GET', '/api/v1/errors', { token: null })).json() as Json[];
    const needed = [
      'VALIDATION_ERROR', 'NOT_FOUND', 'FORBIDDEN', 'UNAUTHORIZED', 'CONFLICT',
      'INVALID_PHONE_NUMBER', 'PHONE_NUMBER_IN_USE', 'INVALID_TIME_ZONE', 'UNKNOWN_LANGUAGE', 'INVALID_EMAIL_ADDRESS',
      'NO_PHONE_NUMBER', 'NO_TWO_WAY_PHONE_NUMBER', 'PHONE_NUMBER_OPTED_OUT', 'NO_SMS_CONSENT', 'GATEWAY_NOT_FOUND', 'NO_SUITABLE_GATEWAY',
      'GATEWAY_ERROR', 'NO_EMAIL_ADDRESS', 'NO_MESSAGE', 'CONTACT_IS_INACTIVE', 'MESSAGE_TOO_LONG', 'MESSAGE_BLANK',
    ];
    for (const code of needed) {
      const entry = catalogue.find((e) => e.code === code);
      assert.ok(entry && entry.description.length > 10, code);
    }
    const doc = (await t.request('GET', '/openapi.json', { token: null })).json();
    assert.match(doc.openapi, /^3\./);
    for (const path of ['/api/v1/projects', '/api/v1/projects/{project}/cases', '/api/v1/projects/{project}/mobile-workers/{id}/phone-numbers', '/api/v1/projects/{project}/phone-numbers/{number}']) {
      assert.ok(doc.paths[path], path);
    }
  });
});
