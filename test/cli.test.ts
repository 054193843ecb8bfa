/**
 * The CLI as real processes on embedded data folders (always embedded, whatever
 * ROLLCALL_TEST_DATABASE_URL says): migrate, create-admin and doctor on a stopped folder; their
 * refusal to open a folder a running server holds; bad settings name the variable and exit 1.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { LOCK_FILE } from '../src/store/data-dir-lock.ts';
import { api, killAll, removeTempDirs, runCli, type Served, serve, stop, tempDir, tokenFor } from './support/process.ts';

after(async () => {
  await killAll();
  removeTempDirs();
});

const LOCKED = /Another Rollcall process \(pid (\d+)\) is using the data folder/;

describe('CLI on a stopped data folder', { timeout: 900_000 }, () => {
  let dataDir = '';
  let generatedPassword = '';

  before(() => {
    dataDir = tempDir('rollcall-cli-');
  });

  test('doctor on a folder without a database says so and does not create one', async () => {
    const doctor = await runCli(['doctor'], { DATA_DIR: dataDir });
    assert.equal(doctor.code, 0, doctor.output);
    assert.match(doctor.stdout, /ok\s+settings parsed/);
    assert.match(doctor.stdout, /no embedded database in .* yet/);
    assert.equal(fs.existsSync(path.join(dataDir, 'pgdata')), false);
  });

  test('migrate on a fresh folder applies the migrations and exits 0; again, it is up to date', async () => {
    const migrate = await runCli(['migrate'], { DATA_DIR: dataDir });
    assert.equal(migrate.code, 0, migrate.output);
    assert.match(migrate.stdout, /Applied: 0001-/);
    assert.equal(fs.existsSync(path.join(dataDir, LOCK_FILE)), false, 'the lock is released on exit');
    const again = await runCli(['migrate'], { DATA_DIR: dataDir });
    assert.equal(again.code, 0, again.output);
    assert.match(again.stdout, /The database is up to date/);
  });

  test('doctor on a good folder prints ok lines and exits 0', async () => {
    const doctor = await runCli(['doctor'], { DATA_DIR: dataDir });
    assert.equal(doctor.code, 0, doctor.output);
    assert.match(doctor.stdout, /^ok\s+settings parsed \(port 8080, host 127\.0\.0\.1\)$/m);
    assert.match(doctor.stdout, /^ok\s+Node \d+\.\d+\.\d+$/m);
    assert.match(doctor.stdout, /^ok\s+database reachable \(embedded, /m);
    assert.match(doctor.stdout, /^ok\s+migrations up to date$/m);
    assert.doesNotMatch(doctor.stdout, /FAIL/);
  });

  test('create-admin creates a superuser, updates it when run again, and refuses bad credentials before opening the database', async () => {
    const created = await runCli(['create-admin', '--email', 'x@y.org', '--password', 'longpassword'], { DATA_DIR: dataDir });
    assert.equal(created.code, 0, created.output);
    assert.match(created.stdout, /Created superuser x@y\.org\./);
    assert.doesNotMatch(created.stdout, /Password:/, 'a given password is not echoed');
    const again = await runCli(['create-admin', '--email', 'x@y.org', '--password', 'longpassword'], { DATA_DIR: dataDir });
    assert.equal(again.code, 0, again.output);
    assert.match(again.stdout, /Updated superuser x@y\.org\./);
    const generated = await runCli(['create-admin', '--email', 'gen@y.org'], { DATA_DIR: dataDir });
    assert.equal(generated.code, 0, generated.output);
    generatedPassword = /^Password: (\S+)$/m.exec(generated.stdout)?.[1] ?? '';
    assert.ok(generatedPassword.length >= 12, `a generated password is printed: ${generated.stdout}`);

    const empty = tempDir('rollcall-cli-empty-');
    const short = await runCli(['create-admin', '--email', 'z@y.org', '--password', 'short'], { DATA_DIR: empty });
    assert.equal(short.code, 1);
    assert.match(short.stderr, /password must have at least 8 characters/);
    const badEmail = await runCli(['create-admin', '--email', 'not-an-email', '--password', 'longpassword'], { DATA_DIR: empty });
    assert.equal(badEmail.code, 1);
    assert.match(badEmail.stderr, /email is not a valid email address/);
    assert.deepEqual(fs.readdirSync(empty), [], 'no database was created for a refused command');
    const missing = await runCli(['create-admin'], { DATA_DIR: dataDir });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /--email/);
  });

  describe('while a server runs on the folder', () => {
    let server: Served;

    before(async () => {
      server = await serve({ DATA_DIR: dataDir });
    });

    after(async () => {
      if (server) {
        assert.equal(await stop(server.child, 'SIGTERM', 30_000), 0);
      }
    });

    test('the superuser made by create-admin can get a token (and serve generates no password)', async () => {
      assert.doesNotMatch(server.child.stdout(), /Created superuser/);
      const token = await tokenFor(server.base, 'x@y.org', 'longpassword');
      const me = await api(server.base, token, 'GET', '/api/v1/auth/me');
      assert.equal(me.status, 200);
      assert.equal(me.json.email, 'x@y.org');
      assert.equal(me.json.isSuperuser, true);
      await tokenFor(server.base, 'gen@y.org', generatedPassword);
    });

    test('migrate and create-admin refuse, naming the folder and the server pid', async () => {
      for (const args of [['migrate'], ['create-admin', '--email', 'late@y.org', '--password', 'longpassword']]) {
        const run = await runCli(args, { DATA_DIR: dataDir });
        assert.notEqual(run.code, 0, `${args[0]} refuses: ${run.output}`);
        assert.equal(run.code === 'timeout', false);
        const match = LOCKED.exec(run.stderr);
        assert.ok(match, `${args[0]} says another process uses the folder: ${run.output}`);
        assert.equal(Number(match[1]), server.child.pid);
        assert.ok(run.stderr.includes(dataDir));
      }
      assert.equal(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8').trim(), String(server.child.pid), 'the server still holds the folder');
      assert.equal((await api(server.base, null, 'GET', '/healthz')).status, 200);
    });

    test('doctor does not open the database and says which pid uses it', async () => {
      const doctor = await runCli(['doctor'], { DATA_DIR: dataDir });
      assert.equal(doctor.code, 0, doctor.output);
      assert.match(doctor.stdout, new RegExp(`in use by a running server \\(pid ${server.child.pid}\\); not opening it`));
      assert.doesNotMatch(doctor.stdout, /database reachable/);
      assert.equal((await api(server.base, null, 'GET', '/healthz')).status, 200);
    });
  });
});

describe('CLI with bad settings', () => {
  for (const [command, variable, value] of [
    ['serve', 'PORT', 'notaport'],
    ['migrate', 'PORT', '99999'],
    ['doctor', 'LOG_LEVEL', 'loud'],
    ['create-admin', 'ROLLCALL_ADMIN_PASSWORD', 'short'],
  ] as const) {
    test(`${command} with ${variable}=${value} exits 1 naming the variable`, async () => {
      const dataDir = tempDir('rollcall-bad-');
      const args = command === 'create-admin' ? [command, '--email', 'x@y.org'] : [command];
      const run = await runCli(args, { DATA_DIR: dataDir, [variable]: value }, 30_000);
      assert.equal(run.code, 1, run.output);
      assert.match(run.stderr, new RegExp(`Invalid setting ${variable}\\b`));
      assert.deepEqual(fs.readdirSync(dataDir), [], 'nothing was opened or created');
    });
  }
});
