/**
 * Issue 23 item 7, against a real `rollcall serve` process: four zip bombs uploaded at once by a
 * project member (a 250 KB .xlsx that expands to 250 MB, under the old 256 MiB cap) are each
 * refused with 413 IMPORT_FILE_TOO_LARGE, nothing is kept, and meanwhile /healthz keeps answering.
 * Before, files under 512 KiB were parsed on the server's thread: one bomb stopped /healthz for
 * 5.6 s, four for 22.6 s. A bomb whose headers lie about its size is refused too, and a good file
 * still uploads afterwards. The bound on /healthz is generous (a loaded machine is slow); the 200 ms
 * figure belongs to the benchmark (bench/upload-pressure.bench.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { csv, multipart, workbookBomb } from './support/import-files.ts';
import { api, killAll, removeTempDirs, type Served, serve, tempDir, tokenFor } from './support/process.ts';

const ADMIN = { email: 'admin@example.org', password: 'admin-password' };
const MEMBER = { email: 'member@example.org', password: 'member-password' };
let server: Served;
let member = '';

before(async () => {
  server = await serve({ DATA_DIR: tempDir('rollcall-zipbomb-'), ROLLCALL_ADMIN_EMAIL: ADMIN.email, ROLLCALL_ADMIN_PASSWORD: ADMIN.password, ROLLCALL_SECRET_KEY: 'b0'.repeat(32) });
  const admin = await tokenFor(server.base, ADMIN.email, ADMIN.password);
  assert.equal((await api(server.base, admin, 'POST', '/api/v1/projects', { name: 'bombs', defaultCountry: 'KE' })).status, 201);
  const added = await api(server.base, admin, 'POST', '/api/v1/projects/bombs/users', { ...MEMBER, role: 'member' });
  assert.equal(added.status, 201, JSON.stringify(added.json));
  member = await tokenFor(server.base, MEMBER.email, MEMBER.password);
});

after(async () => {
  await killAll();
  removeTempDirs();
});

async function upload(name: string, bytes: Buffer): Promise<{ status: number; json: any }> {
  const form = multipart({ name, bytes });
  const res = await fetch(`${server.base}/api/v1/projects/bombs/imports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${member}`, ...form.headers },
    body: new Uint8Array(form.body),
    signal: AbortSignal.timeout(120_000),
  });
  return { status: res.status, json: await res.json() };
}

/** Asks /healthz every 50 ms until stopped; returns the slowest answer in ms and how many failed. */
function watchHealth(): { stop(): Promise<{ max: number; n: number; failures: number }> } {
  let running = true;
  let max = 0;
  let n = 0;
  let failures = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const res = await fetch(`${server.base}/healthz`, { signal: AbortSignal.timeout(60_000) });
        await res.arrayBuffer();
        if (res.status !== 200) {
          failures++;
        }
      } catch {
        failures++;
      }
      max = Math.max(max, performance.now() - started);
      n++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { max: Math.round(max), n, failures };
    },
  };
}

test('four zip bombs at once: each refused with 413 IMPORT_FILE_TOO_LARGE, nothing kept, /healthz keeps answering', { timeout: 300_000 }, async () => {
  const bomb = workbookBomb();
  assert.ok(bomb.length < 512 * 1024, `a small file (${bomb.length} bytes), read on the server's thread before`);
  const health = watchHealth();
  const results = await Promise.all([1, 2, 3, 4].map((i) => upload(`bomb-${i}.xlsx`, bomb)));
  const watched = await health.stop();
  for (const r of results) {
    assert.equal(r.status, 413, JSON.stringify(r.json));
    assert.equal(r.json.error.code, 'IMPORT_FILE_TOO_LARGE');
    assert.match(r.json.error.message, /expands to/);
  }
  assert.equal(watched.failures, 0, 'every /healthz answered 200');
  assert.ok(watched.n > 0);
  // Generous: on the server's thread one bomb held /healthz for 5.6 s and four for 22.6 s.
  assert.ok(watched.max < 2500, `/healthz waited ${watched.max} ms at worst (${watched.n} asked)`);
  const list = await api(server.base, member, 'GET', '/api/v1/projects/bombs/imports');
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.items, [], 'no import kept');
});

test('a bomb whose zip headers lie about its size is refused while inflating; a good file still uploads', { timeout: 300_000 }, async () => {
  const liar = await upload('liar.xlsx', workbookBomb({ lie: true }));
  assert.equal(liar.status, 413, JSON.stringify(liar.json));
  assert.equal(liar.json.error.code, 'IMPORT_FILE_TOO_LARGE');
  assert.equal((await api(server.base, member, 'GET', '/api/v1/projects/bombs/imports')).json.items.length, 0);
  const good = await upload('good.csv', csv([['Case Name', 'contact_phone_number'], ['Zawadi', '+254712900001']]));
  assert.equal(good.status, 201, JSON.stringify(good.json));
  assert.equal((await api(server.base, null, 'GET', '/healthz')).status, 200);
});
