/**
 * @module store/data-dir-lock — one process at a time on an embedded data folder.
 * PGlite takes no lock of its own, and two writers on one folder silently lose writes
 * (reference/dependencies.md §0 rule 2). The lock file holds the owner's pid: a file left by a
 * process that no longer exists (kill -9, power loss) is taken over, so a crashed server restarts
 * at once; a live owner makes every other process fail with DATA_DIR_LOCKED.
 */
import fs from 'node:fs';
import path from 'node:path';

import { AppError } from '../errors.ts';

export const LOCK_FILE = 'rollcall.lock';

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads the pid of the process holding the folder, or null when no live process holds it. */
export function lockHolder(dataDir: string): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8').trim());
    return isAlive(pid) && pid !== process.pid ? pid : null;
  } catch {
    return null;
  }
}

function tryCreate(file: string): boolean {
  try {
    fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      return false;
    }
    throw err;
  }
}

/** Takes the folder's lock or throws DATA_DIR_LOCKED naming the holder. Creates the folder. */
export function lockDataDir(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(file)) {
      let released = false;
      return {
        file,
        release() {
          if (!released) {
            released = true;
            fs.rmSync(file, { force: true });
          }
        },
      };
    }
    const holder = lockHolder(dataDir);
    if (holder !== null) {
      throw new AppError(
        'DATA_DIR_LOCKED',
        `Another Rollcall process (pid ${holder}) is using the data folder ${dataDir}. Stop it first, or use the running server over HTTP.`,
      );
    }
    // Stale lock from a process that died: move it aside atomically, then try again.
    const aside = `${file}.stale-${process.pid}`;
    try {
      fs.renameSync(file, aside);
      fs.rmSync(aside, { force: true });
    } catch {
      // Another process took it over first; the next attempt sees its pid.
    }
  }
  throw new AppError('DATA_DIR_LOCKED', `Could not lock the data folder ${dataDir}; another process keeps taking it.`);
}
