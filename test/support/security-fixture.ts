/**
 * A shared fixture for the security tests: a test app (with a clock the test can move) whose routes
 * are recorded, two seeded projects (alpha and bravo), and credentials for every role — an API
 * token and a UI session each for a superuser, alpha's admin, alpha's member and bravo's admin, plus
 * an expired session and a revoked token and session. Also a snapshot of every table, to show that
 * a refused request changed nothing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { sql } from 'kysely';

import { issueApiToken, issueSession, revokeActorToken, resolveToken } from '../../src/services/auth.service.ts';
import { insertPossibleOptOut } from '../../src/store/possible-opt-out.store.ts';
import { findUserByEmail } from '../../src/store/user.store.ts';
import { multipart } from './import-files.ts';
import { type RecordedRoute, recordRoutes } from './routes.ts';
import { createTestApp, type TestApp, type TestAppOptions } from './test-app.ts';

type Json = Record<string, any>;
export type Ids = Record<string, string>;

export const ROLES = ['superuser', 'admin', 'member', 'otherAdmin', 'none', 'expired', 'revoked'] as const;
export type Role = (typeof ROLES)[number];

export interface Credential {
  /** Bearer token for the API (null: none). */
  token: string | null;
  /** Session cookie and its form token for /ui (null: signed out). */
  cookie: string | null;
  csrf: string;
}

export interface SecurityFixture {
  t: TestApp;
  routes: RecordedRoute[];
  doc: Json;
  catalogue: Set<string>;
  alpha: Ids;
  bravo: Ids;
  creds: Record<Role, Credential>;
  /** A fresh credential of the role (for routes that revoke the one they are given). */
  fresh(role: Role): Promise<Credential>;
  /** Moves the app's clock by `ms` from the real time. */
  setClockOffset(ms: number): void;
}

async function ok(t: TestApp, method: 'POST' | 'PUT', url: string, body: unknown, status = 201): Promise<Json> {
  const res = await t.request(method, url, { body });
  assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
  return res.json();
}

/** A project with a case, a worker with a number, a gateway and route, a message, a broadcast, a survey, a reminder rule and an uploaded import. */
export async function seedProject(t: TestApp, name: string, n: string): Promise<Ids> {
  const ids: Ids = {};
  const p = await t.createProject(name, { defaultCountry: 'KE' });
  ids.projectId = p.id as string;
  ids.project = name;
  const c = await ok(t, 'POST', `/api/v1/projects/${name}/cases`, { caseType: 'patient', name: `Case of ${name}`, properties: { contact_phone_number: `+25471211${n}`, colour: 'blue' } });
  ids.cases = c.id;
  const w = await ok(t, 'POST', `/api/v1/projects/${name}/mobile-workers`, { username: 'worker' });
  ids['mobile-workers'] = w.id;
  ids.number = `25471233${n}`;
  await ok(t, 'POST', `/api/v1/projects/${name}/mobile-workers/${w.id}/phone-numbers`, { number: ids.number });
  await ok(t, 'POST', `/api/v1/projects/${name}/gateways`, { name: 'gw', type: 'test' });
  ids.gateway = 'GW';
  await ok(t, 'PUT', `/api/v1/projects/${name}/gateway-routes`, [{ prefix: '*', gateway: 'GW' }], 200);
  ids.messages = (await ok(t, 'POST', `/api/v1/projects/${name}/messages`, { recipient: { caseId: c.id }, text: 'hello' })).id;
  ids.broadcasts = (await ok(t, 'POST', `/api/v1/projects/${name}/broadcasts`, { recipients: { caseIds: [c.id] }, text: 'x' }, 202)).id;
  ids.surveys = (await ok(t, 'POST', `/api/v1/projects/${name}/surveys`, { name: `Survey of ${name}`, questions: [{ id: 'age', text: 'Age?', type: 'number', saveAs: 'age' }] })).id;
  const form = multipart({ name: `contacts-${name}.csv`, bytes: Buffer.from(`Case Name,contact_phone_number\nImported ${name},+25471255${n}\n`) });
  const up = await t.request('POST', `/api/v1/projects/${name}/imports`, { body: form.body, headers: form.headers });
  assert.equal(up.statusCode, 201, up.body);
  ids.imports = up.json().id;
  ids['survey-sessions'] = '00000000-0000-4000-8000-000000000000';
  ids['reminder-rules'] = (await ok(t, 'POST', `/api/v1/projects/${name}/reminder-rules`, { name: `Rule of ${name}`, caseType: 'patient', content: { text: 'Hi {name}' }, schedule: { type: 'once' } })).id;
  // A reply held as a possible opt-out, as inbound handling stores one.
  await t.deps.db.transaction().execute((trx) =>
    insertPossibleOptOut(trx, { projectId: ids.projectId as string, number: `+25471211${n}`, messageId: randomUUID(), text: 'please stop texting me', contactType: 'case', contactId: c.id as string }, new Date()),
  );
  ids['possible-opt-outs'] = (await t.deps.db.selectFrom('possible_opt_outs').select('id').where('project_id', '=', ids.projectId as string).executeTakeFirstOrThrow()).id;
  return ids;
}

/** The route's path with ids: `:id` is the id of the collection it follows (cases, mobile-workers, …). */
export function fill(url: string, ids: Ids): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, (_match, param: string, offset: number) => {
    switch (param) {
      case 'project':
        return ids.project as string;
      case 'number':
        return ids.number as string;
      case 'name':
        return ids.gateway as string;
      case 'key':
        return 'no-such-webhook-key-0123456789';
      case 'token':
        return 'no-such-unsubscribe-token';
    }
    const collection = url.slice(0, offset).split('/').filter(Boolean).at(-1) ?? '';
    return ids[collection] ?? (ids.cases as string);
  });
}

/** Every row of every table of the app (pg-boss's schema aside), to compare before and after. */
export async function snapshotAll(t: TestApp): Promise<Record<string, string>> {
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(t.deps.db);
  const out: Record<string, string> = {};
  for (const { table_name: name } of tables.rows) {
    const rows = await sql<Json>`select * from ${sql.table(name)}`.execute(t.deps.db);
    out[name] = JSON.stringify(rows.rows.map((r) => JSON.stringify(r)).sort());
  }
  return out;
}

export async function createSecurityFixture(options: TestAppOptions = {}): Promise<SecurityFixture> {
  let offset = 0;
  const recorded = await recordRoutes(() => createTestApp({ ...options, clock: () => new Date(Date.now() + offset) }));
  const t = recorded.value;
  // Broadcasts are expanded by a job; here the job is only accepted (nothing runs in the background).
  t.deps.queue = { enqueue: async () => undefined };
  const doc = (await t.request('GET', '/openapi.json', { token: null })).json();
  const catalogue = new Set(((await t.request('GET', '/api/v1/errors', { token: null })).json() as Json[]).map((e) => e.code));
  const alpha = await seedProject(t, 'alpha', '1111');
  const bravo = await seedProject(t, 'bravo', '2222');
  const emails: Partial<Record<Role, string>> = { superuser: 'root@example.org', admin: 'alpha-admin@example.org', member: 'alpha-member@example.org', otherAdmin: 'bravo-admin@example.org' };
  await t.createMember('alpha', 'admin', emails.admin);
  await t.createMember('alpha', 'member', emails.member);
  await t.createMember('bravo', 'admin', emails.otherAdmin);
  const password = (role: Role) => (role === 'superuser' ? 'root-password' : 'member-password');

  const fresh = async (role: Role): Promise<Credential> => {
    const email = emails[role];
    if (email) {
      const user = await findUserByEmail(t.deps.db, email);
      assert.ok(user, email);
      const session = await issueSession(t.deps, user.id, t.config.sessionHours);
      return { token: await issueApiToken(t.deps, email, password(role)), cookie: `rollcall_session=${session.token}`, csrf: session.csrfToken };
    }
    if (role === 'none') {
      return { token: null, cookie: null, csrf: 'none' };
    }
    const member = await fresh('admin');
    if (role === 'expired') {
      // A session issued (by the app's own clock) longer ago than a session lives.
      const user = await findUserByEmail(t.deps.db, emails.admin as string);
      offset = -(t.config.sessionHours + 1) * 3_600_000;
      const session = await issueSession(t.deps, (user as { id: string }).id, t.config.sessionHours);
      offset = 0;
      return { token: session.token, cookie: `rollcall_session=${session.token}`, csrf: session.csrfToken };
    }
    // Revoked: the API token and the session both signed out.
    for (const token of [member.token as string, (member.cookie as string).split('=')[1] as string]) {
      const actor = await resolveToken(t.deps, token);
      assert.ok(actor);
      await revokeActorToken(t.deps, actor);
    }
    return member;
  };
  const creds = {} as Record<Role, Credential>;
  for (const role of ROLES) {
    creds[role] = await fresh(role);
  }
  return { t, routes: recorded.routes, doc, catalogue, alpha, bravo, creds, fresh, setClockOffset: (ms) => (offset = ms) };
}
