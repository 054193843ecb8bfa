import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createStorageGuard } from './storage-guard.ts';

test('below the reserve the guard says so with the free bytes; it re-reads the disk at most every interval', () => {
  let bavail = 1000;
  let reads = 0;
  const guard = createStorageGuard('/data', 64 * 4096, {
    everyMs: 0,
    statfs: () => {
      reads++;
      return { bavail, bsize: 4096 };
    },
  });
  assert.equal(guard.low(), null);
  bavail = 10;
  assert.deepEqual(guard.low(), { freeBytes: 40960, minFreeBytes: 262144 });
  assert.equal(reads, 2);
  const cached = createStorageGuard('/data', 1, { everyMs: 60_000, statfs: () => ({ bavail: BigInt(reads++), bsize: 1n }) });
  cached.low();
  cached.low();
  assert.equal(reads, 3, 'one read within the interval');
});

test('a folder that cannot be read does not block writes (the database reports its own errors)', () => {
  const guard = createStorageGuard('/nowhere', 1, { everyMs: 0, statfs: () => { throw new Error('ENOENT'); } });
  assert.equal(guard.low(), null);
});
