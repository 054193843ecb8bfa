/**
 * SQL injection strings in every filter. Every GET endpoint of the OpenAPI document that takes query
 * parameters (so a new filter is covered without editing this test), and the filters of the UI's
 * case list and message log, get classic payloads in each parameter, sent by alpha's member: the
 * answer is a 2xx that shows nothing of project bravo, or a 4xx (400 for the API) with a catalogue
 * code — never a 5xx — and afterwards every table is still there with all its rows. Search filters
 * treat LIKE wildcards as text: `%` and `_` match only names that contain them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { openApiPath } from './support/routes.ts';
import { createSecurityFixture, fill, type SecurityFixture, snapshotAll } from './support/security-fixture.ts';

type Json = Record<string, any>;
let f: SecurityFixture;

const PAYLOADS = [
  "' OR 1=1 --", "'; drop table cases; --", '" OR ""="', "1' UNION SELECT password_hash, email FROM users --", "') OR ('a'='a", '1; SELECT pg_sleep(5)',
  '%', '_', '%%', '\\', '\\%', "\\'", '*', '[a-z]%', 'Åmina 👩🏾‍⚕️ 名前 \u202e', '\u0000', "abc\u0000' OR 1=1", 'x'.repeat(10_240),
];

interface Target {
  label: string;
  url: string;
  params: string[];
  ui: boolean;
}
const targets: Target[] = [];

before(async () => {
  f = await createSecurityFixture();
  for (const [path, ops] of Object.entries<Json>(f.doc.paths)) {
    const params = ((ops.get?.parameters ?? []) as Json[]).filter((p) => p.in === 'query').map((p) => p.name as string);
    if (params.length) {
      const route = path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
      targets.push({ label: `GET ${path}`, url: fill(route, f.alpha), params, ui: false });
    }
  }
  targets.push({ label: 'UI cases', url: '/ui/p/alpha/cases', params: ['caseType', 'search', 'cursor'], ui: true });
  targets.push({ label: 'UI messages', url: '/ui/p/alpha/messages', params: ['direction', 'status', 'errorCode', 'from', 'to', 'cursor'], ui: true });
});
after(() => f.t.close());

function leaks(body: string): string | null {
  for (const secret of ['Case of bravo', 'Survey of bravo', 'contacts-bravo', f.bravo.cases, f.bravo['mobile-workers'], f.bravo.messages, f.bravo.surveys, f.bravo.imports, 'scrypt$', 'bravo-admin@example.org']) {
    if (secret && body.includes(secret as string)) {
      return secret as string;
    }
  }
  return null;
}

describe('SQL injection strings in every filter', () => {
  test('the filters under test come from the OpenAPI document', () => {
    const labels = targets.map((x) => x.label);
    assert.ok(targets.length >= 10, labels.join(', '));
    for (const must of ['GET /api/v1/projects/{project}/cases', 'GET /api/v1/projects/{project}/messages', 'GET /api/v1/projects/{project}/mobile-workers']) {
      assert.ok(labels.includes(must), must);
    }
    assert.ok(openApiPath('/a/:b') === '/a/{b}');
  });

  test('every payload in every parameter: a 2xx without other projects’ rows, or a 4xx with a code; never a 5xx; every table intact', async () => {
    const member = f.creds.member;
    // The member token's last use is written by its first allowed request (then not for a minute):
    // make it now, so that the snapshot compares data only.
    assert.equal((await f.t.request('GET', '/api/v1/auth/me', { token: member.token })).statusCode, 200);
    const before = await snapshotAll(f.t);
    const statuses = new Map<number, number>();
    for (const target of targets) {
      for (const param of target.params) {
        for (const payload of PAYLOADS) {
          const url = `${target.url}?${new URLSearchParams({ [param]: payload }).toString()}`;
          const started = Date.now();
          const res = target.ui
            ? await f.t.app.inject({ method: 'GET', url, headers: { cookie: member.cookie as string } })
            : await f.t.request('GET', url, { token: member.token });
          const what = `${target.label} ${param}=${JSON.stringify(payload.slice(0, 40))}: ${res.statusCode} ${res.body.slice(0, 200)}`;
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          assert.ok(res.statusCode < 500, what);
          assert.ok(Date.now() - started < 3000, `${what} took ${Date.now() - started} ms`);
          assert.equal(leaks(res.body), null, `${what} leaks ${leaks(res.body)}`);
          if (res.statusCode >= 400) {
            const code = target.ui ? /<p class="code">([A-Z_]+)<\/p>/.exec(res.body)?.[1] : res.json().error?.code;
            assert.ok(f.catalogue.has(code), `${what}: code ${code}`);
            if (!target.ui) {
              assert.equal(res.statusCode, 400, what);
              assert.equal(code, 'VALIDATION_ERROR', what);
            }
          }
        }
      }
    }
    assert.deepEqual(await snapshotAll(f.t), before, 'every table still there with the same rows');
    console.log(`# ${targets.length} endpoints, ${PAYLOADS.length} payloads per parameter; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  });

  test('LIKE wildcards in a search are text: % and _ match nothing unless a name contains them', async () => {
    const token = f.creds.member.token;
    const search = async (list: string, q: string) => ((await f.t.request('GET', `/api/v1/projects/alpha/${list}?${new URLSearchParams({ search: q })}`, { token })).json().items as Json[]);
    const all = (await f.t.request('GET', '/api/v1/projects/alpha/cases', { token })).json().items as Json[];
    assert.ok(all.length >= 1);
    for (const q of ['%', '_', '%%', '\\', '\\%', '%a%', 'C_se']) {
      assert.deepEqual(await search('cases', q), [], `cases search ${q}`);
      assert.deepEqual(await search('mobile-workers', q), [], `mobile-workers search ${q}`);
    }
    // A name that holds the wildcards is found by them, and only it.
    const made = await f.t.request('POST', '/api/v1/projects/alpha/cases', { body: { caseType: 'patient', name: '100%_sure\\yes' } });
    assert.equal(made.statusCode, 201, made.body);
    for (const q of ['%', '_', '0%_', '\\y']) {
      assert.deepEqual((await search('cases', q)).map((c) => c.name), ['100%_sure\\yes'], `cases search ${q}`);
    }
    assert.deepEqual((await search('cases', 'Case of')).map((c) => c.name), ['Case of alpha'], 'a plain search still works, within the project');
    const page = await f.t.app.inject({ method: 'GET', url: '/ui/p/alpha/cases?search=%25', headers: { cookie: f.creds.member.cookie as string } });
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes('100%_sure') && !page.body.includes('Case of alpha'), 'the UI search treats % as text');
  });
});
