/**
 * @module store/data-dir-lock — one process at a time on an embedded data folder.
 * PGlite takes no lock of its own, and two writers on one folder silently lose writes
 * (reference/dependencies.md §0 rule 2). The lock file holds the owner's pid: a file left by a
 * process that no longer exists (kill -9, power loss) is taken over, so a crashed server restarts
 * at once; a live owner makes every other process fail with DATA_DIR_LOCKED. Within one process a
 * second open of a folder it already holds fails the same way.
 *
 * The lock file never exists without its pid (it is written aside, then hard-linked into place,
 * which fails if the name exists), and a takeover checks that the file it moved aside is the stale
 * one it read: if two processes take over the same stale lock at once, only one wins.
 */
import fs from 'node:fs';
import path from 'node:path';

import { AppError } from '../errors.ts';

export const LOCK_FILE = 'rollcall.lock';

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

/** Lock files held by this process (absolute paths). */
const held = new Set<string>();

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

/** The lock file's content, or null when there is none. */
function readLock(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Reads the pid of the process holding the folder, or null when no live process (other than this one) holds it. */
export function lockHolder(dataDir: string): number | null {
  const content = readLock(path.join(dataDir, LOCK_FILE));
  if (content === null) {
    return null;
  }
  const pid = Number(content.trim());
  return isAlive(pid) && pid !== process.pid ? pid : null;
}

/** Creates the lock file with this process's pid in one step; false if it exists. */
function tryCreate(file: string): boolean {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, String(process.pid));
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      return false;
    }
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV') {
      throw err;
    }
    // A file system without hard links: create exclusively (a reader may briefly see it empty).
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (err2) {
      if ((err2 as NodeJS.ErrnoException).code === 'EEXIST') {
        return false;
      }
      throw err2;
    }
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function lockedError(dataDir: string, pid: number): AppError {
  return new AppError(
    'DATA_DIR_LOCKED',
    `Another Rollcall process (pid ${pid}) is using the data folder ${dataDir}. Stop it first, or use the running server over HTTP.`,
  );
}

/**
 * Moves a stale lock file (one whose content is `stale`) out of the way. If what got moved is not
 * that file (another process replaced it in between), it is put back.
 */
function takeOver(file: string, stale: string): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return; // gone already: another process took it over first
  }
  const moved = readLock(aside);
  if (moved !== stale) {
    // A fresh lock of another process: restore it unless yet another one took the name meanwhile.
    try {
      fs.linkSync(aside, file);
    } catch {
      // The name is taken again; the next attempt sees its owner.
    }
  }
  fs.rmSync(aside, { force: true });
}

/** Takes the folder's lock or throws DATA_DIR_LOCKED naming the holder. Creates the folder. */
export function lockDataDir(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.resolve(dataDir, LOCK_FILE);
  if (held.has(file)) {
    throw lockedError(dataDir, process.pid);
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(file)) {
      held.add(file);
      let released = false;
      return {
        file,
        release() {
          if (released) {
            return;
          }
          released = true;
          held.delete(file);
          // Remove only our own lock, never one another process took over.
          if (readLock(file)?.trim() === String(process.pid)) {
            fs.rmSync(file, { force: true });
          }
        },
      };
    }
    const content = readLock(file);
    if (content === null) {
      continue; // released in between: try again
    }
    const pid = Number(content.trim());
    if (isAlive(pid) && pid !== process.pid) {
      throw lockedError(dataDir, pid);
    }
    // Left by a process that died (or by an earlier process that had this pid): take it over.
    takeOver(file, content);
  }
  throw new AppError('DATA_DIR_LOCKED', `Could not lock the data folder ${dataDir}; another process keeps taking it.`);
}
