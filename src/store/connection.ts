/**
 * @module store/connection — one pg.Pool for both modes (reference/dependencies.md §0):
 * PGlite embedded in DATA_DIR by default (pool max 1, the folder locked), or a PostgreSQL server
 * when DATABASE_URL is set. The same Kysely queries and migrations run on both.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

import { type DataDirLock, lockDataDir } from './data-dir-lock.ts';
import { postgresPoolConfig, redactPostgresUrl } from './multi-host.ts';
import { preparingPool } from './prepared-statements.ts';
import { PriorityPostgresDialect } from './priority-dialect.ts';
import { createStorageGuard, type StorageGuard } from './storage-guard.ts';
import type { Database, Db } from './database.ts';

const execFileAsync = promisify(execFile);

/**
 * PGlite's start parameters with a smaller buffer pool: 32 MB instead of the 128 MB of the data
 * folder's postgresql.conf. Starting postgres initialises the whole pool inside WebAssembly, which
 * took 0.4 s of each start at 128 MB (0.1 s at 32 MB), and the wasm heap never shrinks, so the pool
 * is memory the server holds for its whole life. A page not in the pool is read from the file
 * system's cache, which is what PostgreSQL itself relies on beyond shared_buffers.
 */
export const EMBEDDED_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'];

export type DatabaseKind = 'embedded' | 'postgres';

/** A connection pooler between Rollcall and PostgreSQL (ROLLCALL_DB_POOLER). */
export type PoolerMode = 'none' | 'transaction';

/**
 * What the engine behind a handle asks of the code that uses it: chosen once, where the database
 * is opened, instead of each caller testing the URL.
 */
export interface EngineProfile {
  /** The database runs on this process's one thread (PGlite): background work takes small batches. */
  readonly sharesThread: boolean;
  /** VACUUM and ANALYZE are Rollcall's to run (PGlite has no autovacuum daemon). */
  readonly ownMaintenance: boolean;
  /**
   * `transaction`: every transaction may run on another server connection (PgBouncer in
   * transaction mode), so statements are never prepared by name and no session state is set.
   */
  readonly pooler: PoolerMode;
  /** Inbound messages handled per step. */
  readonly inboundBatch: number;
  /** Import rows applied per transaction (a chunk holds PGlite's one connection, and its thread). */
  readonly importChunkRows: number;
}

const EMBEDDED_PROFILE: EngineProfile = Object.freeze({ sharesThread: true, ownMaintenance: true, pooler: 'none', inboundBatch: 50, importChunkRows: 50 });

function postgresProfile(pooler: PoolerMode): EngineProfile {
  return Object.freeze({ sharesThread: false, ownMaintenance: false, pooler, inboundBatch: 500, importChunkRows: 500 });
}

export interface DatabaseHandle {
  readonly db: Db;
  readonly kind: DatabaseKind;
  readonly profile: EngineProfile;
  /** The embedded engine itself (for `rollcall backup`), null on PostgreSQL. */
  readonly pglite: PGlite | null;
  /** Where the data lives: the folder or the server URL without its password. */
  readonly location: string;
  /** Embedded database in a folder: stops writes before its disk is full (storage-guard.ts). */
  readonly storage: StorageGuard | null;
  /**
   * How busy requests keep the database: on the embedded database, the share of the time since the
   * previous look (at least the last 250 ms), background work's own time left out, during which
   * statements that are not background work held its one connection. Background work that can
   * wait (re-deriving reminder schedules) takes a small share of the thread while it is high.
   * Always 0 on PostgreSQL, whose server has cores of its own.
   */
  requestLoad(): number;
  close(): Promise<void>;
}

/** The shortest span requestLoad() measures over (ms). */
const REQUEST_LOAD_SPAN_MS = 250;

/**
 * requestLoad() of the embedded database: the share of the time since the previous look that
 * requests held the connection, out of the time background work did not hold it (else background
 * work that takes most of the time would make requests look rare, and take yet more) but at least
 * half of it (else a monitoring poll beside busy background work would look like a load).
 */
function requestLoadOf(dialect: PriorityPostgresDialect): () => number {
  let at = performance.now();
  let held = dialect.heldMs();
  let load = 0;
  return () => {
    const now = performance.now();
    if (now - at >= REQUEST_LOAD_SPAN_MS) {
      const h = dialect.heldMs();
      const span = now - at;
      load = Math.min(1, (h.foreground - held.foreground) / Math.max(span / 2, span - (h.background - held.background)));
      at = now;
      held = h;
    }
    return load;
  };
}

export interface OpenOptions {
  databaseUrl?: string | undefined;
  dataDir?: string;
  poolSize?: number;
  /** A pooler in front of PostgreSQL (Default: none). */
  pooler?: PoolerMode;
  /** An already-created PGlite (tests load a migrated dump into memory). */
  pglite?: PGlite;
  /** Free space the embedded data folder keeps (Default: 64 MiB). */
  minFreeBytes?: number;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) {
      u.password = '***';
    }
    return u.toString();
  } catch {
    // A host list with ports (h1:5433,h2:5434) is not a URL WHATWG can parse.
    return redactPostgresUrl(url) ?? 'postgres';
  }
}

interface Engine {
  kind: DatabaseKind;
  profile: EngineProfile;
  pglite: PGlite | null;
  location: string;
  storage: StorageGuard | null;
}

function wrap(pool: pg.Pool, engine: Engine, onClose: () => Promise<void>): DatabaseHandle {
  const { kind, profile, pglite, location, storage } = engine;
  // The embedded database's one connection goes to the most urgent waiter (priority-dialect.ts).
  // Statements marked as prepared are sent by name (prepared-statements.ts), except through a
  // transaction pooler, where the next transaction may land on a connection that never saw them.
  const kyselyPool = preparingPool(pool, { named: profile.pooler === 'none' });
  const priority = kind === 'embedded' ? new PriorityPostgresDialect({ pool: kyselyPool }) : null;
  const db = new Kysely<Database>({ dialect: priority ?? new PostgresDialect({ pool: kyselyPool }) });
  let closing: Promise<void> | null = null;
  return {
    db,
    kind,
    profile,
    pglite,
    location,
    storage,
    requestLoad: priority ? requestLoadOf(priority) : () => 0,
    close() {
      closing ??= (async () => {
        await db.destroy();
        await onClose();
      })();
      return closing;
    },
  };
}

/**
 * A new embedded data directory is created (initdb) in a child process: PGlite's initdb grows the
 * wasm heap to about 900 MB, and a process never gives wasm memory back, so doing it here would
 * leave the server holding that for its whole life (it opens a ready directory at about 340 MB).
 * If the child cannot run, PGlite.create does the initdb in this process, as before.
 */
async function initialiseDataDir(pgdata: string): Promise<void> {
  if (fs.existsSync(path.join(pgdata, 'PG_VERSION'))) {
    return;
  }
  try {
    await execFileAsync(process.execPath, [fileURLToPath(new URL('./pglite-init.mjs', import.meta.url)), pgdata], { timeout: 120_000 });
  } catch {
    // PGlite.create below initialises the directory itself.
  }
}

/** Opens the database for the given settings. Embedded mode locks the folder first. */
export async function openDatabase(options: OpenOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ ...postgresPoolConfig(options.databaseUrl), max: options.poolSize ?? 10 });
    pool.on('error', () => {
      // An idle client lost its connection; the pool replaces it on next use.
    });
    // A client lent out (between the statements of a transaction) whose server connection ends —
    // the server restarted — emits 'error' with nobody listening, which would end the process.
    // Its next statement fails instead, and the pool discards it on release (fault test:
    // test/faults/postgres-restart).
    pool.on('connect', (client) => {
      client.on('error', () => {});
    });
    const engine = { kind: 'postgres' as const, profile: postgresProfile(options.pooler ?? 'none'), pglite: null, location: redactUrl(options.databaseUrl), storage: null };
    return wrap(pool, engine, async () => {});
  }
  if (options.pglite) {
    const pglite = options.pglite;
    const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1, connectionTimeoutMillis: 30_000 });
    return wrap(pool, { kind: 'embedded', profile: EMBEDDED_PROFILE, pglite, location: 'memory', storage: null }, async () => {
      await pglite.close();
    });
  }
  const dataDir = options.dataDir ?? './data';
  const lock: DataDirLock = lockDataDir(dataDir);
  try {
    await initialiseDataDir(`${dataDir}/pgdata`);
    const pglite = await PGlite.create(`${dataDir}/pgdata`, { startParams: EMBEDDED_START_PARAMS });
    // max 1 is mandatory: the config holds one connection object. The timeout turns a nested
    // connection request (a deadlock with max 1) into an error instead of a hang.
    const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1, connectionTimeoutMillis: 30_000 });
    const storage = createStorageGuard(dataDir, options.minFreeBytes ?? 64 * 1024 * 1024);
    return wrap(pool, { kind: 'embedded', profile: EMBEDDED_PROFILE, pglite, location: dataDir, storage }, async () => {
      try {
        await pglite.close();
      } finally {
        lock.release();
      }
    });
  } catch (err) {
    lock.release();
    throw err;
  }
}
