/**
 * Several hosts in DATABASE_URL (store/multi-host.ts), against a real primary and hot standby
 * (support/replicated-postgres.ts) and a closed port: the pool's connections go to the first host
 * that accepts a connection and is not read-only, and fail naming every host when none is. Needs
 * root and PostgreSQL's binaries (as the fault tests); skipped without them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { sql } from 'kysely';
import pg from 'pg';

import { openDatabase } from '../src/store/connection.ts';
import { parseMultiHostUrl, postgresPoolConfig, redactPostgresUrl } from '../src/store/multi-host.ts';
import { freePort } from './support/child-server.ts';
import { type ReplicatedPostgres, startReplicatedPostgres } from './support/replicated-postgres.ts';

const canRun = process.getuid?.() === 0 && fs.existsSync('/usr/lib/postgresql');

describe('DATABASE_URL with one host', () => {
  test('an ordinary URL gives pg exactly the connection string, as before', () => {
    for (const url of ['postgres://postgres@127.0.0.1:5432/postgres', 'postgresql://u:p%40ss@db.example.org/app?sslmode=no-verify&application_name=rc', 'postgres://u@h/db?connect_timeout=3']) {
      assert.deepEqual(postgresPoolConfig(url), { connectionString: url });
    }
  });
});

describe('parsing a multi-host URL', () => {
  test('one URL per host, password and other parameters kept as written', () => {
    const parsed = parseMultiHostUrl('postgres://rc:s%3Acret@h1:5433,h2:5434,[::1]:5435/app?sslmode=no-verify&target_session_attrs=primary&application_name=r%20c&connect_timeout=3');
    assert.ok(parsed);
    assert.equal(parsed.attrs, 'read-write');
    assert.equal(parsed.hostTimeoutMs, 3000);
    assert.deepEqual(
      parsed.hosts.map((h) => [h.label, h.url]),
      [
        ['h1:5433', 'postgres://rc:s%3Acret@h1:5433/app?sslmode=no-verify&application_name=r%20c'],
        ['h2:5434', 'postgres://rc:s%3Acret@h2:5434/app?sslmode=no-verify&application_name=r%20c'],
        ['[::1]:5435', 'postgres://rc:s%3Acret@[::1]:5435/app?sslmode=no-verify&application_name=r%20c'],
      ],
    );
  });

  test('several hosts default to read-write; any is accepted; other attributes are refused', () => {
    assert.equal(parseMultiHostUrl('postgres://u@h1,h2/db')?.attrs, 'read-write');
    assert.equal(parseMultiHostUrl('postgres://u@h1,h2/db?target_session_attrs=any')?.attrs, 'any');
    assert.throws(() => parseMultiHostUrl('postgres://u@h1,h2/db?target_session_attrs=standby'), /target_session_attrs=standby is not supported/);
    assert.throws(() => parseMultiHostUrl('postgres://u@h1,,h2/db'), /empty host/);
  });

  test('the URL shown in logs hides the password', () => {
    assert.equal(redactPostgresUrl('postgres://rc:secret@h1:5433,h2:5434/app?target_session_attrs=read-write'), 'postgres://rc:***@h1:5433,h2:5434/app?target_session_attrs=read-write');
    assert.equal(redactPostgresUrl('postgres://h1:5433,h2:5434/app?password=secret&x=1'), 'postgres://h1:5433,h2:5434/app?password=***&x=1');
  });
});

describe('connecting through several hosts', { skip: canRun ? false : 'needs root and PostgreSQL binaries in /usr/lib/postgresql' }, () => {
  let cluster: ReplicatedPostgres;
  let closedPort: number;
  before(async () => {
    cluster = await startReplicatedPostgres();
    closedPort = await freePort();
  });
  after(() => cluster?.destroy());

  const portOf = async (pool: pg.Pool) => Number((await pool.query<{ port: number }>('select inet_server_port() as port')).rows[0]?.port);

  test('first host down: the second is used', async () => {
    const pool = new pg.Pool({ ...postgresPoolConfig(`postgres://postgres@127.0.0.1:${closedPort},127.0.0.1:${cluster.primaryPort}/postgres`), max: 2 });
    try {
      assert.equal(await portOf(pool), cluster.primaryPort);
      // Writes work (it is the primary), on a second connection too.
      const clients = await Promise.all([pool.connect(), pool.connect()]);
      for (const c of clients) {
        assert.equal((await c.query('select pg_is_in_recovery() as r')).rows[0].r, false);
        c.release();
      }
    } finally {
      await pool.end();
    }
  });

  test('first host a read-only standby: the second (the primary) is used', async () => {
    const pool = new pg.Pool({ ...postgresPoolConfig(`postgres://postgres@127.0.0.1:${cluster.standbyPort},127.0.0.1:${cluster.primaryPort}/postgres?target_session_attrs=read-write`) });
    try {
      assert.equal(await portOf(pool), cluster.primaryPort);
      await pool.query('create table if not exists multi_host_probe (n int)');
      await pool.query('insert into multi_host_probe values (1)');
    } finally {
      await pool.end();
    }
    // With `any`, the first host that answers is kept, standby or not.
    const any = new pg.Pool({ ...postgresPoolConfig(`postgres://postgres@127.0.0.1:${cluster.standbyPort},127.0.0.1:${cluster.primaryPort}/postgres?target_session_attrs=any`) });
    try {
      assert.equal(await portOf(any), cluster.standbyPort);
    } finally {
      await any.end();
    }
  });

  test('no host will do: the error names every host tried, with SQLSTATE 08001', async () => {
    const url = `postgres://postgres@127.0.0.1:${closedPort},127.0.0.1:${cluster.standbyPort}/postgres?target_session_attrs=read-write`;
    const pool = new pg.Pool({ ...postgresPoolConfig(url) });
    try {
      await assert.rejects(pool.query('select 1'), (err: Error & { code?: string }) => {
        assert.equal(err.code, '08001');
        assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${closedPort} \\(.*ECONNREFUSED`));
        assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${cluster.standbyPort} \\(read-only: a standby in recovery\\)`));
        return true;
      });
    } finally {
      await pool.end();
    }
  });

  test('the Client class connects in both the promise and the callback form', async () => {
    const config = postgresPoolConfig(`postgres://postgres@127.0.0.1:${closedPort},127.0.0.1:${cluster.primaryPort}/postgres`);
    const Client = config.Client as unknown as new (c?: pg.ClientConfig) => pg.Client;
    const a = new Client(config);
    const resolved = (await a.connect()) as unknown;
    assert.equal(resolved, a, 'resolves with the client, as pg does');
    assert.equal(Number((await a.query('select inet_server_port() as port')).rows[0].port), cluster.primaryPort);
    await a.end();
    const b = new Client(config);
    await new Promise<void>((resolve, reject) => b.connect((err) => (err ? reject(err) : resolve())));
    assert.equal(Number((await b.query('select inet_server_port() as port')).rows[0].port), cluster.primaryPort);
    await b.end();
    const none = postgresPoolConfig(`postgres://postgres@127.0.0.1:${closedPort},127.0.0.1:${cluster.standbyPort}/postgres`);
    const c = new (none.Client as unknown as new (c?: pg.ClientConfig) => pg.Client)(none);
    const err = await new Promise<Error | null>((resolve) => c.connect((e) => resolve(e ?? null)));
    assert.match(String(err?.message), /tried 127\.0\.0\.1:\d+ \(.*\); 127\.0\.0\.1:\d+ \(read-only/);
  });

  test("openDatabase: Rollcall's handle uses the host list, and its location hides nothing it should not", async () => {
    const handle = await openDatabase({ databaseUrl: `postgres://postgres:pw@127.0.0.1:${cluster.standbyPort},127.0.0.1:${cluster.primaryPort}/postgres?target_session_attrs=read-write`, poolSize: 2 });
    try {
      const r = await sql<{ port: number; recovery: boolean }>`select inet_server_port() as port, pg_is_in_recovery() as recovery`.execute(handle.db);
      assert.equal(Number(r.rows[0]?.port), cluster.primaryPort);
      assert.equal(r.rows[0]?.recovery, false);
      assert.equal(handle.location, `postgres://postgres:***@127.0.0.1:${cluster.standbyPort},127.0.0.1:${cluster.primaryPort}/postgres?target_session_attrs=read-write`);
    } finally {
      await handle.close();
    }
  });
});
