/**
 * @module store/storage-guard — keeps the embedded database away from a full disk. PGlite reports a
 * full data file as an ordinary error (53100), but a write-ahead log that cannot grow stops the
 * embedded PostgreSQL for good: every later query waits forever (tested: test/faults/disk-full).
 * So below a reserve of free space (ROLLCALL_MIN_FREE_MB, default 64 MB, more than one 16 MB WAL
 * segment) Rollcall stops writing: requests that change data get 507 STORAGE_FULL and the workers
 * pause, until space is freed. A PostgreSQL server handles a full disk itself and has no guard.
 *
 * The check at the start of a request cannot see what a request is about to write: six uploads of
 * 15 MB, each let in while space was ample, took the disk to 0 bytes free (issue 23). So an upload
 * reserves what it will write before it writes (reserve()): reservations in progress add up, and
 * one that would take free space below the reserve is refused.
 */
import fs from 'node:fs';

export interface StorageGuard {
  /**
   * Free bytes when below the reserve (writes must stop), else null. Re-read at most every 100 ms
   * (a statfs is a few microseconds): with 2 s between reads, a fast machine writing large cases
   * used up most of the 64 MB reserve before the first refusal (seen in CI, 2026-12-03).
   */
  low(): { freeBytes: number; minFreeBytes: number } | null;
  /**
   * Reserves `bytes` about to be written, against free space minus the reserve minus what other
   * reservations hold; null when they do not fit (nothing is reserved then).
   */
  reserve(bytes: number): DiskReservation | null;
  /** Bytes held by reservations in progress. */
  reserved(): number;
  /** Free bytes on the disk (as last read, at most every interval). */
  freeBytes(): number;
  readonly minFreeBytes: number;
}

export interface DiskReservation {
  /** Bytes held. */
  readonly bytes: number;
  /** Holds `bytes` in all (never less than now); false, holding what it held, when that does not fit. */
  grow(bytes: number): boolean;
  /** Gives the bytes back (again: nothing). */
  release(): void;
}

export function createStorageGuard(dir: string, minFreeBytes: number, options: { everyMs?: number; statfs?: (dir: string) => { bavail: number | bigint; bsize: number | bigint } } = {}): StorageGuard {
  const everyMs = options.everyMs ?? 100;
  const statfs = options.statfs ?? ((d: string) => fs.statfsSync(d));
  let checkedAt = -Infinity;
  let free = Infinity;
  let held = 0;
  const freeBytes = () => {
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
    return free;
  };
  // The free space read may already count part of what is being written under a reservation; it
  // is counted twice until the reservation ends (on the safe side).
  const fits = (more: number) => freeBytes() - held - more >= minFreeBytes;
  return {
    low() {
      const f = freeBytes();
      return f < minFreeBytes ? { freeBytes: f, minFreeBytes } : null;
    },
    reserved: () => held,
    freeBytes,
    minFreeBytes,
    reserve(bytes) {
      const first = Math.max(0, Math.ceil(bytes));
      if (!fits(first)) {
        return null;
      }
      held += first;
      let mine = first;
      let released = false;
      return {
        get bytes() {
          return released ? 0 : mine;
        },
        grow(total) {
          const more = Math.ceil(total) - mine;
          if (released || more <= 0) {
            return !released;
          }
          if (!fits(more)) {
            return false;
          }
          held += more;
          mine += more;
          return true;
        },
        release() {
          if (!released) {
            released = true;
            held -= mine;
          }
        },
      };
    },
  };
}
