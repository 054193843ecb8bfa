/**
 * @module store/embedded-backup — backups of the embedded database (`rollcall backup` and
 * `rollcall restore`, cli/backup.command.ts).
 *
 * A backup is a gzip-compressed tar of the data folder (`pgdata/`), the format of PGlite's
 * dumpDataDir('gzip') and of its loadDataDir. The tar is made under PGlite's query mutex, so no
 * statement runs while the files are read: the copy is what a crash at that instant would have left
 * on disk (committed transactions are in the write-ahead log; one still open is rolled back when
 * the copy starts). A CHECKPOINT just before it writes the changed pages out, so that start-up
 * recovery has little to replay.
 *
 * A restore never writes into the live folder: the backup is unpacked into `pgdata.restoring` by
 * starting PGlite on it (which also runs that recovery and proves the copy opens), and only then is
 * the current `pgdata` moved aside to `pgdata.before-restore-<UTC time>` and the new one renamed
 * into place. Anything that fails before the renames leaves the folder as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import zlib from 'node:zlib';

import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';

import { AppError } from '../errors.ts';
import { type DatabaseHandle, EMBEDDED_START_PARAMS } from './connection.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { runInBackground } from './priority-dialect.ts';

/** The embedded database's folder inside DATA_DIR. */
export const PGDATA = 'pgdata';
/** Where a restore unpacks the backup before it swaps folders (left only by an interrupted restore). */
export const RESTORING = 'pgdata.restoring';
/** The prefix of the folders a restore moved the previous database to. */
export const BEFORE_RESTORE = 'pgdata.before-restore-';

/** Whether DATA_DIR already holds an embedded database. */
export function hasEmbeddedDatabase(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, PGDATA, 'PG_VERSION'));
}

export interface EmbeddedDump {
  /** The size of the uncompressed archive. */
  readonly tarBytes: number;
  /** How long the copy held PGlite's query mutex (statements waited that long at most). */
  readonly copyMs: number;
  /** The backup: the archive, gzip-compressed as it is read (once). */
  gzip(): Readable;
}

/**
 * A backup of an open embedded database: CHECKPOINT, then the data folder as a tar, compressed
 * afterwards. Statements wait only while the files are copied into the archive (PGlite's query
 * mutex; 0.16 s for a 40 MB folder, 1.2 s on the first copy a process makes): the compression runs
 * after, on libuv's thread pool (it took 0.4 s more inside the mutex with dumpDataDir('gzip')).
 * Requests go first for the CHECKPOINT's turn on the connection.
 */
export async function dumpEmbeddedDatabase(handle: DatabaseHandle): Promise<EmbeddedDump> {
  const pglite = handle.pglite;
  if (!pglite) {
    throw new AppError('BACKUP_NEEDS_EMBEDDED');
  }
  await runInBackground(() => sql`CHECKPOINT`.execute(handle.db));
  const started = performance.now();
  const tar = await pglite.dumpDataDir('none');
  const copyMs = Math.round(performance.now() - started);
  return {
    tarBytes: tar.size,
    copyMs,
    gzip() {
      const gz = zlib.createGzip();
      // An error on either side destroys both (gz with the error, which its reader sees).
      pipeline(Readable.fromWeb(tar.stream() as unknown as WebReadableStream<Uint8Array>), gz).catch(() => {});
      return gz;
    },
  };
}

/** What a backup file holds, as far as reading it through told. */
export interface BackupContents {
  /** gzip-compressed (what `rollcall backup` writes) or a plain tar. */
  readonly compressed: boolean;
  /** The file's size. */
  readonly fileBytes: number;
  /** Files and folders in the archive. */
  readonly entries: number;
  /** The size of the files it holds, uncompressed. */
  readonly dataBytes: number;
  /** The PostgreSQL major version of the data folder (its PG_VERSION file). */
  readonly pgVersion: string;
}

function invalid(file: string, why: string, cause?: unknown): AppError {
  return new AppError('BACKUP_FILE_INVALID', `${file} is not a backup of the embedded database: ${why}. Nothing was changed.`, { cause });
}

const BLOCK = 512;

/** A NUL-terminated text field of a tar header. */
function field(header: Buffer, at: number, length: number): string {
  const raw = header.subarray(at, at + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** A numeric field: octal text, or base-256 when the high bit of its first byte is set. */
function numberField(header: Buffer, at: number, length: number): number {
  const raw = header.subarray(at, at + length);
  if ((raw[0] ?? 0) & 0x80) {
    let n = (raw[0] ?? 0) & 0x7f;
    for (let i = 1; i < raw.length; i++) {
      n = n * 256 + (raw[i] ?? 0);
    }
    return n;
  }
  const text = field(header, at, length).trim();
  return text === '' ? 0 : /^[0-7]+$/.test(text) ? parseInt(text, 8) : NaN;
}

function checksumOk(header: Buffer): boolean {
  const stored = numberField(header, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) {
    sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  }
  return sum === stored;
}

/**
 * Walks a tar stream header by header without keeping it: counts entries and bytes, checks every
 * header's checksum and name, and keeps the content of PG_VERSION. Fails on anything that is not a
 * plain archive of files and folders.
 */
class TarWalker extends Writable {
  entries = 0;
  dataBytes = 0;
  pgVersion: string | null = null;
  hasControlFile = false;
  private header = Buffer.alloc(0);
  /** Bytes of the current entry (with the padding to a whole block) still to pass. */
  private skip = 0;
  /** The content of the current entry, when it is PG_VERSION. */
  private capture: { size: number; parts: Buffer[]; got: number } | null = null;
  private ended = false;

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    try {
      let at = 0;
      while (at < chunk.length && !this.ended) {
        if (this.skip > 0) {
          const n = Math.min(this.skip, chunk.length - at);
          if (this.capture && this.capture.got < this.capture.size) {
            const part = chunk.subarray(at, at + Math.min(n, this.capture.size - this.capture.got));
            this.capture.parts.push(Buffer.from(part));
            this.capture.got += part.length;
            if (this.capture.got === this.capture.size) {
              this.pgVersion = Buffer.concat(this.capture.parts).toString('utf8').trim();
              this.capture = null;
            }
          }
          this.skip -= n;
          at += n;
          continue;
        }
        const n = Math.min(BLOCK - this.header.length, chunk.length - at);
        this.header = Buffer.concat([this.header, chunk.subarray(at, at + n)]);
        at += n;
        if (this.header.length === BLOCK) {
          this.readHeader(this.header);
          this.header = Buffer.alloc(0);
        }
      }
      // What follows the end-of-archive block is padding to the archive's record size.
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _final(done: (err?: Error | null) => void): void {
    if (this.ended || (this.entries > 0 && this.skip === 0 && this.header.length === 0)) {
      done();
    } else {
      done(new Error(this.entries === 0 ? 'it is not a tar archive' : 'it ends in the middle of a file (cut short?)'));
    }
  }

  private readHeader(header: Buffer): void {
    if (header.every((b) => b === 0)) {
      if (this.entries === 0) {
        throw new Error('it holds no files');
      }
      this.ended = true;
      return;
    }
    if (!checksumOk(header)) {
      throw new Error(this.entries === 0 ? 'it is not a tar archive' : `the archive is damaged after ${this.entries} files`);
    }
    const ustar = field(header, 257, 6).startsWith('ustar');
    const prefix = ustar ? field(header, 345, 155) : '';
    const name = (prefix ? `${prefix}/` : '') + field(header, 0, 100);
    const parts = name.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.length === 0 || parts.includes('..')) {
      throw new Error(`it holds an entry with the name "${name}"`);
    }
    const size = numberField(header, 124, 12);
    if (!Number.isFinite(size) || size < 0) {
      throw new Error(`the size of "${name}" is not readable`);
    }
    const type = String.fromCharCode(header[156] ?? 0);
    if (type !== '0' && type !== '\0' && type !== '5') {
      throw new Error(`"${name}" is not a plain file or folder (tar entry type ${JSON.stringify(type)})`);
    }
    this.entries++;
    if (type !== '5') {
      this.dataBytes += size;
      const relative = parts.join('/');
      if (relative === 'PG_VERSION') {
        this.capture = { size, parts: [], got: 0 };
        if (size === 0) {
          this.pgVersion = '';
          this.capture = null;
        }
      } else if (relative === 'global/pg_control') {
        this.hasControlFile = true;
      }
      this.skip = Math.ceil(size / BLOCK) * BLOCK;
    }
  }
}

/**
 * Reads a backup file through (without keeping it in memory) and says what it holds; throws
 * BACKUP_FILE_INVALID when it is not a whole tar of a PostgreSQL data folder (gzip-compressed or
 * not). Touches nothing.
 */
export async function inspectBackupFile(file: string): Promise<BackupContents> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw new AppError('BACKUP_FILE_INVALID', `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}. Nothing was changed.`, { cause: err });
  }
  if (!stat.isFile()) {
    throw invalid(file, 'it is not a file');
  }
  const magic = Buffer.alloc(2);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, magic, 0, 2, 0);
  } finally {
    fs.closeSync(fd);
  }
  const compressed = magic[0] === 0x1f && magic[1] === 0x8b;
  const walker = new TarWalker();
  try {
    if (compressed) {
      await pipeline(fs.createReadStream(file), zlib.createGunzip(), walker);
    } else {
      await pipeline(fs.createReadStream(file), walker);
    }
  } catch (err) {
    const message = (err as Error).message;
    const why = (err as NodeJS.ErrnoException).code?.startsWith('Z_') ? `its gzip compression is broken (${message}; cut short?)` : message;
    throw invalid(file, why, err);
  }
  if (walker.pgVersion === null) {
    throw invalid(file, 'it holds no PG_VERSION, so it is not the data folder of a database');
  }
  if (!/^\d+$/.test(walker.pgVersion)) {
    throw invalid(file, `its PG_VERSION says "${walker.pgVersion.slice(0, 20)}", not a PostgreSQL version`);
  }
  if (!walker.hasControlFile) {
    throw invalid(file, 'it holds no global/pg_control, without which PostgreSQL cannot start');
  }
  return { compressed, fileBytes: stat.size, entries: walker.entries, dataBytes: walker.dataBytes, pgVersion: walker.pgVersion };
}

export interface RestoreResult {
  /** The restored database's folder (DATA_DIR/pgdata). */
  readonly pgdata: string;
  /** Where the database that was there went, or null when DATA_DIR had none. */
  readonly previous: string | null;
  readonly contents: BackupContents;
}

/** `pgdata.before-restore-20261204T193012Z` (with -2, -3… if a restore in the same second made one). */
function asideName(dataDir: string, now: Date): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  let name = path.join(dataDir, `${BEFORE_RESTORE}${stamp}`);
  for (let n = 2; fs.existsSync(name); n++) {
    name = path.join(dataDir, `${BEFORE_RESTORE}${stamp}-${n}`);
  }
  return name;
}

/**
 * Replaces the embedded database of DATA_DIR with a backup (see the module comment). Takes the
 * folder's lock for the whole restore, so it fails with DATA_DIR_LOCKED while a server runs there;
 * the caller checks that first to say so plainly, and validates the file (inspectBackupFile).
 */
export async function restoreEmbeddedDatabase(dataDir: string, file: string, contents: BackupContents, now: () => Date = () => new Date()): Promise<RestoreResult> {
  const lock = lockDataDir(dataDir);
  try {
    const staging = path.join(dataDir, RESTORING);
    // Left by a restore that was interrupted (we hold the lock, so no one else is using it).
    fs.rmSync(staging, { recursive: true, force: true });
    try {
      const blob = new Blob([fs.readFileSync(file)], { type: contents.compressed ? 'application/x-gzip' : 'application/x-tar' });
      const pglite = await PGlite.create(staging, { loadDataDir: blob, startParams: EMBEDDED_START_PARAMS });
      try {
        const found = await pglite.query<{ ok: boolean }>(`select to_regclass('public.rollcall_migrations') is not null as ok`);
        if (!found.rows[0]?.ok) {
          throw invalid(file, 'the database in it has no Rollcall tables');
        }
      } finally {
        await pglite.close();
      }
    } catch (err) {
      fs.rmSync(staging, { recursive: true, force: true });
      if (err instanceof AppError) {
        throw err;
      }
      throw invalid(file, `PostgreSQL could not open the data in it (${err instanceof Error ? err.message : String(err)})`, err);
    }
    const pgdata = path.join(dataDir, PGDATA);
    let previous: string | null = null;
    if (fs.existsSync(pgdata)) {
      previous = asideName(dataDir, now());
      fs.renameSync(pgdata, previous);
    }
    try {
      fs.renameSync(staging, pgdata);
    } catch (err) {
      if (previous) {
        fs.renameSync(previous, pgdata);
      }
      fs.rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    return { pgdata, previous, contents };
  } finally {
    lock.release();
  }
}
