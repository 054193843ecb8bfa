/**
 * The authorization matrix: every route the app registers (recorded, so a new route without a row
 * here fails the test) × every role — superuser, alpha's admin, alpha's member, bravo's admin, no
 * credential, an expired session and a revoked token/session. API routes get the role's bearer
 * token (the expired one is a session token past its expires_at, issued by the app's own clock);
 * /ui routes get the role's session cookie and its form token. Every request goes to project alpha.
 *
 * Allowed: neither 401 nor 403 nor a 5xx (nor, on /ui, a redirect to sign in). Denied: the exact
 * status and catalogue code of the table. All denied requests run first, and every table of the
 * database is the same afterwards; then the allowed ones run, destructive routes last.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { LightMyRequestResponse } from 'fastify';

import { openApiPath, type RecordedRoute, sampleOf } from './support/routes.ts';
import { type Credential, createSecurityFixture, fill, type Role, ROLES, type SecurityFixture, snapshotAll } from './support/security-fixture.ts';

type Json = Record<string, any>;
type Outcome = 'ok' | 'sign-in' | [number, string];
type Access = 'public' | 'user' | 'superuser' | 'member' | 'admin' | 'key' | 'ui-public' | 'ui-sign-in' | 'ui-user' | 'ui-superuser' | 'ui-member' | 'ui-admin';

const U: [number, string] = [401, 'UNAUTHORIZED'];
const F: [number, string] = [403, 'FORBIDDEN'];
const N: [number, string] = [404, 'NOT_FOUND'];
const S = 'sign-in' as const;
/** Columns: superuser, admin, member, other project's admin, none, expired, revoked. */
const EXPECT: Record<Access, Outcome[]> = {
  public: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
  user: ['ok', 'ok', 'ok', 'ok', U, U, U],
  superuser: ['ok', F, F, F, U, U, U],
  member: ['ok', 'ok', 'ok', N, U, U, U],
  admin: ['ok', 'ok', F, N, U, U, U],
  // Webhooks and unsubscribe links are authorised by the key in their URL alone: no token opens an unknown one.
  key: [N, N, N, N, N, N, N],
  'ui-public': ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
  // The sign-in form is refused to everyone without its own double-submit token (test/csrf.test.ts).
  'ui-sign-in': [F, F, F, F, F, F, F],
  'ui-user': ['ok', 'ok', 'ok', 'ok', S, S, S],
  'ui-superuser': ['ok', F, F, F, S, S, S],
  'ui-member': ['ok', 'ok', 'ok', N, S, S, S],
  'ui-admin': ['ok', 'ok', F, N, S, S, S],
};

const P = '/api/v1/projects/:project';
const UI = '/ui/p/:project';
/** Every route but HEAD (a HEAD route has its GET's row). */
const TABLE: Record<Access, string[]> = {
  public: ['GET /healthz', 'GET /openapi.json', 'GET /api/v1/errors', 'POST /api/v1/auth/tokens'],
  user: ['GET /api/v1/auth/tokens', 'DELETE /api/v1/auth/tokens/:id', 'DELETE /api/v1/auth/tokens/current', 'GET /api/v1/auth/me', 'GET /api/v1/projects'],
  superuser: [
    'PATCH /api/v1/users/:id',
    'POST /api/v1/projects', 'POST /api/v1/gateways', 'GET /api/v1/gateways', 'GET /api/v1/gateways/:name', 'PATCH /api/v1/gateways/:name',
    'DELETE /api/v1/gateways/:name', 'GET /api/v1/gateway-routes', 'PUT /api/v1/gateway-routes', 'GET /metrics',
  ],
  member: [
    `GET ${P}/dashboard`, `POST ${P}/broadcasts/preview`, `GET ${P}/broadcasts`, `POST ${P}/broadcasts/:id/cancel`, `GET ${P}/cases/export`,
    `GET ${P}/contact-reevaluation`,
    `GET ${P}`, `GET ${P}/users`, `POST ${P}/cases`, `GET ${P}/cases`, `GET ${P}/cases/:id`, `PATCH ${P}/cases/:id`, `POST ${P}/cases/:id/close`,
    `DELETE ${P}/cases/:id`, `POST ${P}/mobile-workers`, `GET ${P}/mobile-workers`, `GET ${P}/mobile-workers/:id`, `DELETE ${P}/mobile-workers/:id`,
    `POST ${P}/mobile-workers/:id/phone-numbers`, `DELETE ${P}/mobile-workers/:id/phone-numbers/:number`, `POST ${P}/mobile-workers/:id/phone-numbers/:number/verify`,
    `GET ${P}/phone-numbers/:number`, `GET ${P}/phone-numbers/:number/consent`, `GET ${P}/opt-outs`, `GET ${P}/gateways`, `GET ${P}/gateways/:name`,
    `GET ${P}/gateways/:name/outbox`, `GET ${P}/gateway-routes`, `POST ${P}/messages`, `GET ${P}/messages`, `GET ${P}/messages/:id`,
    `GET ${P}/cases/:id/reachability`, `GET ${P}/mobile-workers/:id/reachability`, `POST ${P}/broadcasts`, `GET ${P}/broadcasts/:id`,
    `GET ${P}/surveys`, `GET ${P}/surveys/:id`, `POST ${P}/surveys/:id/sessions`, `GET ${P}/surveys/:id/sessions`, `GET ${P}/survey-sessions`,
    `GET ${P}/survey-sessions/:id`, `POST ${P}/survey-sessions/:id/cancel`, `GET ${P}/imports`, `GET ${P}/imports/template`, `GET ${P}/imports/:id`,
    `POST ${P}/imports/:id/run`, `GET ${P}/imports/:id/annotated`, `POST ${P}/imports`, `GET ${P}/possible-opt-outs`,
    `GET ${P}/reminder-rules`, `GET ${P}/reminder-rules/:id`, `GET ${P}/reminder-rules/export`, `GET ${P}/reminder-rules/:id/preview`, `GET ${P}/cases/:id/reminders`,
  ],
  admin: [ `PATCH ${P}/users/:id`,
    `POST ${P}/contact-reevaluation`,
    `PATCH ${P}`, `POST ${P}/users`, `POST ${P}/gateways`, `PATCH ${P}/gateways/:name`, `DELETE ${P}/gateways/:name`, `POST ${P}/gateways/:name/rotate-inbound-url`,
    `POST ${P}/gateways/:name/test-message`, `PUT ${P}/gateway-routes`, `GET ${P}/consent-events.csv`, `POST ${P}/surveys`, `PUT ${P}/surveys/:id`,
    `PATCH ${P}/surveys/:id`, `DELETE ${P}/surveys/:id`, `POST ${P}/possible-opt-outs/:id/confirm`, `POST ${P}/possible-opt-outs/:id/dismiss`,
    `POST ${P}/reminder-rules`, `PATCH ${P}/reminder-rules/:id`, `DELETE ${P}/reminder-rules/:id`, `POST ${P}/reminder-rules/import`,
  ],
  key: ['GET /webhooks/:key/inbound', 'POST /webhooks/:key/inbound', 'GET /webhooks/:key/status', 'POST /webhooks/:key/status', 'GET /unsubscribe/:token', 'POST /unsubscribe/:token'],
  'ui-public': ['GET /', 'GET /ui', 'GET /ui/assets/admin.css', 'GET /ui/assets/htmx.min.js', 'GET /ui/assets/admin.js', 'GET /ui/assets/favicon.svg', 'GET /ui/p/:project', 'GET /ui/sign-in'],
  'ui-sign-in': ['POST /ui/sign-in'],
  'ui-user': [ 'GET /ui/tokens', 'POST /ui/tokens', 'POST /ui/tokens/:id/revoke','GET /ui/projects', 'POST /ui/sign-out'],
  'ui-superuser': [ 'POST /ui/users/:id/account','POST /ui/projects'],
  'ui-member': [ `GET ${UI}/dashboard`, `GET ${UI}/cases/:id/conversation`, `GET ${UI}/mobile-workers/:id/conversation`, `GET ${UI}/broadcasts`, `GET ${UI}/broadcasts/new`, `POST ${UI}/broadcasts/new`, `POST ${UI}/broadcasts/segments`, `POST ${UI}/broadcasts/preview`, `POST ${UI}/broadcasts`, `GET ${UI}/broadcasts/:id`, `GET ${UI}/broadcasts/:id/progress`, `POST ${UI}/broadcasts/:id/cancel`, `POST ${UI}/cases/bulk/close`, `POST ${UI}/cases/bulk/survey`, `POST ${UI}/cases/bulk/export`, `GET ${UI}/cases/export.csv`, `GET ${UI}/cases/export.xlsx`, `GET ${UI}/export`, `GET ${UI}/users`,
    `GET ${UI}/settings/contact-reevaluation`,
    `GET ${UI}/settings`, `GET ${UI}/cases`, `POST ${UI}/cases`, `GET ${UI}/cases/:id`, `POST ${UI}/cases/:id`, `POST ${UI}/cases/:id/close`,
    `POST ${UI}/cases/:id/messages`, `POST ${UI}/cases/:id/surveys`, `GET ${UI}/mobile-workers`, `POST ${UI}/mobile-workers`, `GET ${UI}/mobile-workers/:id`,
    `POST ${UI}/mobile-workers/:id/phone-numbers`, `POST ${UI}/mobile-workers/:id/phone-numbers/verify`, `POST ${UI}/mobile-workers/:id/phone-numbers/remove`,
    `GET ${UI}/messages`, `GET ${UI}/gateways`, `GET ${UI}/opt-outs`, `GET ${UI}/numbers/:number`, `GET ${UI}/surveys`,
    `GET ${UI}/surveys/:id`, `GET ${UI}/surveys/:id/sessions`, `GET ${UI}/imports`, `POST ${UI}/imports`, `GET ${UI}/imports/template`, `GET ${UI}/imports/:id`,
    `GET ${UI}/imports/:id/progress`, `POST ${UI}/imports/:id/dry-run`, `POST ${UI}/imports/:id/run`, `GET ${UI}/imports/:id/annotated`,
    `GET ${UI}/possible-opt-outs`,
    `GET ${UI}/reminder-rules`, `GET ${UI}/reminder-rules/:id`, `GET ${UI}/reminder-rules/:id/progress`,
  ],
  'ui-admin': [ `GET ${UI}/tester/messages`, `POST ${UI}/gateways/:name/route-all`, `POST ${UI}/users`, `POST ${UI}/users/:id/role`, `POST ${UI}/users/:id/deactivate`, `POST ${UI}/users/:id/reactivate`,
    `POST ${UI}/settings/contact-reevaluation`, `GET ${UI}/tester`, `POST ${UI}/tester`,
    `POST ${UI}/settings`, `POST ${UI}/settings/messaging`, `POST ${UI}/gateways`, `POST ${UI}/gateways/routes`, `POST ${UI}/gateways/:name/test-message`,
    `POST ${UI}/gateways/:name/delete`, `POST ${UI}/gateways/:name/rotate-webhook-urls`, `GET ${UI}/gateways/:name/edit`, `POST ${UI}/gateways/:name`, `GET ${UI}/surveys/new`, `POST ${UI}/surveys`,
    `POST ${UI}/surveys/:id`, `POST ${UI}/surveys/:id/delete`, `GET ${UI}/consent-events.csv`,
    `POST ${UI}/possible-opt-outs/:id/confirm`, `POST ${UI}/possible-opt-outs/:id/dismiss`,
    `GET ${UI}/reminder-rules/new`, `POST ${UI}/reminder-rules`, `GET ${UI}/reminder-rules/:id/edit`, `POST ${UI}/reminder-rules/:id`,
    `POST ${UI}/reminder-rules/:id/pause`, `POST ${UI}/reminder-rules/:id/resume`, `POST ${UI}/reminder-rules/:id/delete`,
  ],
};

/** Bodies that pass validation, so a request reaches the access check; other routes get one made from their OpenAPI schema. */
const BODIES: Record<string, unknown> = {
  'POST /api/v1/auth/tokens': { email: 'alpha-member@example.org', password: 'member-password' },
  'POST /api/v1/projects': { name: 'made-by-matrix' },
  [`POST ${P}/users`]: { email: 'intruder@example.org', password: 'intruder-password', role: 'admin' },
  [`POST ${P}/cases`]: { caseType: 'intruder', name: 'Intruder' },
  [`PATCH ${P}/cases/:id`]: { name: 'Changed', properties: { hacked: 'yes' } },
  [`POST ${P}/mobile-workers`]: { username: 'intruder' },
  [`POST ${P}/mobile-workers/:id/phone-numbers`]: { number: '+254712000999' },
  [`PATCH ${P}`]: { helpText: 'changed' },
  [`POST ${P}/gateways`]: { name: 'intruder', type: 'test' },
  [`PATCH ${P}/gateways/:name`]: { ratePerSecond: 1 },
  [`PUT ${P}/gateway-routes`]: [],
  [`POST ${P}/messages`]: { recipient: { phoneNumber: '+254712000999' }, text: 'x' },
  [`POST ${P}/broadcasts`]: { recipients: { caseType: 'patient' }, text: 'x' },
  [`POST ${P}/surveys`]: { name: 'Intruder survey', questions: [{ id: 'q', text: 'Q?', type: 'text', saveAs: 'q' }] },
  [`PUT ${P}/surveys/:id`]: { name: 'Replaced', questions: [{ id: 'q', text: 'Q?', type: 'text', saveAs: 'q' }] },
  [`POST ${P}/reminder-rules`]: { name: 'Intruder rule', caseType: 'patient', content: { text: 'x' }, schedule: { type: 'once' } },
  [`PATCH ${P}/reminder-rules/:id`]: { active: false },
  [`POST ${P}/reminder-rules/import`]: { format: 'rollcall-reminder-rules', version: 1, rules: [{ name: 'Intruder import', caseType: 'patient', content: { text: 'x' }, schedule: { type: 'once' } }], surveys: {} },
  'POST /api/v1/gateways': { name: 'intruder', type: 'test' },
};

let f: SecurityFixture;
const expected = new Map<string, Access>();
const key = (r: RecordedRoute) => `${r.method} ${r.url}`;

before(async () => {
  f = await createSecurityFixture();
  for (const [access, keys] of Object.entries(TABLE) as [Access, string[]][]) {
    for (const k of keys) {
      assert.ok(!expected.has(k), `${k} has one row`);
      expected.set(k, access);
    }
  }
});
after(() => f.t.close());

function accessOf(r: RecordedRoute): Access | undefined {
  return expected.get(r.method === 'HEAD' ? `GET ${r.url}` : key(r));
}

function bodyFor(r: RecordedRoute): unknown {
  if (key(r) in BODIES) {
    return BODIES[key(r)];
  }
  const op = f.doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()];
  return r.hasBody ? sampleOf(op?.requestBody?.content?.['application/json']?.schema) : undefined;
}

async function send(r: RecordedRoute, c: Credential): Promise<LightMyRequestResponse> {
  const url = fill(r.url, f.alpha);
  if (r.url === '/ui' || r.url.startsWith('/ui/') || r.url === '/') {
    const headers: Record<string, string> = c.cookie ? { cookie: c.cookie } : {};
    if (r.method !== 'POST') {
      return f.t.app.inject({ method: r.method as 'GET', url, headers });
    }
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return f.t.app.inject({ method: 'POST', url, headers, payload: new URLSearchParams({ _csrf: c.csrf }).toString() });
  }
  const body = bodyFor(r);
  return f.t.request(r.method as 'GET', url, { token: c.token, ...(body === undefined ? {} : { body }) });
}

/** The error code of a JSON error, or the code an HTML error page shows. */
function codeOf(res: LightMyRequestResponse): string | undefined {
  if (String(res.headers['content-type']).startsWith('text/html')) {
    return /<p class="code">([A-Z_]+)<\/p>/.exec(res.body)?.[1];
  }
  return res.body ? (JSON.parse(res.body) as Json).error?.code : undefined;
}

function check(r: RecordedRoute, role: Role, outcome: Outcome, res: LightMyRequestResponse): void {
  const what = `${key(r)} as ${role}: ${res.statusCode} ${String(res.headers.location ?? '')} ${res.body.slice(0, 200)}`;
  const location = String(res.headers.location ?? '');
  if (outcome === 'ok') {
    assert.ok(![401, 403].includes(res.statusCode) && res.statusCode < 500, what);
    const signOut = r.url === '/ui/sign-out';
    assert.ok(signOut ? location === '/ui/sign-in' : !location.startsWith('/ui/sign-in'), what);
    return;
  }
  if (outcome === 'sign-in') {
    assert.equal(res.statusCode, 302, what);
    assert.equal(location, `/ui/sign-in?next=${encodeURIComponent(fill(r.url, f.alpha))}`, what);
    return;
  }
  assert.equal(res.statusCode, outcome[0], what);
  if (r.url === '/ui/sign-in') {
    // The sign-in form is shown again with the refusal in words (it has no code line).
    assert.match(res.body, /This form expired/, what);
  } else if (r.method !== 'HEAD') {
    assert.equal(codeOf(res), outcome[1], what);
    assert.ok(f.catalogue.has(outcome[1]));
  }
}

const destructive = (r: RecordedRoute) => r.method === 'DELETE' || /\/(delete|remove)$/.test(r.url);
/** Routes that revoke the credential they are given get a fresh one. */
const revokes = (r: RecordedRoute) => key(r) === 'DELETE /api/v1/auth/tokens/current' || key(r) === 'POST /ui/sign-out';

describe('authorization matrix', () => {
  test('every route the app registers has a row, and every row is a route', () => {
    const missing = f.routes.filter((r) => !accessOf(r)).map(key);
    assert.deepEqual(missing, [], 'routes with no expectation');
    const registered = new Set(f.routes.map(key));
    assert.deepEqual([...expected.keys()].filter((k) => !registered.has(k)), [], 'rows with no route');
    assert.ok(f.routes.length >= 180, `${f.routes.length} routes`);
  });

  test('denied: the exact status and code for every route × role, and nothing in the database changes', async () => {
    const before = await snapshotAll(f.t);
    let denied = 0;
    for (const r of f.routes) {
      const row = EXPECT[accessOf(r) as Access];
      for (const [i, role] of ROLES.entries()) {
        const outcome = row[i] as Outcome;
        if (outcome !== 'ok') {
          check(r, role, outcome, await send(r, f.creds[role]));
          denied++;
        }
      }
    }
    assert.deepEqual(await snapshotAll(f.t), before, 'no table changed');
    console.log(`# ${denied} denied requests over ${f.routes.length} routes; every table unchanged`);
  });

  test('allowed: no 401, 403 or 5xx for every route × role that may use it', async () => {
    const order = [...f.routes.filter((r) => !destructive(r)), ...f.routes.filter(destructive)];
    let allowed = 0;
    for (const [i, role] of ROLES.entries()) {
      for (const r of order) {
        if (EXPECT[accessOf(r) as Access][i] === 'ok') {
          check(r, role, 'ok', await send(r, revokes(r) ? await f.fresh(role) : f.creds[role]));
          allowed++;
        }
      }
    }
    console.log(`# ${allowed} allowed requests`);
  });
});
