/**
 * Stopping the job queue waits for its statements: pg-boss's graceful stop waits only for workers
 * holding a job, so a poll in flight could reach the database after stop() returned and the
 * database was closed ("Cannot read properties of undefined (reading 'connect')" at shutdown). The
 * queue runs here over a database whose fetch statements are slowed down, and is stopped while one
 * is in flight.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';

import type { CompiledQuery } from 'kysely';
import pino from 'pino';

import { startQueue } from '../src/jobs/queue.ts';
import type { Db } from '../src/store/database.ts';
import { createTestDatabase } from './support/test-db.ts';

let handle: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  handle = await createTestDatabase();
});
after(() => handle.close());

test('stop() returns only when no statement of the queue is in flight, and none starts after it', async () => {
  let inFlight = 0;
  let fetching = 0;
  let stopped = false;
  let afterStop = 0;
  const slowFetches = {
    executeQuery(query: CompiledQuery) {
      if (stopped) {
        afterStop++;
      }
      inFlight++;
      // pg-boss's fetch claims jobs with SKIP LOCKED: slow it down so stop() lands inside one.
      const slow = /skip locked/i.test(query.sql);
      fetching += slow ? 1 : 0;
      const run = async () => {
        try {
          if (slow) {
            await sleep(300);
          }
          return await handle.db.executeQuery(query);
        } finally {
          inFlight--;
          fetching -= slow ? 1 : 0;
        }
      };
      return run();
    },
  } as unknown as Db;
  const queue = await startQueue(slowFetches, pino({ level: 'silent' }), { supervise: false });
  await queue.work('import-run', async () => {});
  const deadline = Date.now() + 10_000;
  while (fetching === 0 && Date.now() < deadline) {
    await sleep(5);
  }
  assert.ok(fetching > 0, 'a fetch is in flight');
  await queue.stop();
  assert.equal(inFlight, 0, 'stop() returned with statements of the queue still running');
  stopped = true;
  await sleep(1200); // over two polling intervals
  assert.equal(afterStop, 0, 'statements started after stop()');
});
