/**
 * Bad input anywhere gets a 4xx with a code from the catalogue, and nothing is half-written. Every
 * write route (POST, PATCH, PUT under /api/v1, recorded as the app registers them) gets malformed
 * JSON, empty and non-object bodies, invalid UTF-8, lone surrogates, NUL characters, __proto__ and
 * constructor keys, wrong content types, oversized bodies; every field of its body (read from the
 * OpenAPI schema) gets a wrong type, a string one over its maximum and a very long string; unknown
 * fields are refused. After each refusal the database is compared with what it held before.
 * Also: valid-looking writes the services refuse leave nothing behind, SQL-looking filters are just
 * text, limits are checked, and the error catalogue and the OpenAPI document are complete.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { type RecordedRoute, jsonTypes, openApiPath, recordRoutes, sampleOf } from './support/routes.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
type Res = { statusCode: number; body: string };
let t: TestApp;
let doc: Json;
let codes: Set<string>;
let writes: RecordedRoute[] = [];
let listRoutes: RecordedRoute[] = [];
const ids: Record<string, string> = {};

/** Valid bodies to vary; a write route not listed here gets a minimal body made from its OpenAPI schema. */
const GOOD: Record<string, unknown> = {
  'POST /api/v1/auth/tokens': { email: 'root@example.org', password: 'root-password' },
  'POST /api/v1/projects': { name: 'fresh' },
  'PATCH /api/v1/projects/:project': { helpText: 'h' },
  'POST /api/v1/projects/:project/users': { email: 'u@example.org', password: 'password1', role: 'member' },
  'POST /api/v1/projects/:project/cases': { caseType: 'x', name: 'n' },
  'PATCH /api/v1/projects/:project/cases/:id': { name: 'n2' },
  'POST /api/v1/projects/:project/mobile-workers': { username: 'w2' },
  'POST /api/v1/projects/:project/mobile-workers/:id/phone-numbers': { number: '+254712000001' },
  'POST /api/v1/projects/:project/gateways': { name: 'g', type: 'test' },
  'PATCH /api/v1/projects/:project/gateways/:name': { ratePerSecond: 1 },
  'PUT /api/v1/projects/:project/gateway-routes': [{ prefix: '*', gateway: 'GW' }],
  'POST /api/v1/projects/:project/messages': { recipient: { phoneNumber: '+254712000001' }, text: 'x' },
  'POST /api/v1/projects/:project/broadcasts': { recipients: { caseType: 'x' }, text: 'x' },
  'POST /api/v1/projects/:project/reminder-rules': { name: 'r', caseType: 'x', content: { text: 'x' }, schedule: { type: 'once' } },
  'PATCH /api/v1/projects/:project/reminder-rules/:id': { name: 'r2', active: false },
  'POST /api/v1/projects/:project/reminder-rules/import': { format: 'rollcall-reminder-rules', version: 1, rules: [{ name: 'r3', caseType: 'x', content: { text: 'x' }, schedule: { type: 'once' } }], surveys: {} },
  'POST /api/v1/gateways': { name: 'g', type: 'test' },
  'PATCH /api/v1/gateways/:name': { ratePerSecond: 1 },
  'PUT /api/v1/gateway-routes': [{ prefix: '*', gateway: 'GW' }],
};

function label(r: RecordedRoute): string {
  return `${r.method} ${r.url}`;
}

function bodySchema(r: RecordedRoute): Json | undefined {
  return doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()]?.requestBody?.content?.['application/json']?.schema;
}

function goodBody(r: RecordedRoute): unknown {
  return label(r) in GOOD ? GOOD[label(r)] : sampleOf(bodySchema(r));
}

function urlOf(r: RecordedRoute): string {
  return r.url.replace(/:([A-Za-z0-9_]+)/g, (_m, param: string, offset: number) => {
    if (param === 'project') {
      return 'p1';
    }
    if (param === 'number') {
      return ids.number as string;
    }
    if (param === 'name') {
      return 'GW';
    }
    return ids[r.url.slice(0, offset).split('/').filter(Boolean).at(-1) ?? ''] ?? (ids.cases as string);
  });
}

/** The good body with a field (in its first item, for an array) holding a __proto__ key. */
function withNestedProto(good: unknown): string {
  const target = Array.isArray(good) ? (good[0] as Json) : ((good ?? {}) as Json);
  const inner = JSON.stringify({ ...target, x: 'PLACEHOLDER' }).replace('"PLACEHOLDER"', '{"__proto__": {"polluted": true}}');
  return Array.isArray(good) ? `[${inner}]` : inner;
}

function send(r: RecordedRoute, body: unknown, headers?: Record<string, string>): Promise<Res> {
  const token = r.url === '/api/v1/auth/tokens' ? null : t.adminToken;
  return t.request(r.method as 'POST', urlOf(r), { token, ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) });
}

/** A 4xx with exactly {"error": {"code", "message", "details"?}} and a code from GET /api/v1/errors. */
function assertCoded(res: Res, what: string, status?: number | number[], code?: string): void {
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${what}: status ${res.statusCode} ${res.body.slice(0, 300)}`);
  if (status !== undefined) {
    assert.ok([status].flat().includes(res.statusCode), `${what}: status ${res.statusCode}, wanted ${status}: ${res.body.slice(0, 300)}`);
  }
  const body = JSON.parse(res.body) as Json;
  assert.deepEqual(Object.keys(body), ['error'], what);
  assert.ok(Object.keys(body.error).every((k) => ['code', 'message', 'details'].includes(k)), what);
  assert.ok(codes.has(body.error.code), `${what}: code ${body.error.code} is in the catalogue`);
  assert.equal(typeof body.error.message, 'string', what);
  assert.ok(body.error.message.length > 0, what);
  if (code) {
    assert.equal(body.error.code, code, `${what}: ${res.body.slice(0, 300)}`);
  }
}

/** What the database holds (the tables a write could touch), to compare before and after. */
async function state(): Promise<string> {
  const db = t.deps.db;
  const [projects, users, memberships, tokens, cases, workers, entries, gateways, routes, messages, broadcasts, consent, rules] = await Promise.all([
    db.selectFrom('projects').selectAll().orderBy('id').execute(),
    db.selectFrom('users').selectAll().orderBy('id').execute(),
    db.selectFrom('memberships').selectAll().orderBy('user_id').orderBy('project_id').execute(),
    db.selectFrom('auth_tokens').select(['id', 'revoked_at']).orderBy('id').execute(),
    db.selectFrom('cases').selectAll().orderBy('id').execute(),
    db.selectFrom('mobile_workers').selectAll().orderBy('id').execute(),
    db.selectFrom('phone_entries').selectAll().orderBy('id').execute(),
    db.selectFrom('gateways').selectAll().orderBy('id').execute(),
    db.selectFrom('gateway_routes').selectAll().orderBy('prefix').execute(),
    db.selectFrom('messages').selectAll().orderBy('id').execute(),
    db.selectFrom('broadcasts').selectAll().orderBy('id').execute(),
    db.selectFrom('consent_events').selectAll().orderBy('id').execute(),
    db.selectFrom('reminder_rules').selectAll().orderBy('id').execute(),
  ]);
  return JSON.stringify({ projects, users, memberships, tokens, cases, workers, entries, gateways, routes, messages, broadcasts, consent, rules });
}

async function unchanged<T>(what: string, run: () => Promise<T>): Promise<T> {
  const before = await state();
  const out = await run();
  assert.equal(await state(), before, `${what}: the database changed`);
  return out;
}

before(async () => {
  const recorded = await recordRoutes(() => createTestApp());
  t = recorded.value;
  // Broadcasts are expanded by a job; here the job is only accepted (nothing runs in the background).
  t.deps.queue = { enqueue: async () => undefined };
  writes = recorded.routes.filter((r) => r.url.startsWith('/api/v1/') && ['POST', 'PATCH', 'PUT'].includes(r.method));
  doc = (await t.request('GET', '/openapi.json', { token: null })).json();
  listRoutes = recorded.routes.filter((r) => r.method === 'GET' && doc.paths[openApiPath(r.url)]?.get?.parameters?.some((p: Json) => p.in === 'query' && p.name === 'limit'));
  codes = new Set(((await t.request('GET', '/api/v1/errors', { token: null })).json() as Json[]).map((e) => e.code));

  await t.createProject('p1', { defaultCountry: 'KE' });
  const ok = async (method: 'POST' | 'PUT', url: string, body: unknown, status = 201): Promise<Json> => {
    const res = await t.request(method, url, { body });
    assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
    return res.json();
  };
  ids.cases = (await ok('POST', '/api/v1/projects/p1/cases', { caseType: 'x', name: 'Keep', properties: { a: '1', contact_phone_number: '+254712000100' } })).id;
  ids['mobile-workers'] = (await ok('POST', '/api/v1/projects/p1/mobile-workers', { username: 'w' })).id;
  ids.number = '254712000200';
  await ok('POST', `/api/v1/projects/p1/mobile-workers/${ids['mobile-workers']}/phone-numbers`, { number: ids.number });
  const gw = await ok('POST', '/api/v1/projects/p1/gateways', { name: 'gw', type: 'test' });
  ids.inboundPath = new URL(gw.inboundUrl).pathname;
  await ok('PUT', '/api/v1/projects/p1/gateway-routes', [{ prefix: '*', gateway: 'GW' }], 200);
  ids.messages = (await ok('POST', '/api/v1/projects/p1/messages', { recipient: { caseId: ids.cases }, text: 'hello' })).id;
  ids.broadcasts = (await ok('POST', '/api/v1/projects/p1/broadcasts', { recipients: { caseIds: [ids.cases] }, text: 'x' }, 202)).id;
  ids.surveys = (await ok('POST', '/api/v1/projects/p1/surveys', { name: 'Keep', questions: [{ id: 'q', text: 'Q?', type: 'text', saveAs: 'q' }] })).id;
  ids['reminder-rules'] = (await ok('POST', '/api/v1/projects/p1/reminder-rules', { name: 'Keep', caseType: 'x', content: { text: 'x' }, schedule: { type: 'once' } })).id;
});
after(() => t.close());

describe('bad input on every write route', () => {
  test('the write routes are recorded from the app', () => {
    const keys = new Set(writes.map(label));
    assert.ok(writes.length >= 15, `${writes.length} write routes`);
    for (const key of Object.keys(GOOD)) {
      assert.ok(keys.has(key), `${key} is a route`);
    }
  });

  test('malformed, empty and non-object JSON, bad UTF-8, lone surrogates, NUL and __proto__ are 400 VALIDATION_ERROR', async () => {
    await unchanged('bad bodies', async () => {
      for (const r of writes) {
        const good = goodBody(r);
        const isArray = Array.isArray(good);
        const firstString = r.hasBody && !isArray ? Object.keys(good as Json).find((k) => typeof (good as Json)[k] === 'string') : undefined;
        const withField = (value: unknown): string => JSON.stringify({ ...(good as Json), [firstString ?? 'x']: value });
        const variants: Array<[string, string | Buffer]> = [
          ['malformed JSON', '{"name": '],
          ['trailing garbage', `${JSON.stringify(good ?? {})} x`],
          ['single quotes', "{'name': 'x'}"],
          ['a JSON number', '42'],
          ['a JSON string', '"text"'],
          ['JSON null', 'null'],
          [isArray ? 'an object instead of an array' : 'an array instead of an object', isArray ? '{}' : '[]'],
          ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
          ['an overlong UTF-8 sequence', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
          ['__proto__ key', '{"__proto__": {"polluted": true}, "name": "x"}'],
          ['nested __proto__ key', withNestedProto(good)],
          ['constructor.prototype key', '{"constructor": {"prototype": {"polluted": true}}}'],
        ];
        if (r.hasBody) {
          variants.push(['empty body', ''], ['whitespace body', '  \n ']);
        }
        if (firstString) {
          variants.push(
            ['a NUL character', withField('a\u0000b')],
            ['a raw NUL byte', Buffer.from(withField('ab').replace('"ab"', '"a\u0000b"'))],
            ['a lone surrogate escape', withField('a').replace('"a"', '"a\\ud800b"')],
          );
        }
        for (const [what, payload] of variants) {
          assertCoded(await send(r, payload), `${label(r)} with ${what}`, 400, 'VALIDATION_ERROR');
        }
      }
    });
    assert.equal(({} as Json).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
  });

  test('wrong content types are 415 UNSUPPORTED_MEDIA_TYPE, even with a valid body', async () => {
    await unchanged('wrong content types', async () => {
      for (const r of writes) {
        const good = JSON.stringify(goodBody(r) ?? {});
        for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/vnd.api+json']) {
          const payload = type.startsWith('application/x-www-form') ? 'name=fresh&caseType=x&username=w3&number=254712000009' : good;
          assertCoded(await send(r, payload, { 'content-type': type }), `${label(r)} as ${type}`, 415, 'UNSUPPORTED_MEDIA_TYPE');
        }
      }
    });
  });

  test('a body over the limit is 413 PAYLOAD_TOO_LARGE', async () => {
    assert.equal(t.config.bodyLimit, 256 * 1024);
    const big = JSON.stringify({ name: 'n', caseType: 'x', properties: { a: 'x'.repeat(t.config.bodyLimit) } });
    await unchanged('oversized bodies', async () => {
      for (const r of writes) {
        assertCoded(await send(r, big), `${label(r)} oversized`, 413, 'PAYLOAD_TOO_LARGE');
      }
    });
  });

  test('every field: a wrong type, one character over its maximum, a very long string, NUL; unknown fields', async () => {
    let checked = 0;
    await unchanged('bad fields', async () => {
      for (const r of writes.filter((x) => x.hasBody)) {
        const schema = bodySchema(r);
        assert.ok(schema, `${label(r)} has a body schema in the OpenAPI document`);
        const good = goodBody(r);
        if (schema.type === 'array') {
          const item = schema.items as Json;
          for (const bad of [[{ ...item, prefix: 1, gateway: true }], [{ prefix: '*', gateway: 'GW', surprise: 1 }], [{ prefix: 'x'.repeat(17), gateway: 'GW' }], ['not-an-object'], Array.from({ length: (schema.maxItems ?? 500) + 1 }, () => ({ prefix: '*', gateway: 'GW' }))]) {
            assertCoded(await send(r, bad), `${label(r)} ${JSON.stringify(bad).slice(0, 60)}`, 400, 'VALIDATION_ERROR');
          }
          continue;
        }
        assert.equal(schema.additionalProperties, false, `${label(r)}: the body is a strict object`);
        const base = good as Json;
        assertCoded(await send(r, { ...base, surprise: 1 }), `${label(r)} unknown field`, 400, 'VALIDATION_ERROR');
        if ((schema.required ?? []).length > 0) {
          assertCoded(await send(r, {}), `${label(r)} missing required fields`, 400, 'VALIDATION_ERROR');
        }
        for (const [key, prop] of Object.entries(schema.properties as Record<string, Json>)) {
          const types = jsonTypes(prop);
          const wrong = [{ nested: ['wrong'] }, ['wrong'], 12345, true, 'wrong-text'].find((v) => !types.has(Array.isArray(v) ? 'array' : typeof v));
          if (wrong !== undefined) {
            assertCoded(await send(r, { ...base, [key]: wrong }), `${label(r)} ${key}=${JSON.stringify(wrong)}`, 400, 'VALIDATION_ERROR');
            checked++;
          }
          const strings = [prop, ...(prop.anyOf ?? [])].filter((s: Json) => s.type === 'string');
          const max = strings.find((s: Json) => typeof s.maxLength === 'number')?.maxLength as number | undefined;
          if (max !== undefined) {
            assertCoded(await send(r, { ...base, [key]: 'x'.repeat(max + 1) }), `${label(r)} ${key} of ${max + 1} characters`, 400, 'VALIDATION_ERROR');
            checked++;
          }
          if (strings.length > 0) {
            assertCoded(await send(r, { ...base, [key]: 'x'.repeat(200_000) }), `${label(r)} ${key} very long`, [400, 413]);
            assertCoded(await send(r, { ...base, [key]: 'a\u0000b' }), `${label(r)} ${key} with NUL`, 400, 'VALIDATION_ERROR');
          }
          if (prop.enum) {
            assertCoded(await send(r, { ...base, [key]: 'not-one-of-them' }), `${label(r)} ${key} not in its enum`, 400, 'VALIDATION_ERROR');
          }
          if (prop.type === 'object' && prop.additionalProperties === false) {
            assertCoded(await send(r, { ...base, [key]: { ...(sampleOf(prop) as Json), surprise: 1 } }), `${label(r)} ${key} with an unknown field`, 400, 'VALIDATION_ERROR');
          }
        }
      }
    });
    assert.ok(checked >= 60, `${checked} field checks`);
  });

  test('nested values: property names and values, recipients, languages, translations', async () => {
    const caseUrl = `/api/v1/projects/p1/cases/${ids.cases}`;
    const bad: Array<[string, string, unknown]> = [
      ['POST', '/api/v1/projects/p1/cases', { caseType: 'x', name: 'n', properties: { '1starts-with-digit': 'x' } }],
      ['POST', '/api/v1/projects/p1/cases', { caseType: 'x', name: 'n', properties: { 'has space': 'x' } }],
      ['POST', '/api/v1/projects/p1/cases', { caseType: 'x', name: 'n', properties: { a: 'x'.repeat(10_001) } }],
      ['POST', '/api/v1/projects/p1/cases', { caseType: 'x', name: 'n', properties: { a: { nested: 1 } } }],
      ['POST', '/api/v1/projects/p1/cases', { caseType: 'x', name: 'n', properties: { a: ['x'] } }],
      ['POST', '/api/v1/projects/p1/cases', { caseType: 'x', name: 'n', properties: Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`p${i}`, 'x'])) }],
      ['POST', '/api/v1/projects/p1/cases', { caseType: '   ', name: 'n' }],
      ['POST', '/api/v1/projects/p1/cases', { caseType: 'x', name: '' }],
      ['PATCH', caseUrl, { name: 'changed', properties: { a: { nested: 1 } } }],
      ['PATCH', caseUrl, { name: '   ' }],
      ['POST', '/api/v1/projects/p1/messages', { recipient: { caseId: ids.cases, phoneNumber: '+254712000001' }, text: 'x' }],
      ['POST', '/api/v1/projects/p1/messages', { recipient: {}, text: 'x' }],
      ['POST', '/api/v1/projects/p1/messages', { recipient: { caseId: ids.cases }, translations: { 'not a language': 'x' } }],
      ['POST', '/api/v1/projects/p1/broadcasts', { recipients: { caseIds: [] }, text: 'x' }],
      ['PATCH', '/api/v1/projects/p1', { languages: [] }],
      ['PATCH', '/api/v1/projects/p1', { languages: ['x'.repeat(36)] }],
      ['PATCH', '/api/v1/projects/p1', { selfRegistration: { welcomeMessageTo: 'everyone' } }],
      ['PATCH', '/api/v1/projects/p1', { systemTexts: { en: { notAText: 'x' } } }],
    ];
    await unchanged('bad nested values', async () => {
      for (const [method, url, body] of bad) {
        const res = await t.request(method as 'POST', url, { body });
        assertCoded(res, `${method} ${url} ${JSON.stringify(body).slice(0, 80)}`, 400, 'VALIDATION_ERROR');
      }
    });
  });
});

describe('writes the services refuse leave nothing behind', () => {
  test('projects, users, cases, mobile workers, numbers, gateways, routes, messages', async () => {
    const w = ids['mobile-workers'] as string;
    const refused: Array<[string, string, unknown, string]> = [
      ['POST', '/api/v1/projects', { name: 'tz', timeZone: 'Mars/Base' }, 'INVALID_TIME_ZONE'],
      ['POST', '/api/v1/projects', { name: 'cc', defaultCountry: 'XX' }, 'VALIDATION_ERROR'],
      ['POST', '/api/v1/projects', { name: 'lang', languages: ['en'], defaultLanguage: 'fr' }, 'VALIDATION_ERROR'],
      ['POST', '/api/v1/projects', { name: 'p1' }, 'CONFLICT'],
      ['POST', '/api/v1/projects', { name: '-bad' }, 'VALIDATION_ERROR'],
      // A PATCH with one bad field changes none of the others.
      ['PATCH', '/api/v1/projects/p1', { helpText: 'changed', timeZone: 'Mars/Base' }, 'INVALID_TIME_ZONE'],
      ['PATCH', '/api/v1/projects/p1', { helpText: 'changed', languages: ['en', 'fr'], defaultLanguage: 'de' }, 'VALIDATION_ERROR'],
      ['PATCH', '/api/v1/projects/p1', { helpText: 'changed', selfRegistration: { caseEnabled: true } }, 'VALIDATION_ERROR'],
      ['POST', '/api/v1/projects/p1/users', { email: 'not-an-email', password: 'password1', role: 'member' }, 'VALIDATION_ERROR'],
      ['POST', '/api/v1/projects/p1/users', { email: 'short@example.org', password: 'short', role: 'member' }, 'VALIDATION_ERROR'],
      // An email with an account elsewhere is added like a new one (issue 23: no enumeration); a bad password is refused for both.
      ['POST', '/api/v1/projects/p1/users', { email: 'ROOT@example.org', password: 'short', role: 'admin' }, 'VALIDATION_ERROR'],
      ['PATCH', '/api/v1/projects/p1', { defaultEmailGateway: 'NO-SUCH-GATEWAY' }, 'GATEWAY_NOT_FOUND'],
      ['POST', '/api/v1/auth/tokens', { email: 'root@example.org', password: 'wrong-password' }, 'UNAUTHORIZED'],
      ['POST', '/api/v1/projects/p1/cases', { caseType: 'x', name: 'n', ownerId: '00000000-0000-0000-0000-000000000000', properties: { contact_phone_number: '+254712000002', contact_phone_number_is_verified: 1 } }, ''],
      ['PATCH', '/api/v1/projects/p1/cases/00000000-0000-0000-0000-000000000000', { name: 'n' }, 'NOT_FOUND'],
      ['POST', '/api/v1/projects/p1/mobile-workers', { username: 'with space' }, 'VALIDATION_ERROR'],
      ['POST', '/api/v1/projects/p1/mobile-workers', { username: 'W' }, 'CONFLICT'],
      ['POST', '/api/v1/projects/p1/mobile-workers', { username: 'w9', email: 'not-an-email' }, 'INVALID_EMAIL_ADDRESS'],
      ['POST', '/api/v1/projects/p1/mobile-workers', { username: 'w9', timeZone: 'Mars/Base' }, 'INVALID_TIME_ZONE'],
      ['POST', '/api/v1/projects/p1/mobile-workers', { username: 'w9', language: 'zz' }, 'UNKNOWN_LANGUAGE'],
      ['POST', `/api/v1/projects/p1/mobile-workers/${w}/phone-numbers`, { number: '1-800-FLOWERS' }, 'INVALID_PHONE_NUMBER'],
      ['POST', '/api/v1/projects/p1/mobile-workers/00000000-0000-0000-0000-000000000000/phone-numbers', { number: '+254712000003' }, 'NOT_FOUND'],
      ['POST', '/api/v1/projects/p1/gateways', { name: 'nope', type: 'no-such-type' }, ''],
      ['POST', '/api/v1/projects/p1/gateways', { name: 'gw', type: 'test' }, 'CONFLICT'],
      // A routes table with one bad row keeps the old table whole.
      ['PUT', '/api/v1/projects/p1/gateway-routes', [{ prefix: '91', gateway: 'GW' }, { prefix: '*', gateway: 'NO-SUCH-GATEWAY' }], ''],
      ['POST', '/api/v1/projects/p1/messages', { recipient: { caseId: '00000000-0000-0000-0000-000000000000' }, text: 'x' }, 'NOT_FOUND'],
      ['POST', '/api/v1/projects/p1/broadcasts', { recipients: { caseType: 'x' } }, 'VALIDATION_ERROR'],
    ];
    for (const [method, url, body, code] of refused) {
      await unchanged(`${method} ${url}`, async () => {
        const res = await t.request(method as 'POST', url, { token: url.endsWith('/tokens') ? null : t.adminToken, body });
        assertCoded(res, `${method} ${url} ${JSON.stringify(body).slice(0, 80)}`, undefined, code || undefined);
      });
    }
  });
});

describe('query strings', () => {
  test('SQL-looking filters are just text: normal results, nothing dropped', async () => {
    const sqlish = ["' OR 1=1 --", "'; DROP TABLE cases; --", '%', '_', '\\', '" OR ""="', "1' UNION SELECT password_hash FROM users --"];
    await unchanged('SQL-looking filters', async () => {
      for (const s of sqlish) {
        const q = encodeURIComponent(s);
        for (const url of [
          `/api/v1/projects/p1/cases?caseType=${q}`,
          `/api/v1/projects/p1/cases?search=${q}`,
          `/api/v1/projects/p1/cases?phoneNumber=${q}`,
          `/api/v1/projects/p1/mobile-workers?search=${q}`,
          `/api/v1/projects/p1/messages?caseId=${q}`,
          `/api/v1/projects/p1/messages?mobileWorkerId=${q}`,
          `/api/v1/projects/p1/messages?errorCode=${q}`,
        ]) {
          const res = await t.request('GET', url);
          assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 200)}`);
          assert.deepEqual(res.json(), { items: [], nextCursor: null }, url);
        }
        for (const list of ['cases', 'mobile-workers', 'messages']) {
          const res = await t.request('GET', `/api/v1/projects/p1/${list}?cursor=${q}`);
          assertCoded(res, `${list} cursor ${s}`, 400, 'VALIDATION_ERROR');
        }
        for (const path of [`cases/${q}`, `mobile-workers/${q}`, `messages/${q}`, `broadcasts/${q}`]) {
          const res = await t.request('GET', `/api/v1/projects/p1/${path}`);
          assertCoded(res, path, 404, 'NOT_FOUND');
        }
      }
    });
    // The tables are still there and still answer.
    const all = (await t.request('GET', '/api/v1/projects/p1/cases')).json();
    assert.ok(all.items.some((c: Json) => c.id === ids.cases));
    // SQL-looking text is stored and found as text.
    const name = "Robert'); DROP TABLE cases;--";
    const created = await t.request('POST', '/api/v1/projects/p1/cases', { body: { caseType: "patient' OR '1'='1", name } });
    assert.equal(created.statusCode, 201);
    const found = (await t.request('GET', `/api/v1/projects/p1/cases?caseType=${encodeURIComponent("patient' OR '1'='1")}`)).json();
    assert.deepEqual(found.items.map((c: Json) => c.name), [name]);
    await t.request('DELETE', `/api/v1/projects/p1/cases/${created.json().id}`);
  });

  test('limits: over the maximum, zero, negative, fractions and text are 400; lists allow 500', async () => {
    assert.ok(listRoutes.length >= 3, listRoutes.map(label).join(', '));
    for (const r of listRoutes) {
      const url = urlOf(r);
      const param = doc.paths[openApiPath(r.url)].get.parameters.find((p: Json) => p.name === 'limit');
      const max = param.schema.maximum as number;
      for (const limit of [String(max + 1), '0', '-1', '1.5', 'ten', '1e9', '99999999999999999999999']) {
        assertCoded(await t.request('GET', `${url}?limit=${limit}`), `${url}?limit=${limit}`, 400, 'VALIDATION_ERROR');
      }
      assert.equal((await t.request('GET', `${url}?limit=${max}`)).statusCode, 200, `${url}?limit=${max}`);
    }
    for (const list of ['cases', 'mobile-workers', 'messages']) {
      const r = listRoutes.find((x) => x.url === `/api/v1/projects/:project/${list}`);
      assert.ok(r, list);
      assert.equal(doc.paths[openApiPath(r.url)].get.parameters.find((p: Json) => p.name === 'limit').schema.maximum, 500, list);
      assertCoded(await t.request('GET', `/api/v1/projects/p1/${list}?limit=501`), `${list} limit 501`, 400, 'VALIDATION_ERROR');
      assert.equal((await t.request('GET', `/api/v1/projects/p1/${list}?limit=500`)).statusCode, 200);
    }
  });
});

describe('webhooks', () => {
  test('bad bodies on a gateway webhook are 4xx with a code and record nothing', async () => {
    await unchanged('bad webhook bodies', async () => {
      for (const payload of ['{"from": ', '[]', '', Buffer.from([0x7b, 0x22, 0x66, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), '{"from":"+254712000004","text":"a\\u0000b"}', '{"__proto__":{},"from":"+254712000004","text":"x"}', '{"from":"+254712000004","text":"x","surprise":1}', '{"from":"","text":"x"}']) {
        const res = await t.request('POST', ids.inboundPath as string, { token: null, body: payload });
        assertCoded(res, `inbound ${String(payload).slice(0, 40)}`, 400);
      }
      const big = await t.request('POST', ids.inboundPath as string, { token: null, body: JSON.stringify({ from: '+254712000004', text: 'x'.repeat(t.config.bodyLimit) }) });
      assertCoded(big, 'inbound oversized', 413, 'PAYLOAD_TOO_LARGE');
      const unknownKey = await t.request('POST', '/webhooks/no-such-key/inbound', { token: null, body: { from: '+254712000004', text: 'x' } });
      assertCoded(unknownKey, 'unknown webhook key', 404, 'NOT_FOUND');
    });
  });
});

describe('the error catalogue and the OpenAPI document', () => {
  test('GET /api/v1/errors lists every code the API uses, each described', async () => {
    const res = await t.request('GET', '/api/v1/errors', { token: null });
    assert.equal(res.statusCode, 200);
    const catalogue = res.json() as Json[];
    assert.ok(Array.isArray(catalogue));
    for (const entry of catalogue) {
      assert.deepEqual(Object.keys(entry).sort(), ['code', 'description']);
      assert.match(entry.code, /^[A-Z][A-Z0-9_]+$/);
      assert.ok(typeof entry.description === 'string' && entry.description.trim().length > 10, entry.code);
    }
    assert.equal(new Set(catalogue.map((e) => e.code)).size, catalogue.length, 'codes are unique');
    const needed = [
      // API.md, "Error codes used by messages"
      'NO_PHONE_NUMBER', 'NO_TWO_WAY_PHONE_NUMBER', 'INVALID_PHONE_NUMBER', 'PHONE_NUMBER_OPTED_OUT', 'NO_SMS_CONSENT',
      'GATEWAY_NOT_FOUND', 'NO_SUITABLE_GATEWAY', 'GATEWAY_ERROR', 'NO_EMAIL_ADDRESS',
      'INVALID_EMAIL_ADDRESS', 'NO_MESSAGE', 'CONTACT_IS_INACTIVE', 'MESSAGE_TOO_LONG', 'MESSAGE_BLANK',
      // Conventions and contact problems
      'VALIDATION_ERROR', 'NOT_FOUND', 'FORBIDDEN', 'UNAUTHORIZED', 'CONFLICT',
      'PHONE_NUMBER_IN_USE', 'INVALID_TIME_ZONE', 'UNKNOWN_LANGUAGE',
      // Used by this test's answers
      'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE',
    ];
    for (const code of needed) {
      assert.ok(catalogue.some((e) => e.code === code), `${code} is in the catalogue`);
    }
  });

  test('GET /openapi.json is an OpenAPI 3 document with the API.md paths', async () => {
    const res = await t.request('GET', '/openapi.json', { token: null });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /application\/json/);
    const d = res.json();
    assert.match(d.openapi, /^3\.\d+\.\d+$/);
    assert.ok(d.info?.title && d.info?.version);
    const paths: Record<string, string[]> = {
      '/api/v1/auth/tokens': ['post'],
      '/api/v1/projects': ['post', 'get'],
      '/api/v1/projects/{project}': ['get', 'patch'],
      '/api/v1/projects/{project}/users': ['post'],
      '/api/v1/projects/{project}/cases': ['post', 'get'],
      '/api/v1/projects/{project}/cases/{id}': ['get', 'patch'],
      '/api/v1/projects/{project}/cases/{id}/close': ['post'],
      '/api/v1/projects/{project}/cases/{id}/reachability': ['get'],
      '/api/v1/projects/{project}/mobile-workers': ['post', 'get'],
      '/api/v1/projects/{project}/mobile-workers/{id}': ['get'],
      '/api/v1/projects/{project}/mobile-workers/{id}/phone-numbers': ['post'],
      '/api/v1/projects/{project}/mobile-workers/{id}/phone-numbers/{number}': ['delete'],
      '/api/v1/projects/{project}/mobile-workers/{id}/phone-numbers/{number}/verify': ['post'],
      '/api/v1/projects/{project}/phone-numbers/{number}': ['get'],
      '/api/v1/projects/{project}/phone-numbers/{number}/consent': ['get'],
    };
    for (const [path, methods] of Object.entries(paths)) {
      for (const m of methods) {
        assert.ok(d.paths[path]?.[m], `${m.toUpperCase()} ${path} is documented`);
      }
    }
    const createCase = d.paths['/api/v1/projects/{project}/cases'].post;
    assert.deepEqual(createCase.requestBody.content['application/json'].schema.required.sort(), ['caseType', 'name']);
    assert.ok(d.components?.securitySchemes?.bearer);
  });
});
