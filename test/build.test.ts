/**
 * The build that `npm start` runs (scripts/build.mjs: src/ and the packages bundled into
 * dist/rollcall.mjs) works as the source does: built into a folder of its own, started as a real
 * child process on a new embedded database (or, with ROLLCALL_TEST_DATABASE_URL, a fresh PostgreSQL
 * database), it answers the API, the admin UI with its style sheet
 * and htmx, the OpenAPI document; it sends an SMS through the test gateway; it reads a spreadsheet
 * large enough for the worker thread (the bundled worker) and imports it; and SIGTERM ends it with 0.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';

import { WORKER_THRESHOLD } from '../src/services/import-file.ts';
import { api, type Child, freePort, kill, spawnRollcall, tempDir, waitFor, waitHealthy } from './support/child-server.ts';
import { csv, multipart } from './support/import-files.ts';
import { createServerDatabase } from './support/test-db.ts';

const root = path.resolve(import.meta.dirname, '..');
// Inside the repository, so that the bundle finds node_modules as dist/ does.
const outdir = path.join('.tmp', `build-test-${process.pid}`);
const children: Child[] = [];
const dataDir = tempDir('rollcall-build-');
let dropDb: (() => Promise<void>) | null = null;
after(async () => {
  for (const c of children) {
    await kill(c);
  }
  await dropDb?.();
  fs.rmSync(path.join(root, outdir), { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('the built server serves the API and UI, sends, imports through its worker and stops on SIGTERM', { timeout: 180_000 }, async () => {
  const printed = execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--outdir', outdir], { cwd: root, encoding: 'utf8' });
  assert.match(printed, /^built /);
  for (const file of ['rollcall.mjs', 'import-file.worker.mjs', 'pglite-init.mjs', 'admin.css']) {
    assert.ok(fs.existsSync(path.join(root, outdir, file)), `${file} is in the build`);
  }

  const pg = await createServerDatabase();
  dropDb = pg?.drop ?? null;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...(pg ? { DATABASE_URL: pg.url } : {}),
    PORT: String(port),
    DATA_DIR: dataDir,
    ROLLCALL_ADMIN_EMAIL: 'admin@example.org',
    ROLLCALL_ADMIN_PASSWORD: 'admin-password',
    ROLLCALL_SECRET_KEY: 'b'.repeat(64),
    LOG_LEVEL: 'info',
  };
  const server = spawnRollcall('serve', env, outdir);
  children.push(server);
  await waitHealthy(base, server);
  assert.match(server.output(), /rollcall listening/, 'the bundled logger writes');

  const token = (await api(base, null, 'POST', '/api/v1/auth/tokens', { email: 'admin@example.org', password: 'admin-password' })).json.token as string;
  assert.equal((await api(base, token, 'POST', '/api/v1/projects', { name: 'built', defaultCountry: 'KE' })).status, 201);
  const created = await api(base, token, 'POST', '/api/v1/projects/built/cases', { caseType: 'person', name: 'Amina', properties: { contact_phone_number: '0712 345 678' } });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.equal(created.json.contact.phoneNumber, '+254712345678');

  const openapi = await api(base, null, 'GET', '/openapi.json');
  assert.equal(openapi.status, 200);
  assert.ok(Object.keys(openapi.json.paths).length > 20, 'the OpenAPI document lists the routes');
  const css = await fetch(`${base}/ui/assets/admin.css`);
  assert.equal(css.status, 200);
  assert.equal(await css.text(), fs.readFileSync(path.join(root, 'src/http/admin/admin.css'), 'utf8'));
  const signIn = await fetch(`${base}/ui/sign-in`);
  assert.equal(signIn.status, 200);
  assert.match(await signIn.text(), /admin\.css/);
  const htmx = await fetch(`${base}/ui/assets/htmx.min.js`);
  assert.equal(htmx.status, 200);
  assert.ok((await htmx.text()).includes('htmx'), 'htmx is served from node_modules');

  // An SMS through the test gateway.
  assert.equal((await api(base, token, 'POST', '/api/v1/projects/built/gateways', { name: 'sms', type: 'test', config: {} })).status, 201);
  assert.equal((await api(base, token, 'PUT', '/api/v1/projects/built/gateway-routes', [{ prefix: '*', gateway: 'SMS' }])).status, 200);
  const sent = await api(base, token, 'POST', '/api/v1/projects/built/messages', { recipient: { caseId: created.json.id }, text: 'Hello from the build' });
  assert.equal(sent.status, 201, JSON.stringify(sent.json));
  await waitFor('the message to go out', async () => (await api(base, token, 'GET', `/api/v1/projects/built/messages/${sent.json.id}`)).json.status === 'sent');
  const outbox = (await api(base, token, 'GET', '/api/v1/projects/built/gateways/SMS/outbox')).json as Array<{ text: string }>;
  assert.deepEqual(
    outbox.map((o) => o.text),
    ['Hello from the build'],
  );

  // A file over the worker threshold is read by the bundled worker.
  const rows = [['external_id', 'Name', 'contact_phone_number']];
  for (let i = 0; rows.length === 1 || csv(rows).length < WORKER_THRESHOLD + 4096; i += 1000) {
    for (let j = i; j < i + 1000; j++) {
      rows.push([`ext-${j}`, `Person number ${j} of the built server`, `+2547${String(20_000_000 + j)}`]);
    }
  }
  const count = rows.length - 1;
  const form = multipart({ name: 'people.csv', bytes: csv(rows) });
  const upload = await fetch(`${base}/api/v1/projects/built/imports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...form.headers }, body: new Uint8Array(form.body) });
  assert.equal(upload.status, 201, await upload.clone().text());
  const uploaded = (await upload.json()) as { id: string; rowCount: number };
  assert.equal(uploaded.rowCount, count);
  const run = await api(base, token, 'POST', `/api/v1/projects/built/imports/${uploaded.id}/run`, {
    caseType: 'person',
    matchBy: 'external_id',
    matchColumn: 'external_id',
    createNew: true,
    mapping: { Name: 'name', contact_phone_number: 'contact_phone_number' },
  });
  assert.equal(run.status, 202, JSON.stringify(run.json));
  const end = await waitFor(
    'the import to end',
    async () => {
      const v = (await api(base, token, 'GET', `/api/v1/projects/built/imports/${uploaded.id}`)).json;
      return v.status === 'running' || v.status === 'uploaded' ? null : v;
    },
    120_000,
    250,
  );
  assert.equal(end.status, 'done', JSON.stringify({ status: end.status, error: end.error }));
  assert.equal(end.result.created, count);

  await kill(server, 'SIGTERM');
  assert.equal(server.proc.exitCode, 0, server.output().slice(-2000));
});
