import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, sql } from 'kysely';
import pg from 'pg';

import { type DatabaseHandle, openDatabase } from './connection.ts';
import { BACKGROUND_GRACE_MS, PriorityPostgresDialect, runInBackground } from './priority-dialect.ts';

let h: DatabaseHandle;

before(async () => {
  h = await openDatabase({ pglite: await PGlite.create() });
});
after(async () => {
  await h.close();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Holds the one connection in a transaction until the returned function is called. */
async function holdConnection(): Promise<{ release: () => void; done: Promise<void> }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const begun = new Promise<void>((resolve) => (started = resolve));
  const done = h.db.transaction().execute(async (trx) => {
    await sql`select 1`.execute(trx);
    started();
    await held;
  });
  await begun;
  return { release, done };
}

test('a single statement overtakes a queued transaction, and requests overtake background work', async () => {
  const holder = await holdConnection();
  const order: string[] = [];
  const work = [
    runInBackground(async () => {
      await sql`select 1`.execute(h.db);
      order.push('background');
    }),
    h.db.transaction().execute(async (trx) => {
      order.push('transaction');
      await sql`select 1`.execute(trx);
    }),
    sql`select 1`.execute(h.db).then(() => order.push('statement')),
  ];
  await pause(5);
  holder.release();
  await Promise.all([holder.done, ...work]);
  assert.deepEqual(order, ['statement', 'transaction', 'background']);
});

test('background work that waited past its grace goes before a newer request: nothing starves', async () => {
  const holder = await holdConnection();
  const order: string[] = [];
  const bg = runInBackground(async () => {
    await sql`select 1`.execute(h.db);
    order.push('background');
  });
  await pause(BACKGROUND_GRACE_MS + 20);
  const st = sql`select 1`.execute(h.db).then(() => order.push('statement'));
  await pause(5);
  holder.release();
  await Promise.all([holder.done, bg, st]);
  assert.deepEqual(order, ['background', 'statement']);
});

test('a failed transaction releases the connection for the next waiter', async () => {
  await assert.rejects(
    h.db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      throw new Error('boom');
    }),
    /boom/,
  );
  const r = await sql<{ one: number }>`select 1 as one`.execute(h.db);
  assert.equal(r.rows[0]?.one, 1);
  await assert.rejects(sql`select * from no_such_table`.execute(h.db));
  assert.equal((await sql<{ one: number }>`select 1 as one`.execute(h.db)).rows[0]?.one, 1);
});

test('a request that arrives while transactions are queued goes before them (the connection changes hands on a new turn)', async () => {
  // Its own database with a long transaction grace, so that however slow the machine, the
  // transactions have not waited past their grace when the request arrives.
  const pglite = await PGlite.create();
  const db = new Kysely<unknown>({ dialect: new PriorityPostgresDialect({ pool: new pg.Pool({ ...createPgConfig(pglite), max: 1 }) }, 60_000) });
  try {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const begun = new Promise<void>((resolve) => (started = resolve));
    const holder = db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      started();
      await held;
    });
    await begun;
    const order: string[] = [];
    const transactions = [1, 2, 3].map((n) =>
      db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await sql`select 2`.execute(trx);
        order.push(`transaction ${n}`);
      }),
    );
    await pause(2);
    release();
    // What a request read from a socket does: it runs on a later turn of the event loop than the
    // holder's commit, which happens in this one.
    const statement = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        sql`select 1`
          .execute(db)
          .then(() => {
            order.push('statement');
            resolve();
          })
          .catch(reject);
      });
    });
    await Promise.all([holder, statement, ...transactions]);
    assert.equal(order[0], 'statement', `order: ${order.join(', ')}`);
    assert.deepEqual(order.slice(1), ['transaction 1', 'transaction 2', 'transaction 3']);
  } finally {
    await db.destroy();
    await pglite.close();
  }
});
