/**
 * `rollcall serve` as a real process on a fresh embedded data folder (always embedded, whatever
 * ROLLCALL_TEST_DATABASE_URL says): it starts and answers /healthz; with no admin password it prints
 * a generated one once, and that password works; a second server on the same folder fails fast
 * naming the folder; SIGTERM exits 0 and releases the lock; after kill -9 a new server takes the
 * stale lock over at once and the data written before is still there; SIGTERM during start-up
 * still ends in a clean exit 0. Plus the lock's own rules
 * within one process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { LOCK_FILE, lockDataDir, lockHolder } from '../src/store/data-dir-lock.ts';
import { api, freePort, killAll, removeTempDirs, type Served, serve, spawnCli, stop, tempDir, tokenFor, waitExit, waitFor } from './support/process.ts';

after(async () => {
  await killAll();
  removeTempDirs();
});

const PASSWORD_LINE = /Created superuser (\S+) with password: (\S+)/g;

describe('rollcall serve on a fresh data folder', { timeout: 240_000 }, () => {
  let dataDir = '';
  let lockFile = '';
  let server: Served;
  let email = '';
  let password = '';
  let token = '';

  before(() => {
    dataDir = tempDir('rollcall-serve-');
    lockFile = path.join(dataDir, LOCK_FILE);
  });

  test('starts, answers /healthz, and prints a generated admin password once that works', async () => {
    server = await serve({ DATA_DIR: dataDir });
    const health = await api(server.base, null, 'GET', '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: 'ok' });
    // Said before the ~20 s of creating the embedded database, then where to go and how to sign in (issue 24).
    const out = server.child.stdout();
    assert.match(out, /Creating the embedded database in .+ \(first start only; this takes about 20 seconds\)/);
    assert.ok(out.indexOf('Creating the embedded database') < out.indexOf('Created superuser'), out);
    assert.match(out, new RegExp(`Open ${server.base.replace(/[.]/g, '\\.')}/ui in a browser\\. Sign in as \\S+ with the password printed above\\.`));
    const printed = [...server.child.stdout().matchAll(PASSWORD_LINE)];
    assert.equal(printed.length, 1, `one password line on stdout: ${server.child.stdout()}`);
    [, email = '', password = ''] = printed[0] ?? [];
    assert.ok(password.length >= 12, 'a long generated password');
    assert.ok(!server.child.stderr().includes(password), 'the password goes to stdout only');
    token = await tokenFor(server.base, email, password);
    const wrong = await api(server.base, null, 'POST', '/api/v1/auth/tokens', { email, password: 'wrong-password' });
    assert.ok(wrong.status >= 400 && wrong.status < 500, `a wrong password is refused: ${wrong.status}`);
    const project = await api(server.base, token, 'POST', '/api/v1/projects', { name: 'kept', defaultCountry: 'KE' });
    assert.equal(project.status, 201, JSON.stringify(project.json));
    assert.equal(fs.readFileSync(lockFile, 'utf8').trim(), String(server.child.pid));
  });

  test('a second serve on the same folder fails fast, naming the folder and the holder', async () => {
    const started = Date.now();
    const second = spawnCli(['serve'], { DATA_DIR: dataDir, PORT: String(await freePort()) });
    const code = await waitExit(second, 30_000);
    assert.notEqual(code, 'timeout', 'the second server exits by itself');
    assert.notEqual(code, 0);
    assert.ok(Date.now() - started < 30_000);
    assert.match(second.stderr(), new RegExp(`Another Rollcall process \\(pid ${server.child.pid}\\) is using the data folder`));
    assert.ok(second.stderr().includes(dataDir), second.stderr());
    // The first server is untouched and still holds the folder.
    assert.equal((await api(server.base, null, 'GET', '/healthz')).status, 200);
    assert.equal(fs.readFileSync(lockFile, 'utf8').trim(), String(server.child.pid));
  });

  test('SIGTERM: exit 0, lock released, a new serve starts and does not print a password again', async () => {
    assert.equal(await stop(server.child, 'SIGTERM', 30_000), 0, server.child.stderr());
    assert.equal(fs.existsSync(lockFile), false, 'the lock file is gone');
    server = await serve({ DATA_DIR: dataDir });
    assert.doesNotMatch(server.child.stdout(), PASSWORD_LINE);
    assert.equal((await api(server.base, await tokenFor(server.base, email, password), 'GET', '/api/v1/projects/kept')).status, 200);
  });

  test('after kill -9 a new serve takes the stale lock over at once, and the data is still there', async () => {
    const token2 = await tokenFor(server.base, email, password);
    const project = await api(server.base, token2, 'POST', '/api/v1/projects', { name: 'written-before-crash', defaultCountry: 'KE' });
    assert.equal(project.status, 201);
    const created = await api(server.base, token2, 'POST', '/api/v1/projects/written-before-crash/cases', {
      caseType: 'patient',
      name: 'Amina',
      properties: { contact_phone_number: '0712 345 678' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const deadPid = server.child.pid;
    assert.equal(await stop(server.child, 'SIGKILL'), null);
    assert.equal(fs.readFileSync(lockFile, 'utf8').trim(), String(deadPid), 'the dead server left its lock file');
    assert.equal(lockHolder(dataDir), null, 'a lock of a dead process holds nothing');

    server = await serve({ DATA_DIR: dataDir }, 30_000);
    assert.equal(fs.readFileSync(lockFile, 'utf8').trim(), String(server.child.pid));
    const token3 = await tokenFor(server.base, email, password);
    assert.equal((await api(server.base, token3, 'GET', '/api/v1/projects/written-before-crash')).status, 200);
    const again = await api(server.base, token3, 'GET', `/api/v1/projects/written-before-crash/cases/${created.json.id}`);
    assert.equal(again.status, 200);
    assert.equal(again.json.name, 'Amina');
    assert.equal(await stop(server.child, 'SIGTERM', 30_000), 0);
    assert.equal(fs.existsSync(lockFile), false);
  });

  test('SIGTERM during start-up: the server finishes opening, closes cleanly, exits 0 and releases the lock', async () => {
    const port = await freePort();
    const starting = spawnCli(['serve'], { DATA_DIR: dataDir, PORT: String(port) });
    await waitFor('the lock of the starting server', async () => fs.existsSync(lockFile) && fs.readFileSync(lockFile, 'utf8').trim() === String(starting.pid), 30_000, 10);
    starting.proc.kill('SIGTERM');
    assert.equal(await waitExit(starting, 30_000), 0, starting.stderr());
    assert.equal(fs.existsSync(lockFile), false, 'the lock file is gone');
  });
});

describe('data folder lock within one process', () => {
  test('a second lock of a folder this process holds is refused; release frees it', () => {
    const dir = tempDir('rollcall-lock-');
    const lock = lockDataDir(dir);
    assert.throws(() => lockDataDir(dir), (err: Error & { code?: string }) => err.code === 'DATA_DIR_LOCKED' && err.message.includes(dir));
    lock.release();
    assert.equal(fs.existsSync(path.join(dir, LOCK_FILE)), false);
    lockDataDir(dir).release();
  });

  test('a lock left by a dead process, or by an earlier process with this pid, is taken over', () => {
    const dir = tempDir('rollcall-lock-');
    const file = path.join(dir, LOCK_FILE);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    fs.writeFileSync(file, dead.stdout);
    const lock = lockDataDir(dir);
    assert.equal(fs.readFileSync(file, 'utf8'), String(process.pid));
    lock.release();
    fs.writeFileSync(file, String(process.pid));
    lockDataDir(dir).release();
    fs.writeFileSync(file, '');
    lockDataDir(dir).release();
    assert.deepEqual(fs.readdirSync(dir), [], 'no temporary or stale files left behind');
  });

  test('a live process holding the lock makes lockDataDir fail with its pid; release never removes a lock it does not own', () => {
    const dir = tempDir('rollcall-lock-');
    const file = path.join(dir, LOCK_FILE);
    fs.writeFileSync(file, String(process.ppid));
    assert.throws(() => lockDataDir(dir), new RegExp(`pid ${process.ppid}\\) is using the data folder`));
    assert.equal(lockHolder(dir), process.ppid);
    fs.rmSync(file);
    const lock = lockDataDir(dir);
    fs.writeFileSync(file, String(process.ppid)); // as if taken over behind our back
    lock.release();
    assert.equal(fs.readFileSync(file, 'utf8'), String(process.ppid));
  });
});
