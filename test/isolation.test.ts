/**
 * Project isolation across every endpoint, not one. The routes are recorded as the app registers
 * them (test/support/routes.ts), so an endpoint added later under /api/v1/projects/:project is
 * covered without editing this test. A member (and an admin) of project alpha gets 403 or 404 with
 * an error code on every resource of project bravo, and nothing in bravo changes; alpha's own name
 * with bravo's ids finds nothing. Tokens: none, garbage and revoked are 401 everywhere. Roles:
 * admin-only actions are 403 FORBIDDEN for a member; only a superuser creates projects or manages
 * the global gateways.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { type RecordedRoute, openApiPath, recordRoutes, sampleOf } from './support/routes.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
type Ids = Record<string, string>;
let t: TestApp;
let doc: Json;
let catalogue: Set<string>;
let allRoutes: RecordedRoute[] = [];
/** Every route under /api/v1/projects/:project (HEAD included: Fastify adds one per GET). */
let projectRoutes: RecordedRoute[] = [];
const a: Ids = {};
const b: Ids = {};

/** Bodies that pass validation, so a request reaches the access check. Other routes get a body made from their OpenAPI schema. */
const BODIES: Record<string, unknown> = {
  'POST /api/v1/projects/:project/cases': { caseType: 'intruder', name: 'Intruder' },
  'PATCH /api/v1/projects/:project/cases/:id': { name: 'Changed', properties: { hacked: 'yes' } },
  'POST /api/v1/projects/:project/mobile-workers': { username: 'intruder' },
  'POST /api/v1/projects/:project/mobile-workers/:id/phone-numbers': { number: '+254712000999' },
  'PATCH /api/v1/projects/:project': { helpText: 'changed' },
  'POST /api/v1/projects/:project/users': { email: 'intruder@example.org', password: 'intruder-password', role: 'admin' },
  'POST /api/v1/projects/:project/gateways': { name: 'intruder', type: 'test' },
  'PATCH /api/v1/projects/:project/gateways/:name': { ratePerSecond: 1 },
  'PUT /api/v1/projects/:project/gateway-routes': [],
  'POST /api/v1/projects/:project/messages': { recipient: { phoneNumber: '+254712000999' }, text: 'x' },
  'POST /api/v1/projects/:project/broadcasts': { recipients: { caseType: 'patient' }, text: 'x' },
  'POST /api/v1/projects/:project/reminder-rules': { name: 'Intruder rule', caseType: 'patient', content: { text: 'x' }, schedule: { type: 'once' } },
  'PATCH /api/v1/projects/:project/reminder-rules/:id': { active: false },
  'POST /api/v1/projects/:project/reminder-rules/import': { format: 'rollcall-reminder-rules', version: 1, rules: [{ name: 'Intruder import', caseType: 'patient', content: { text: 'x' }, schedule: { type: 'once' } }], surveys: {} },
};

function bodyFor(route: RecordedRoute): unknown {
  const key = `${route.method} ${route.url}`;
  if (key in BODIES) {
    return BODIES[key];
  }
  if (!route.hasBody) {
    return undefined;
  }
  const op = doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
  return sampleOf(op?.requestBody?.content?.['application/json']?.schema);
}

/** The route's path with ids: `:id` is the id of the collection it follows (cases, mobile-workers, …). */
function fill(url: string, ids: Ids): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, (_match, param: string, offset: number) => {
    if (param === 'project') {
      return ids.project as string;
    }
    if (param === 'number') {
      return ids.number as string;
    }
    if (param === 'name') {
      return ids.gateway as string;
    }
    const collection = url.slice(0, offset).split('/').filter(Boolean).at(-1) ?? '';
    return ids[collection] ?? (ids.cases as string);
  });
}

function send(route: RecordedRoute, ids: Ids, token: string | null) {
  const body = bodyFor(route);
  return t.request(route.method as 'GET', fill(route.url, ids), { token, ...(body === undefined ? {} : { body }) });
}

function label(route: RecordedRoute): string {
  return `${route.method} ${route.url}`;
}

/** Asserts an error response with a catalogue code (HEAD answers have no body). */
function assertError(route: RecordedRoute, res: { statusCode: number; body: string }, statuses: number[], code?: string): void {
  assert.ok(statuses.includes(res.statusCode), `${label(route)} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
  if (route.method === 'HEAD') {
    return;
  }
  const body = JSON.parse(res.body) as Json;
  assert.ok(catalogue.has(body.error?.code), `${label(route)}: error code ${body.error?.code} is in the catalogue`);
  assert.equal(typeof body.error.message, 'string', label(route));
  if (code) {
    assert.equal(body.error.code, code, label(route));
  }
}

/** Everything a project holds, to compare before and after. */
async function snapshot(projectId: string): Promise<string> {
  const db = t.deps.db;
  const [project, cases, workers, gateways, routes, messages, entries, members, broadcasts, consent, reevaluation, rules] = await Promise.all([
    db.selectFrom('projects').selectAll().where('id', '=', projectId).execute(),
    db.selectFrom('cases').selectAll().where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('mobile_workers').selectAll().where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('gateways').selectAll().where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('gateway_routes').selectAll().where('project_id', '=', projectId).orderBy('prefix').execute(),
    db.selectFrom('messages').selectAll().where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('phone_entries').selectAll().where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('memberships').selectAll().where('project_id', '=', projectId).orderBy('user_id').execute(),
    db.selectFrom('broadcasts').selectAll().where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('consent_events').selectAll().where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('contact_reevaluations').selectAll().where('project_id', '=', projectId).execute(),
    db.selectFrom('reminder_rules').selectAll().where('project_id', '=', projectId).orderBy('id').execute(),
  ]);
  return JSON.stringify({ project, cases, workers, gateways, routes, messages, entries, members, broadcasts, consent, reevaluation, rules });
}

/** A project with a case (with a number), a mobile worker with a number, a gateway and route, a message and a broadcast. */
async function seed(name: string, ids: Ids, n: string): Promise<void> {
  const ok = async (method: 'POST' | 'PUT', url: string, body: unknown, status = 201): Promise<Json> => {
    const res = await t.request(method, url, { body });
    assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
    return res.json();
  };
  const p = await t.createProject(name, { defaultCountry: 'KE' });
  ids.projectId = p.id as string;
  ids.project = name;
  const c = await ok('POST', `/api/v1/projects/${name}/cases`, { caseType: 'patient', name: `Case of ${name}`, properties: { contact_phone_number: `+25471211${n}`, colour: 'blue' } });
  ids.cases = c.id;
  const w = await ok('POST', `/api/v1/projects/${name}/mobile-workers`, { username: 'worker' });
  ids['mobile-workers'] = w.id;
  ids.number = `25471233${n}`;
  await ok('POST', `/api/v1/projects/${name}/mobile-workers/${w.id}/phone-numbers`, { number: ids.number });
  await ok('POST', `/api/v1/projects/${name}/gateways`, { name: 'gw', type: 'test' });
  ids.gateway = 'GW';
  await ok('PUT', `/api/v1/projects/${name}/gateway-routes`, [{ prefix: '*', gateway: 'GW' }], 200);
  ids.messages = (await ok('POST', `/api/v1/projects/${name}/messages`, { recipient: { caseId: c.id }, text: 'hello' })).id;
  ids.broadcasts = (await ok('POST', `/api/v1/projects/${name}/broadcasts`, { recipients: { caseIds: [c.id] }, text: 'x' }, 202)).id;
  ids['reminder-rules'] = (await ok('POST', `/api/v1/projects/${name}/reminder-rules`, { name: `Rule of ${name}`, caseType: 'patient', content: { text: 'x' }, schedule: { type: 'once' } })).id;
}

before(async () => {
  const recorded = await recordRoutes(() => createTestApp());
  t = recorded.value;
  // Broadcasts are expanded by a job; here the job is only accepted (nothing runs in the background).
  t.deps.queue = { enqueue: async () => undefined };
  allRoutes = recorded.routes;
  projectRoutes = allRoutes.filter((r) => r.url === '/api/v1/projects/:project' || r.url.startsWith('/api/v1/projects/:project/'));
  doc = (await t.request('GET', '/openapi.json', { token: null })).json();
  catalogue = new Set(((await t.request('GET', '/api/v1/errors', { token: null })).json() as Json[]).map((e) => e.code));
  await seed('alpha', a, '1111');
  await seed('bravo', b, '2222');
});
after(() => t.close());

describe('the routes under test', () => {
  test('every project route the app registers is walked, and each is in the OpenAPI document', () => {
    assert.ok(projectRoutes.filter((r) => r.method !== 'HEAD').length >= 30, `found ${projectRoutes.length} routes`);
    const keys = new Set(projectRoutes.map(label));
    for (const must of [
      'GET /api/v1/projects/:project',
      'PATCH /api/v1/projects/:project',
      'GET /api/v1/projects/:project/cases/:id',
      'POST /api/v1/projects/:project/cases/:id/close',
      'POST /api/v1/projects/:project/messages',
      'DELETE /api/v1/projects/:project/mobile-workers/:id/phone-numbers/:number',
      'POST /api/v1/projects/:project/mobile-workers/:id/phone-numbers/:number/verify',
      'GET /api/v1/projects/:project/phone-numbers/:number',
      'GET /api/v1/projects/:project/contact-reevaluation',
      'POST /api/v1/projects/:project/contact-reevaluation',
      'GET /api/v1/projects/:project/possible-opt-outs',
      'POST /api/v1/projects/:project/possible-opt-outs/:id/confirm',
      'POST /api/v1/projects/:project/possible-opt-outs/:id/dismiss',
    ]) {
      assert.ok(keys.has(must), must);
    }
    // A route missing from the OpenAPI document (for example one without tags) is not documented.
    for (const r of projectRoutes.filter((x) => x.method !== 'HEAD')) {
      assert.ok(doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()], `${label(r)} is in /openapi.json`);
    }
  });
});

describe('project isolation', () => {
  for (const [article, role] of [['a', 'member'], ['an', 'admin']] as const) {
    test(`${article} ${role} of alpha gets 403/404 with a code on every bravo endpoint, and bravo does not change`, async () => {
      const token = await t.createMember('alpha', role);
      const before = await snapshot(b.projectId as string);
      const alphaBefore = await snapshot(a.projectId as string);
      for (const r of projectRoutes) {
        const res = await send(r, b, token);
        assertError(r, res, [403, 404]);
        assert.ok(!res.body.includes('Case of bravo') && !res.body.includes('blue'), `${label(r)} shows nothing of bravo's case`);
      }
      assert.equal(await snapshot(b.projectId as string), before, 'bravo unchanged');
      assert.equal(await snapshot(a.projectId as string), alphaBefore, 'alpha unchanged too');
      const bravoCase = (await t.request('GET', `/api/v1/projects/bravo/cases/${b.cases}`)).json();
      assert.deepEqual([bravoCase.name, bravoCase.closed, bravoCase.properties.colour], ['Case of bravo', false, 'blue']);
      const bravoWorker = (await t.request('GET', `/api/v1/projects/bravo/mobile-workers/${b['mobile-workers']}`)).json();
      assert.deepEqual(bravoWorker.phoneNumbers.map((p: Json) => p.number), [`+${b.number}`]);
    });

    test(`${article} ${role} of alpha using alpha's name with bravo's ids gets 404 NOT_FOUND`, async () => {
      const token = await t.createMember('alpha', role);
      const before = await snapshot(b.projectId as string);
      const mixed = { ...b, project: 'alpha', gateway: a.gateway as string };
      const withIds = projectRoutes.filter((r) => r.url.includes('/:id'));
      assert.ok(withIds.length >= 10);
      for (const r of withIds) {
        // A member asking for an admin-only action is refused for the role before any id is read.
        const [status, code] = role === 'member' && ADMIN_ONLY.has(label(r)) ? [403, 'FORBIDDEN'] : [404, 'NOT_FOUND'];
        assertError(r, await send(r, mixed, token), [status], code);
      }
      assert.equal(await snapshot(b.projectId as string), before);
      // A number held only in bravo: alpha's lookup shows no bravo entry.
      const lookup = (await t.request('GET', `/api/v1/projects/alpha/phone-numbers/%2B${b.number}`, { token })).json();
      assert.deepEqual(lookup.entries, []);
      const alphaCases = (await t.request('GET', '/api/v1/projects/alpha/cases?limit=500', { token })).json();
      assert.ok(alphaCases.items.every((c: Json) => c.id !== b.cases));
    });
  }
});

describe('references to another project', () => {
  test("a case cannot be owned by bravo's worker", async () => {
    const res = await t.request('POST', '/api/v1/projects/alpha/cases', { body: { caseType: 'x', name: 'n', ownerId: b['mobile-workers'] } });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.code, 'VALIDATION_ERROR');
  });

  test("self-registration cannot make bravo's worker the owner or submitter of alpha's new cases", async () => {
    const admin = await t.createMember('alpha', 'admin');
    try {
      for (const field of ['caseOwnerId', 'submitterId']) {
        const res = await t.request('PATCH', '/api/v1/projects/alpha', { token: admin, body: { selfRegistration: { caseEnabled: true, caseType: 'patient', [field]: b['mobile-workers'] } } });
        assert.equal(res.statusCode, 400, `${field}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        assert.equal(res.json().error.code, 'VALIDATION_ERROR');
        assert.equal(res.json().error.details.field, `selfRegistration.${field}`);
      }
      // Alpha's own worker is accepted as both.
      const own = await t.request('PATCH', '/api/v1/projects/alpha', { token: admin, body: { selfRegistration: { caseEnabled: true, caseType: 'patient', caseOwnerId: a['mobile-workers'], submitterId: a['mobile-workers'] } } });
      assert.equal(own.statusCode, 200, own.body);
      assert.equal(own.json().selfRegistration.caseOwnerId, a['mobile-workers']);
    } finally {
      await t.request('PATCH', '/api/v1/projects/alpha', { body: { selfRegistration: { caseEnabled: false, caseOwnerId: null, submitterId: null } } });
    }
  });
});

describe('tokens', () => {
  test('no token, a garbage token and a revoked token are 401 UNAUTHORIZED on every project route', async () => {
    const revoked = await t.createMember('alpha', 'admin');
    const out = await t.request('DELETE', '/api/v1/auth/tokens/current', { token: revoked });
    assert.equal(out.statusCode, 204);
    const again = await t.request('DELETE', '/api/v1/auth/tokens/current', { token: revoked });
    assert.equal(again.statusCode, 401);
    const before = await snapshot(a.projectId as string);
    for (const token of [null, 'garbage', 'rc_garbage-garbage-garbage-garbage', revoked]) {
      for (const r of projectRoutes) {
        assertError(r, await send(r, a, token), [401], 'UNAUTHORIZED');
      }
    }
    assert.equal(await snapshot(a.projectId as string), before);
    for (const header of ['Basic cm9vdDpyb290', 'Bearer', `Token ${t.adminToken}`, `Bearer ${t.adminToken} extra`]) {
      const res = await t.request('GET', '/api/v1/projects/alpha', { token: null, headers: { authorization: header } });
      assert.equal(res.statusCode, 401, header);
      assert.equal(res.json().error.code, 'UNAUTHORIZED');
    }
  });
});

/** Routes a member of the project may not use: 403 FORBIDDEN (a role question), not 404. */
const ADMIN_ONLY = new Set([
  'PATCH /api/v1/projects/:project',
  'POST /api/v1/projects/:project/users',
  'POST /api/v1/projects/:project/gateways',
  'PATCH /api/v1/projects/:project/gateways/:name',
  'DELETE /api/v1/projects/:project/gateways/:name',
  'POST /api/v1/projects/:project/gateways/:name/rotate-inbound-url',
  'PUT /api/v1/projects/:project/gateway-routes',
  'GET /api/v1/projects/:project/consent-events.csv',
  'POST /api/v1/projects/:project/contact-reevaluation',
  'PATCH /api/v1/projects/:project/users/:id',
  'POST /api/v1/projects/:project/reminder-rules',
  'PATCH /api/v1/projects/:project/reminder-rules/:id',
  'DELETE /api/v1/projects/:project/reminder-rules/:id',
  'POST /api/v1/projects/:project/reminder-rules/import',
]);

describe('roles', () => {
  test('a member cannot change the project, add users or use admin-only endpoints: 403 FORBIDDEN', async () => {
    const member = await t.createMember('alpha', 'member');
    const before = await snapshot(a.projectId as string);
    for (const key of ADMIN_ONLY) {
      const r = projectRoutes.find((x) => label(x) === key);
      assert.ok(r, key);
      assertError(r, await send(r, a, member), [403], 'FORBIDDEN');
    }
    assert.equal(await snapshot(a.projectId as string), before);
    // What a member may do still works.
    assert.equal((await t.request('GET', '/api/v1/projects/alpha', { token: member })).statusCode, 200);
    assert.equal((await t.request('GET', `/api/v1/projects/alpha/cases/${a.cases}`, { token: member })).statusCode, 200);
  });

  test('an admin can change the project and add users', async () => {
    const admin = await t.createMember('alpha', 'admin');
    const patched = await t.request('PATCH', '/api/v1/projects/alpha', { token: admin, body: { helpText: 'Reply HELP' } });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal((await t.request('GET', '/api/v1/projects/alpha', { token: admin })).json().helpText, 'Reply HELP');
    const added = await t.request('POST', '/api/v1/projects/alpha/users', { token: admin, body: { email: 'added@example.org', password: 'added-password', role: 'member' } });
    assert.equal(added.statusCode, 201, added.body);
    const list = (await t.request('GET', '/api/v1/projects', { token: admin })).json();
    assert.deepEqual(list.items.map((p: Json) => p.name), ['alpha'], 'an admin of alpha sees only alpha');
  });

  test('only a superuser creates projects', async () => {
    for (const role of ['member', 'admin'] as const) {
      const token = await t.createMember('alpha', role);
      const res = await t.request('POST', '/api/v1/projects', { token, body: { name: `by-${role}` } });
      assert.equal(res.statusCode, 403, res.body);
      assert.equal(res.json().error.code, 'FORBIDDEN');
    }
    assert.equal((await t.deps.db.selectFrom('projects').select('name').where('name', 'like', 'by-%').execute()).length, 0);
    assert.equal((await t.request('POST', '/api/v1/projects', { body: { name: 'by-root' } })).statusCode, 201);
  });

  test('the global gateways and routes are for superusers only: a project admin gets 403 FORBIDDEN', async () => {
    const admin = await t.createMember('alpha', 'admin');
    const open = new Set(['POST /api/v1/auth/tokens', 'GET /api/v1/auth/tokens', 'HEAD /api/v1/auth/tokens', 'DELETE /api/v1/auth/tokens/current', 'DELETE /api/v1/auth/tokens/:id', 'GET /api/v1/auth/me', 'HEAD /api/v1/auth/me', 'GET /api/v1/errors', 'HEAD /api/v1/errors', 'GET /api/v1/projects', 'HEAD /api/v1/projects', 'POST /api/v1/projects']);
    const global = allRoutes.filter((r) => r.url.startsWith('/api/v1/') && !r.url.startsWith('/api/v1/projects') && !open.has(label(r)));
    assert.ok(global.length >= 6, global.map(label).join(', '));
    const before = await t.deps.db.selectFrom('gateways').selectAll().where('project_id', 'is', null).execute();
    for (const r of global) {
      assertError(r, await send(r, { gateway: 'ANY' }, admin), [403], 'FORBIDDEN');
    }
    assert.deepEqual(await t.deps.db.selectFrom('gateways').selectAll().where('project_id', 'is', null).execute(), before);
  });
});
