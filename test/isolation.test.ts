/**
 * Project isolation across every endpoint, not one: the routes are read from the OpenAPI document,
 * so an endpoint added later is covered without editing this test. A member (and an admin) of
 * project A gets 403 or 404 on every resource of project B, and nothing in B changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createTestApp, type TestApp } from './support/test-app.ts';

type Json = Record<string, any>;
let t: TestApp;
const b: Record<string, string> = {};
const a: Record<string, string> = {};

/** A body that passes validation, so the request reaches the access check. */
const BODIES: Record<string, unknown> = {
  'POST /api/v1/projects/{project}/cases': { caseType: 'intruder', name: 'Intruder' },
  'PATCH /api/v1/projects/{project}/cases/{id}': { name: 'Changed' },
  'POST /api/v1/projects/{project}/mobile-workers': { username: 'intruder' },
  'POST /api/v1/projects/{project}/mobile-workers/{id}/phone-numbers': { number: '+254712000999' },
  'PATCH /api/v1/projects/{project}': { helpText: 'changed' },
  'POST /api/v1/projects/{project}/users': { email: 'intruder@example.org', password: 'intruder-password', role: 'admin' },
  'POST /api/v1/projects/{project}/gateways': { name: 'intruder', type: 'test' },
  'PATCH /api/v1/projects/{project}/gateways/{name}': { ratePerSecond: 1 },
  'PUT /api/v1/projects/{project}/gateway-routes': [],
  'POST /api/v1/projects/{project}/messages': { recipient: { phoneNumber: '+254712000999' }, text: 'x' },
  'POST /api/v1/projects/{project}/broadcasts': { recipients: { caseType: 'patient' }, text: 'x' },
};

async function snapshot(projectId: string): Promise<string> {
  const db = t.deps.db;
  const [project, cases, workers, gateways, routes, messages, entries, members, broadcasts] = await Promise.all([
    db.selectFrom('projects').select(['name', 'settings', 'time_zone', 'languages']).where('id', '=', projectId).execute(),
    db.selectFrom('cases').select(['id', 'name', 'properties', 'closed', 'deleted_at']).where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('mobile_workers').select(['id', 'username', 'deleted_at']).where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('gateways').select(['id', 'name', 'rate_per_second', 'inbound_key']).where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('gateway_routes').select(['prefix', 'gateway_id']).where('project_id', '=', projectId).orderBy('prefix').execute(),
    db.selectFrom('messages').select(['id', 'status']).where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('phone_entries').select(['number', 'owner_id', 'state']).where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('memberships').select(['user_id', 'role']).where('project_id', '=', projectId).orderBy('user_id').execute(),
    db.selectFrom('broadcasts').select('id').where('project_id', '=', projectId).execute(),
  ]);
  return JSON.stringify({ project, cases, workers, gateways, routes, messages, entries, members, broadcasts });
}

async function seed(name: string, ids: Record<string, string>): Promise<void> {
  const p = await t.createProject(name, { defaultCountry: 'KE' });
  ids.projectId = p.id as string;
  ids.project = name;
  const c = (await t.request('POST', `/api/v1/projects/${name}/cases`, { body: { caseType: 'patient', name: 'C', properties: { contact_phone_number: name === 'bravo' ? '+254712111111' : '+254712222222' } } })).json();
  ids.caseId = c.id;
  const w = (await t.request('POST', `/api/v1/projects/${name}/mobile-workers`, { body: { username: 'worker' } })).json();
  ids.workerId = w.id;
  ids.number = name === 'bravo' ? '254712333333' : '254712444444';
  await t.request('POST', `/api/v1/projects/${name}/mobile-workers/${w.id}/phone-numbers`, { body: { number: ids.number } });
  await t.request('POST', `/api/v1/projects/${name}/gateways`, { body: { name: 'gw', type: 'test' } });
  await t.request('PUT', `/api/v1/projects/${name}/gateway-routes`, { body: [{ prefix: '*', gateway: 'GW' }] });
  const m = (await t.request('POST', `/api/v1/projects/${name}/messages`, { body: { recipient: { caseId: c.id }, text: 'hello' } })).json();
  ids.messageId = m.id;
  const bc = (await t.request('POST', `/api/v1/projects/${name}/broadcasts`, { body: { recipients: { caseIds: [c.id] }, text: 'x' } })).json();
  ids.broadcastId = bc.id;
}

function fill(path: string, ids: Record<string, string>): string {
  const id = path.includes('/mobile-workers/') ? ids.workerId : path.includes('/messages/') ? ids.messageId : path.includes('/broadcasts/') ? ids.broadcastId : ids.caseId;
  return path
    .replace('{project}', ids.project ?? '')
    .replace('{id}', id ?? '')
    .replace('{number}', ids.number ?? '')
    .replace('{name}', 'GW');
}

let routes: Array<{ method: string; path: string }> = [];

before(async () => {
  t = await createTestApp();
  await seed('alpha', a);
  await seed('bravo', b);
  const doc = (await t.request('GET', '/openapi.json')).json();
  routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .filter(([path]) => path.startsWith('/api/v1/projects/{project}'))
    .flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
});
after(() => t.close());

describe('project isolation', () => {
  test('the OpenAPI document lists the project endpoints this test walks', () => {
    assert.ok(routes.length >= 30, `found ${routes.length} routes`);
    for (const must of ['GET /api/v1/projects/{project}/cases/{id}', 'POST /api/v1/projects/{project}/messages', 'DELETE /api/v1/projects/{project}/mobile-workers/{id}/phone-numbers/{number}']) {
      assert.ok(routes.some((r) => `${r.method} ${r.path}` === must), must);
    }
  });

  for (const role of ['member', 'admin'] as const) {
    test(`a ${role} of alpha gets 403/404 on every bravo endpoint, and bravo does not change`, async () => {
      const token = await t.createMember('alpha', role);
      const before = await snapshot(b.projectId as string);
      const seen: string[] = [];
      for (const r of routes) {
        const key = `${r.method} ${r.path}`;
        const res = await t.request(r.method as 'GET', fill(r.path, b), { token, ...(BODIES[key] !== undefined ? { body: BODIES[key] } : r.method === 'POST' ? { body: {} } : {}) });
        assert.ok(res.statusCode === 403 || res.statusCode === 404, `${key} answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
        assert.ok(res.json().error.code, key);
        seen.push(key);
      }
      assert.equal(await snapshot(b.projectId as string), before, 'bravo unchanged');
      assert.equal(seen.length, routes.length);
    });
  }

  test("alpha's own name with bravo's ids finds nothing", async () => {
    const token = await t.createMember('alpha', 'admin');
    const before = await snapshot(b.projectId as string);
    const mixed = { ...b, project: 'alpha' };
    for (const r of routes.filter((x) => x.path.includes('{id}'))) {
      const key = `${r.method} ${r.path}`;
      const res = await t.request(r.method as 'GET', fill(r.path, mixed), { token, ...(BODIES[key] !== undefined ? { body: BODIES[key] } : r.method === 'POST' ? { body: {} } : {}) });
      assert.equal(res.statusCode, 404, `${key}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    assert.equal(await snapshot(b.projectId as string), before);
  });

  test('no token, a garbage token and a revoked token get 401; roles are enforced', async () => {
    assert.equal((await t.request('GET', '/api/v1/projects/alpha', { token: null })).statusCode, 401);
    assert.equal((await t.request('GET', '/api/v1/projects/alpha', { token: 'rc_garbage-garbage-garbage' })).statusCode, 401);
    const token = await t.createMember('alpha', 'member');
    assert.equal((await t.request('DELETE', '/api/v1/auth/tokens/current', { token })).statusCode, 204);
    const revoked = await t.request('GET', '/api/v1/projects/alpha', { token });
    assert.equal(revoked.statusCode, 401);
    assert.equal(revoked.json().error.code, 'UNAUTHORIZED');
    const member = await t.createMember('alpha', 'member');
    assert.equal((await t.request('PATCH', '/api/v1/projects/alpha', { token: member, body: { helpText: 'x' } })).statusCode, 403);
    assert.equal((await t.request('POST', '/api/v1/projects/alpha/users', { token: member, body: { email: 'x@example.org', password: 'password1', role: 'member' } })).statusCode, 403);
    assert.equal((await t.request('POST', '/api/v1/projects', { token: member, body: { name: 'newproj' } })).statusCode, 403);
    const admin = await t.createMember('alpha', 'admin');
    assert.equal((await t.request('PATCH', '/api/v1/projects/alpha', { token: admin, body: { helpText: 'hello' } })).statusCode, 200);
    assert.equal((await t.request('POST', '/api/v1/projects/alpha/users', { token: admin, body: { email: 'new@example.org', password: 'password1', role: 'member' } })).statusCode, 201);
    assert.equal((await t.request('POST', '/api/v1/projects', { token: admin, body: { name: 'newproj' } })).statusCode, 403);
    const list = (await t.request('GET', '/api/v1/projects', { token: admin })).json();
    assert.deepEqual(list.items.map((p: Json) => p.name), ['alpha']);
  });
});
