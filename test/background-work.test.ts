/**
 * The list of background work (jobs/background-work.ts): which loops a process starts, by kind and
 * engine, and that every pg-boss job has a handler. The loops' own behaviour is tested where they
 * live (dispatch, inbound, reminders, table maintenance…).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { pino } from 'pino';

import { JOBS, LOOPS, startLoops } from '../src/jobs/background-work.ts';
import { makeConfig } from '../src/config.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

const context = (profile: TestApp['handle']['profile']) => ({ config: makeConfig(), services: t.deps, db: t.deps.db, logger: pino({ level: 'silent' }), profile });

test('every loop is named once, says what it does, and has an interval', () => {
  assert.equal(new Set(LOOPS.map((l) => l.name)).size, LOOPS.length);
  for (const l of LOOPS) {
    assert.ok(l.what.length > 20, l.name);
    assert.ok(l.pollMs(makeConfig()) > 0, l.name);
  }
  assert.deepEqual(Object.keys(JOBS).sort(), ['broadcast-expand', 'contacts-reevaluate', 'import-run']);
});

test('a worker process runs every worker loop; table maintenance runs only where the engine has no autovacuum', async () => {
  const workers = startLoops(context(t.handle.profile), 'workers');
  try {
    for (const name of ['dispatch', 'inbound', 'surveys', 'imports', 'reevaluations', 'dashboard', 'reminders'] as const) {
      assert.ok(workers.get(name), name);
    }
    assert.equal(workers.get('table-maintenance'), undefined);
  } finally {
    await workers.stop();
  }
  for (const ownMaintenance of [true, false]) {
    const every = startLoops(context({ ...t.handle.profile, ownMaintenance }), 'every-process');
    try {
      assert.equal(Boolean(every.get('table-maintenance')), ownMaintenance);
      assert.equal(every.get('dispatch'), undefined);
    } finally {
      await every.stop();
    }
  }
});
