/**
 * @module services/import-kept-file — an import's uploaded file, kept in the database in parts of
 * FILE_PART_BYTES, one statement each, so that no single statement holds the embedded database
 * (and the server's thread with it) for long: between parts the server answers other requests
 * (store/migrations/0007). The parts go in before the import row, outside a transaction, for the
 * same reason: a transaction would hold the one embedded connection for the whole upload.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';

import type { Db } from '../store/database.ts';
import { deleteImportFileParts, deleteOrphanFileParts, findImportFilePart, insertImportFilePart } from '../store/import.store.ts';

/** Bytes per stored part (Default: 512 KiB: a few tens of milliseconds per statement on PGlite). */
export const FILE_PART_BYTES = 512 * 1024;

/**
 * Disk bytes an upload reserves per byte of its body (store/storage-guard.ts): the kept file is
 * written twice, to the write-ahead log and to the table (a spreadsheet does not compress further).
 */
export const KEPT_FILE_DISK_FACTOR = 2;

/** Parts older than this with no import row are from an upload cut short (Default: 1 hour). */
const ORPHAN_AGE_MS = 60 * 60 * 1000;

/**
 * Writes the file in parts under a new import id, then runs `commit(id)` (which inserts the import
 * row). If anything fails, the parts written are deleted again. Parts left by an upload that was cut
 * short (a crash) are deleted here too, once they are ORPHAN_AGE_MS old.
 */
export async function keepImportFile<T>(db: Db, projectId: string, bytes: Buffer, now: Date, commit: (importId: string) => Promise<T>): Promise<T> {
  await deleteOrphanFileParts(db, projectId, new Date(now.getTime() - ORPHAN_AGE_MS));
  const importId = randomUUID();
  try {
    let part = 0;
    let offset = 0;
    do {
      await insertImportFilePart(db, projectId, importId, part, bytes.subarray(offset, offset + FILE_PART_BYTES));
      part++;
      offset += FILE_PART_BYTES;
      await nextTurn();
    } while (offset < bytes.length);
    return await commit(importId);
  } catch (err) {
    await deleteImportFileParts(db, importId).catch(() => undefined);
    throw err;
  }
}

/** Reads the kept file back, one part per statement; null when it is gone. */
export async function readKeptImportFile(db: Db, importId: string): Promise<Buffer | null> {
  const parts: Buffer[] = [];
  for (;;) {
    const bytes = await findImportFilePart(db, importId, parts.length);
    if (!bytes) {
      break;
    }
    parts.push(bytes);
    await nextTurn();
  }
  return parts.length === 0 ? null : Buffer.concat(parts);
}
