/**
 * @module store/storage-guard — keeps the embedded database away from a full disk. PGlite reports a
 * full data file as an ordinary error (53100), but a write-ahead log that cannot grow stops the
 * embedded PostgreSQL for good: every later query waits forever (tested: test/faults/disk-full).
 * So below a reserve of free space (ROLLCALL_MIN_FREE_MB, default 64 MB, more than one 16 MB WAL
 * segment) Rollcall stops writing: requests that change data get 507 STORAGE_FULL and the workers
 * pause, until space is freed. A PostgreSQL server handles a full disk itself and has no guard.
 */
import fs from 'node:fs';

export interface StorageGuard {
  /**
   * Free bytes when below the reserve (writes must stop), else null. Re-read at most every 100 ms
   * (a statfs is a few microseconds): with 2 s between reads, a fast machine writing large cases
   * used up most of the 64 MB reserve before the first refusal (seen in CI, 2026-12-03).
   */
  low(): { freeBytes: number; minFreeBytes: number } | null;
}

export function createStorageGuard(dir: string, minFreeBytes: number, options: { everyMs?: number; statfs?: (dir: string) => { bavail: number | bigint; bsize: number | bigint } } = {}): StorageGuard {
  const everyMs = options.everyMs ?? 100;
  const statfs = options.statfs ?? ((d: string) => fs.statfsSync(d));
  let checkedAt = -Infinity;
  let free = Infinity;
  return {
    low() {
      const now = performance.now();
      if (now - checkedAt >= everyMs) {
        checkedAt = now;
        try {
          const s = statfs(dir);
          free = Number(s.bavail) * Number(s.bsize);
        } catch {
          // Cannot tell (the folder vanished?): let the database itself report the problem.
          free = Infinity;
        }
      }
      return free < minFreeBytes ? { freeBytes: free, minFreeBytes } : null;
    },
  };
}
