/**
 * `rollcall backup` and `rollcall restore` on embedded data folders, as real processes (always
 * embedded, whatever ROLLCALL_TEST_DATABASE_URL says: support/process.ts gives children only the
 * environment a test names).
 *
 * A server takes case creations from four clients while `rollcall backup` asks it for a copy over
 * its control socket; the server is stopped and the backup restored into a fresh folder and into
 * the old one. Every case acknowledged before the backup command started must be in the restored
 * database, once; the restored server must answer, take new writes, and read the gateway settings
 * sealed with the (fixed) ROLLCALL_SECRET_KEY. Refusals change nothing: a restore while a server
 * runs, a file that is not a whole backup, and either command with DATABASE_URL.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { PGlite } from '@electric-sql/pglite';

import { inspectBackupFile } from '../src/store/embedded-backup.ts';
import { api, killAll, removeTempDirs, runCli, type Served, serve, stop, tempDir, tokenFor, waitFor } from './support/process.ts';

after(async () => {
  await killAll();
  removeTempDirs();
});

const KEY = 'e'.repeat(64);
const ADMIN = { email: 'admin@example.org', password: 'admin-password' };
const P = '/api/v1/projects/backup';

function serverEnv(dataDir: string): Record<string, string> {
  return { DATA_DIR: dataDir, ROLLCALL_ADMIN_EMAIL: ADMIN.email, ROLLCALL_ADMIN_PASSWORD: ADMIN.password, ROLLCALL_SECRET_KEY: KEY, ROLLCALL_RETRY_BASE_MS: '200' };
}

function cliEnv(dataDir: string): Record<string, string> {
  return { DATA_DIR: dataDir, ROLLCALL_SECRET_KEY: KEY };
}

/** Every file and folder under `dir` with its size and modification time: "untouched" means equal. */
function snapshot(dir: string): string[] {
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => {
      const p = path.join(e.parentPath, e.name);
      const st = fs.statSync(p);
      return `${path.relative(dir, p)} ${e.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`;
    })
    .sort();
}

/** All cases of the project: name → ids (more than one id would be a duplicated write). */
async function allCases(base: string, token: string): Promise<Map<string, string[]>> {
  const byName = new Map<string, string[]>();
  let cursor: string | null = null;
  do {
    const res = await api(base, token, 'GET', `${P}/cases?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    for (const c of res.json.items as Array<{ id: string; name: string }>) {
      byName.set(c.name, [...(byName.get(c.name) ?? []), c.id]);
    }
    cursor = res.json.nextCursor as string | null;
  } while (cursor);
  return byName;
}

/** A new case and an SMS through the gateway made before the backup (its settings are sealed with KEY). */
async function assertTakesWrites(base: string, token: string, label: string): Promise<void> {
  const created = await api(base, token, 'POST', `${P}/cases`, { caseType: 'patient', name: `after-${label}` });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const sent = await api(base, token, 'POST', `${P}/messages`, { recipient: { phoneNumber: '+254712000001' }, text: `after ${label}` });
  assert.equal(sent.status, 201, JSON.stringify(sent.json));
  const status = await waitFor(
    `the message after ${label} to be sent`,
    async () => {
      const s = (await api(base, token, 'GET', `${P}/messages/${sent.json.id}`)).json.status as string;
      return s === 'sent' || s === 'failed' ? s : null;
    },
    60_000,
    200,
  );
  assert.equal(status, 'sent', 'the gateway settings sealed before the backup are readable after the restore');
}

describe('rollcall backup while the server serves, rollcall restore', { timeout: 900_000 }, () => {
  let source = '';
  let backupFile = '';
  /** Cases acknowledged (201) before the backup command started. */
  let ackedBefore: Array<{ name: string; id: string }> = [];
  /** Every case acknowledged, by name. */
  const acked = new Map<string, string>();
  let restoredNames: Set<string> = new Set();

  before(() => {
    source = tempDir('rollcall-backup-src-');
    backupFile = path.join(tempDir('rollcall-backup-files-'), 'rollcall.tar.gz');
  });

  test('a backup taken over the control socket under write load; the server keeps answering', async (t) => {
    const t0 = performance.now();
    const server = await serve(serverEnv(source));
    const { base } = server;
    const startedMs = performance.now() - t0;
    assert.ok(fs.existsSync(path.join(source, 'rollcall.sock')), 'the server opened its control socket');
    assert.equal(fs.statSync(path.join(source, 'rollcall.sock')).mode & 0o777, 0o600, 'the control socket is the owner\'s only');
    const token = await tokenFor(base, ADMIN.email, ADMIN.password);
    assert.equal((await api(base, token, 'POST', '/api/v1/projects', { name: 'backup', defaultCountry: 'KE' })).status, 201);
    assert.equal((await api(base, token, 'POST', `${P}/gateways`, { name: 'sms', type: 'test', config: {} })).status, 201);
    assert.equal((await api(base, token, 'PUT', `${P}/gateway-routes`, [{ prefix: '*', gateway: 'SMS' }])).status, 200);

    const log: Array<{ name: string; id: string; sentAt: number; ackedAt: number }> = [];
    const failures: string[] = [];
    let running = true;
    let n = 0;
    const writer = async () => {
      while (running) {
        const name = `load-${n++}`;
        const sentAt = performance.now();
        try {
          const res = await api(base, token, 'POST', `${P}/cases`, { caseType: 'patient', name, properties: { round: 'one' } });
          if (res.status === 201) {
            log.push({ name, id: res.json.id as string, sentAt, ackedAt: performance.now() });
          } else {
            failures.push(`${name}: ${res.status} ${JSON.stringify(res.json)}`);
          }
        } catch (err) {
          failures.push(`${name}: ${String(err)}`);
        }
      }
    };
    const load = Promise.all([writer(), writer(), writer(), writer()]);
    await waitFor('writes before the backup', async () => log.length >= 150, 120_000);

    const backupStart = performance.now();
    ackedBefore = log.filter((w) => w.ackedAt < backupStart).map(({ name, id }) => ({ name, id }));
    const backup = await runCli(['backup', backupFile], cliEnv(source));
    const backupEnd = performance.now();
    assert.equal(backup.code, 0, backup.output);
    assert.match(backup.stdout, /^Backed up the embedded database in .* to .*rollcall\.tar\.gz: [\d.]+ [KM]B .* taken by the running server \(pid \d+\)/m);
    assert.match(backup.stdout, /does not hold the encryption key/);
    assert.equal(fs.existsSync(`${backupFile}.partial`), false, 'no partial file is left');
    const before = log.length;
    await waitFor('writes after the backup', async () => log.length >= before + 50, 120_000);
    running = false;
    await load;

    assert.deepEqual(failures, [], 'no write failed during the backup');
    const during = log.filter((w) => w.sentAt >= backupStart && w.ackedAt <= backupEnd);
    assert.ok(during.length > 0, 'the server acknowledged writes while the backup ran');
    const slowest = Math.max(...log.filter((w) => w.ackedAt >= backupStart && w.sentAt <= backupEnd).map((w) => w.ackedAt - w.sentAt));
    const contents = await inspectBackupFile(backupFile);
    assert.equal(contents.compressed, true);
    assert.match(contents.pgVersion, /^\d+$/);
    for (const w of log) {
      acked.set(w.name, w.id);
    }
    const stopped = await stop(server.child);
    assert.equal(stopped, 0, 'the server stops cleanly');
    assert.equal(fs.existsSync(path.join(source, 'rollcall.sock')), false, 'the server removed its control socket');
    t.diagnostic(
      `server start ${Math.round(startedMs)} ms; backup command ${Math.round(backupEnd - backupStart)} ms (${(contents.fileBytes / 1e6).toFixed(1)} MB, ` +
        `${(contents.dataBytes / 1e6).toFixed(1)} MB of files); ${ackedBefore.length} writes before it, ${during.length} during it, ` +
        `slowest write during it ${Math.round(slowest)} ms (the copy held the database ${/waited at most ([\d.]+ s)/.exec(backup.stdout)?.[1] ?? '?'}); ${log.length} in all`,
    );
  });

  test('restore into a fresh folder: every write acknowledged before the backup, once; the server answers and takes writes', async (t) => {
    assert.ok(ackedBefore.length > 0, 'the backup test ran');
    const fresh = tempDir('rollcall-backup-fresh-');
    const t0 = performance.now();
    const restore = await runCli(['restore', backupFile], cliEnv(fresh));
    const restoreMs = performance.now() - t0;
    assert.equal(restore.code, 0, restore.output);
    assert.match(restore.stdout, /^Restored .* into .*pgdata in [\d.]+ s\.$/m);
    assert.match(restore.stdout, /had no database before/);
    assert.deepEqual(fs.readdirSync(fresh).sort(), ['pgdata'], 'nothing but the database is left (no lock, no pgdata.restoring)');
    assert.ok(fs.existsSync(path.join(fresh, 'pgdata', 'PG_VERSION')));

    const server: Served = await serve(serverEnv(fresh));
    assert.equal((await fetch(`${server.base}/healthz`)).status, 200);
    const token = await tokenFor(server.base, ADMIN.email, ADMIN.password);
    const cases = await allCases(server.base, token);
    for (const w of ackedBefore) {
      assert.deepEqual(cases.get(w.name), [w.id], `case ${w.name}, acknowledged before the backup, is restored once`);
    }
    for (const [name, ids] of cases) {
      assert.match(name, /^load-\d+$/, 'only cases the load created');
      assert.equal(ids.length, 1, `${name} is not duplicated`);
      const id = acked.get(name);
      if (id !== undefined) {
        assert.equal(ids[0], id, `${name} has the id that was acknowledged`);
      }
    }
    restoredNames = new Set(cases.keys());
    await assertTakesWrites(server.base, token, 'fresh restore');
    assert.equal(await stop(server.child), 0);
    t.diagnostic(`restore into a fresh folder ${Math.round(restoreMs)} ms; ${cases.size} cases restored (${ackedBefore.length} acknowledged before the backup)`);
  });

  test('restore into the old folder: the data that was there is moved aside, whole', async () => {
    assert.ok(restoredNames.size > 0, 'the fresh restore test ran');
    const restore = await runCli(['restore', backupFile], cliEnv(source));
    assert.equal(restore.code, 0, restore.output);
    const aside = /now in (\S+pgdata\.before-restore-\d{8}T\d{6}Z);/.exec(restore.stdout)?.[1];
    assert.ok(aside, restore.stdout);
    assert.equal(path.dirname(aside), source);
    assert.ok(fs.existsSync(path.join(aside, 'PG_VERSION')), 'the old database is in the folder named');
    assert.ok(fs.existsSync(path.join(source, 'pgdata', 'PG_VERSION')));
    assert.equal(fs.existsSync(path.join(source, 'pgdata.restoring')), false);

    // The folder moved aside holds every write, the ones after the backup too.
    const old = await PGlite.create(aside);
    try {
      const rows = (await old.query<{ name: string }>(`select name from cases where name like 'load-%'`)).rows;
      assert.equal(rows.length, acked.size, 'every acknowledged case is in the old data');
      assert.deepEqual(new Set(rows.map((r) => r.name)), new Set(acked.keys()));
    } finally {
      await old.close();
    }

    const server = await serve(serverEnv(source));
    const token = await tokenFor(server.base, ADMIN.email, ADMIN.password);
    const cases = await allCases(server.base, token);
    assert.deepEqual(new Set(cases.keys()), restoredNames, 'the same cases as the fresh restore of the same backup');

    // A restore while this server runs is refused, and changes nothing.
    const pgdataInode = fs.statSync(path.join(source, 'pgdata')).ino;
    const entriesBefore = fs.readdirSync(source).sort();
    const refused = await runCli(['restore', backupFile], cliEnv(source));
    assert.equal(refused.code, 1, refused.output);
    assert.match(refused.stderr, /is using the data folder .*: stop the server first.*Nothing was changed\. \(DATA_DIR_LOCKED\)/);
    assert.deepEqual(fs.readdirSync(source).sort(), entriesBefore, 'no folder was added or moved');
    assert.equal(fs.existsSync(path.join(source, 'pgdata.restoring')), false);
    assert.equal(fs.statSync(path.join(source, 'pgdata')).ino, pgdataInode, 'the server\'s database folder was not replaced');
    assert.equal((await fetch(`${server.base}/healthz`)).status, 200);
    assert.equal((await allCases(server.base, token)).size, cases.size);
    await assertTakesWrites(server.base, token, 'refused restore');
    assert.equal(await stop(server.child), 0);
  });

  test('a file that is not a whole backup is refused before anything is touched', async () => {
    const files = tempDir('rollcall-backup-bad-');
    const garbage = path.join(files, 'garbage.tar.gz');
    fs.writeFileSync(garbage, Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 251)));
    const cut = path.join(files, 'cut.tar.gz');
    const whole = fs.readFileSync(backupFile);
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const notData = path.join(files, 'text.gz');
    fs.writeFileSync(notData, (await import('node:zlib')).gzipSync(Buffer.from('hello\n'.repeat(1000))));
    const before = snapshot(source);
    for (const [file, why] of [
      [garbage, /it is not a tar archive/],
      [cut, /its gzip compression is broken/],
      [notData, /it is not a tar archive/],
      [path.join(files, 'missing.tar.gz'), /no such file/],
    ] as const) {
      const refused = await runCli(['restore', file], cliEnv(source));
      assert.equal(refused.code, 1, refused.output);
      assert.match(refused.stderr, why);
      assert.match(refused.stderr, /Nothing was changed\. \(BACKUP_FILE_INVALID\)/);
      assert.deepEqual(snapshot(source), before, `${path.basename(file)}: the data folder is untouched`);
    }
  });

  test('backup with no server running opens the folder itself; a folder without a database is refused', async () => {
    const file = path.join(path.dirname(backupFile), 'offline.tar.gz');
    const backup = await runCli(['backup', file], cliEnv(source));
    assert.equal(backup.code, 0, backup.output);
    assert.match(backup.stdout, /opened directly: no server was running/);
    assert.equal((await inspectBackupFile(file)).compressed, true);
    assert.equal(fs.existsSync(path.join(source, 'rollcall.lock')), false, 'the lock is released');

    const empty = tempDir('rollcall-backup-empty-');
    const none = await runCli(['backup', path.join(empty, 'x.tar.gz')], cliEnv(empty));
    assert.equal(none.code, 1, none.output);
    assert.match(none.stderr, /there is no embedded database in .*nothing to back up/);
    assert.deepEqual(fs.readdirSync(empty), [], 'no database, backup file or partial file was made');

    // A live process holds the folder but has no control socket (a `rollcall worker`): said so, no file.
    const held = tempDir('rollcall-backup-held-');
    fs.mkdirSync(path.join(held, 'pgdata'));
    fs.writeFileSync(path.join(held, 'pgdata', 'PG_VERSION'), '18\n');
    fs.writeFileSync(path.join(held, 'rollcall.lock'), String(process.pid));
    const heldFile = path.join(held, 'x.tar.gz');
    const unreachable = await runCli(['backup', heldFile], cliEnv(held));
    assert.equal(unreachable.code, 1, unreachable.output);
    assert.match(unreachable.stderr, new RegExp(`did not answer on .*rollcall\\.sock .*stop it and run the backup again\\. \\(BACKUP_SERVER_UNREACHABLE\\)`));
    assert.equal(fs.existsSync(heldFile), false);
    assert.equal(fs.existsSync(`${heldFile}.partial`), false);
  });

  test('with DATABASE_URL both commands refuse and point to pg_dump / pg_restore', async () => {
    const dir = tempDir('rollcall-backup-pg-');
    const env = { DATA_DIR: dir, DATABASE_URL: 'postgres://rollcall:secret@127.0.0.1:1/rollcall' };
    const file = path.join(dir, 'pg.tar.gz');
    const backup = await runCli(['backup', file], env);
    assert.equal(backup.code, 1, backup.output);
    assert.match(backup.stderr, /^rollcall backup: DATABASE_URL is set, .*use pg_dump .*docs\/operations\.md.*\(BACKUP_NEEDS_EMBEDDED\)$/m);
    const restore = await runCli(['restore', backupFile], env);
    assert.equal(restore.code, 1, restore.output);
    assert.match(restore.stderr, /pg_restore.*\(BACKUP_NEEDS_EMBEDDED\)/);
    assert.deepEqual(fs.readdirSync(dir), [], 'nothing was written');
  });
});
