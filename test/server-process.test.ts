/**
 * The server as a real process on the embedded database: first start prints a generated admin
 * password once; the data folder is locked against a second process; SIGTERM shuts down cleanly and
 * releases the lock; after kill -9 a new server starts at once and the data is still there. And the
 * CLI: migrate, create-admin, doctor, their refusal while a server holds the folder, bad settings.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { api, type Child, freePort, kill, runRollcall, spawnRollcall, tempDir, waitHealthy } from './support/child-server.ts';

const children: Child[] = [];
after(async () => {
  for (const c of children) {
    await kill(c);
  }
});

function start(env: Record<string, string>): Child {
  const c = spawnRollcall('serve', env);
  children.push(c);
  return c;
}

describe('server process', { timeout: 180_000 }, () => {
  test('generated password, lock, clean shutdown, crash restart', async () => {
    const dataDir = tempDir('rollcall-proc-');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), DATA_DIR: dataDir };
    const first = start(env);
    await waitHealthy(base, first, 60_000);
    const printed = /Created superuser (\S+) with password: (\S+)/.exec(first.output());
    assert.ok(printed, `the generated password is printed: ${first.output().slice(0, 300)}`);
    const [, email = '', password = ''] = printed;
    const login = await api(base, null, 'POST', '/api/v1/auth/tokens', { email, password });
    assert.equal(login.status, 201);
    const token = login.json.token as string;
    assert.equal((await api(base, token, 'POST', '/api/v1/projects', { name: 'kept' })).status, 201);

    // A second server on the same folder refuses, naming the folder.
    const second = spawnRollcall('serve', { PORT: String(await freePort()), DATA_DIR: dataDir });
    children.push(second);
    const code = await Promise.race([second.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
    assert.notEqual(code, 'timeout');
    assert.notEqual(code, 0);
    assert.match(second.output(), /Another Rollcall process \(pid \d+\) is using the data folder/);
    assert.ok(second.output().includes(dataDir));

    // While it runs, the CLI does not open the database behind its back.
    const migrate = await runRollcall(['migrate'], { DATA_DIR: dataDir });
    assert.notEqual(migrate.code, 0);
    assert.match(migrate.output, /Another Rollcall process/);
    const admin = await runRollcall(['create-admin', '--email', 'x@example.org', '--password', 'long-password'], { DATA_DIR: dataDir });
    assert.notEqual(admin.code, 0);
    const doctor = await runRollcall(['doctor'], { DATA_DIR: dataDir });
    assert.equal(doctor.code, 0, doctor.output);
    assert.match(doctor.output, /in use by a running server \(pid \d+\)/);

    // SIGTERM: exit 0, lock released.
    first.proc.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    assert.equal(fs.existsSync(path.join(dataDir, 'rollcall.lock')), false);

    // Start again, then kill -9: the next start takes the stale lock over and the data is there.
    const third = start(env);
    await waitHealthy(base, third, 60_000);
    assert.doesNotMatch(third.output(), /Created superuser/, 'the password is printed only once');
    await kill(third, 'SIGKILL');
    assert.equal(fs.existsSync(path.join(dataDir, 'rollcall.lock')), true);
    const fourth = start(env);
    await waitHealthy(base, fourth, 60_000);
    const token2 = (await api(base, null, 'POST', '/api/v1/auth/tokens', { email, password })).json.token;
    assert.equal((await api(base, token2, 'GET', '/api/v1/projects/kept')).status, 200);
    fourth.proc.kill('SIGTERM');
    assert.equal(await fourth.exited, 0);
  });

  test('CLI on a stopped folder: migrate, create-admin, doctor; bad settings name the variable', async () => {
    const dataDir = tempDir('rollcall-cli-');
    const migrate = await runRollcall(['migrate'], { DATA_DIR: dataDir });
    assert.equal(migrate.code, 0, migrate.output);
    assert.match(migrate.output, /Applied: 0001-foundation/);
    assert.match((await runRollcall(['migrate'], { DATA_DIR: dataDir })).output, /up to date/);
    const admin = await runRollcall(['create-admin', '--email', 'ops@example.org', '--password', 'ops-password'], { DATA_DIR: dataDir });
    assert.equal(admin.code, 0, admin.output);
    assert.match(admin.output, /Created superuser ops@example.org/);
    const doctor = await runRollcall(['doctor'], { DATA_DIR: dataDir });
    assert.equal(doctor.code, 0, doctor.output);
    assert.match(doctor.output, /ok\s+database reachable/);
    assert.match(doctor.output, /ok\s+migrations up to date/);
    // The admin works once a server starts.
    const port = await freePort();
    const server = start({ PORT: String(port), DATA_DIR: dataDir });
    await waitHealthy(`http://127.0.0.1:${port}`, server, 60_000);
    assert.equal((await api(`http://127.0.0.1:${port}`, null, 'POST', '/api/v1/auth/tokens', { email: 'ops@example.org', password: 'ops-password' })).status, 201);
    await kill(server, 'SIGTERM');
    const bad = await runRollcall(['serve'], { PORT: 'notaport', DATA_DIR: dataDir });
    assert.equal(bad.code, 1);
    assert.match(bad.output, /PORT/);
  });
});
