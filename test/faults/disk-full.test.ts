/**
 * Disk full on the embedded data folder: the data folder is a 256 MB tmpfs (this test needs root, as
 * in CI). Before the disk is full (below ROLLCALL_MIN_FREE_MB, 64 MB) writes are refused with 507
 * STORAGE_FULL in words — PGlite itself would hang for good once its write-ahead log cannot grow —
 * nothing acknowledged is lost, the server keeps answering, and once space is freed it saves again;
 * after a restart every acknowledged case is there.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';

import { api, type Child, freePort, kill, spawnRollcall, tempDir, waitHealthy } from '../support/child-server.ts';

const mountPoint = tempDir('rollcall-diskfull-');
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', mountPoint]);
const children: Child[] = [];
after(async () => {
  for (const c of children) {
    await kill(c);
  }
  execFileSync('umount', ['-l', mountPoint]);
  fs.rmSync(mountPoint, { recursive: true, force: true });
});

test('a full disk gives 507 STORAGE_FULL, loses nothing acknowledged, and recovers when space is freed', async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { PORT: String(port), DATA_DIR: path.join(mountPoint, 'data'), ROLLCALL_ADMIN_EMAIL: 'admin@example.org', ROLLCALL_ADMIN_PASSWORD: 'admin-password', ROLLCALL_SECRET_KEY: 'c'.repeat(64) };
  const start = async () => {
    const child = spawnRollcall('serve', env);
    children.push(child);
    await waitHealthy(base, child);
    return child;
  };
  let server = await start();
  const token = (await api(base, null, 'POST', '/api/v1/auth/tokens', { email: 'admin@example.org', password: 'admin-password' })).json.token;
  assert.equal((await api(base, token, 'POST', '/api/v1/projects', { name: 'full', defaultCountry: 'KE' })).status, 201);
  const inbound = new URL((await api(base, token, 'POST', '/api/v1/projects/full/gateways', { name: 'sms', type: 'test' })).json.inboundUrl).pathname;
  // Space to give back later.
  const reserve = path.join(mountPoint, 'reserve.bin');
  fs.writeFileSync(reserve, Buffer.alloc(48 * 1024 * 1024));

  const acknowledged: string[] = [];
  let refusal: { status: number; json: any } | null = null;
  // Random text (it does not compress), 20 properties of 9,000 characters: about 180 kB a case.
  const filler = () => Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`p${k}`, randomBytes(4500).toString('hex')]));
  for (let i = 0; i < 5000 && !refusal; i++) {
    const res = await Promise.race([
      api(base, token, 'POST', '/api/v1/projects/full/cases', { caseType: 'patient', name: `Case ${i}`, properties: filler() }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer to case ${i} in 60 s; server output: ${server.output().slice(-3000)}`)), 60_000).unref()),
    ]);
    if (res.status === 201) {
      acknowledged.push(res.json.id);
    } else {
      refusal = res;
    }
  }
  assert.ok(refusal, 'the disk filled up');
  assert.equal(refusal.status, 507, JSON.stringify(refusal.json));
  assert.equal(refusal.json.error.code, 'STORAGE_FULL');
  assert.match(refusal.json.error.message, /disk is nearly full \(\d+ MB free; Rollcall keeps at least 64 MB/);
  // A gateway's webhook is refused too (the vendor delivers it again later), not acknowledged and lost.
  const hook = await api(base, null, 'POST', inbound, { from: '+254712345678', text: 'hello', messageId: 'while-full' });
  assert.equal(hook.status, 507);
  assert.equal(hook.json.error.code, 'STORAGE_FULL');
  assert.ok(acknowledged.length > 10);
  // Writes stopped well inside the reserve: the guard looks often enough that the writes let
  // through between two looks cannot use up the space it keeps (with a look every 2 s a fast
  // machine was down to 6 MB free).
  const stat = fs.statfsSync(mountPoint);
  const freeMb = (Number(stat.bavail) * Number(stat.bsize)) / 2 ** 20;
  assert.ok(freeMb >= 32, `only ${freeMb.toFixed(0)} MB free when writes were refused (reserve 64 MB)`);
  // Still answering, reads work.
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await api(base, token, 'GET', `/api/v1/projects/full/cases/${acknowledged.at(-1)}`)).status, 200);

  fs.rmSync(reserve);
  await new Promise((resolve) => setTimeout(resolve, 500)); // the guard looks again every 100 ms
  const again = await api(base, token, 'POST', '/api/v1/projects/full/cases', { caseType: 'patient', name: 'After', properties: { contact_phone_number: '0712345678' } });
  assert.equal(again.status, 201, JSON.stringify(again.json));
  acknowledged.push(again.json.id);

  await kill(server, 'SIGTERM');
  server = await start();
  for (const id of acknowledged) {
    const res = await api(base, token, 'GET', `/api/v1/projects/full/cases/${id}`);
    assert.equal(res.status, 200, `case ${id} survived`);
  }
  assert.equal((await api(base, token, 'GET', `/api/v1/projects/full/cases/${again.json.id}`)).json.contact.phoneNumber, '+254712345678');
});
