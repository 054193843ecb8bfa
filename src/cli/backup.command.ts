/**
 * @module cli/backup.command — `rollcall backup FILE` and `rollcall restore FILE` for the embedded
 * database (store/embedded-backup.ts).
 *
 * `backup` works whether or not a server runs: with the data folder free it opens the database
 * itself; while a server holds it, it asks that server over its control socket
 * (http/control-socket.ts). The backup is written to FILE.partial and renamed to FILE only once it
 * is whole and reads back as a valid archive, so FILE is never a half backup.
 *
 * `restore` refuses while a server holds the folder, checks the file before it touches anything,
 * and moves the database it replaces aside instead of deleting it.
 *
 * Neither works with DATABASE_URL: PostgreSQL has its own tools (pg_dump, base backups).
 * Progress goes to stderr, the result to stdout; a failure is one line on stderr and exit code 1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { controlSocketPath, requestBackup } from '../http/control-socket.ts';
import { openDatabase } from '../store/connection.ts';
import { lockHolder } from '../store/data-dir-lock.ts';
import { dumpEmbeddedDatabase, hasEmbeddedDatabase, inspectBackupFile, restoreEmbeddedDatabase } from '../store/embedded-backup.ts';
import { type CommandOutput, processOutput } from './command-output.ts';


function size(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  const units = ['KB', 'MB', 'GB', 'TB'];
  let n = bytes / 1024;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${n.toFixed(n < 10 ? 1 : 0)} ${units[unit]}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function failure(command: string, err: unknown, io: CommandOutput): number {
  if (err instanceof AppError) {
    io.err(`rollcall ${command}: ${err.message} (${err.code})\n`);
  } else {
    io.err(`rollcall ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  return 1;
}

function keyNote(config: Config): string {
  return config.secretKey
    ? 'The backup does not hold the encryption key (ROLLCALL_SECRET_KEY here): keep the key too, or gateway credentials cannot be read after a restore.'
    : `The backup does not hold the encryption key (${path.join(config.dataDir, 'secret.key')}): keep a copy of it too, or gateway credentials cannot be read after a restore.`;
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Dumps the database with the data folder free: opens it (taking the lock), dumps, closes. */
async function backupDirectly(config: Config, partial: string): Promise<void> {
  const handle = await openDatabase({ dataDir: config.dataDir, minFreeBytes: config.minFreeBytes });
  try {
    const dump = await dumpEmbeddedDatabase(handle);
    await pipeline(dump.gzip(), fs.createWriteStream(partial));
  } finally {
    await handle.close();
  }
}

export async function runBackup(config: Config, file: string, io: CommandOutput = processOutput): Promise<number> {
  if (config.databaseUrl) {
    return failure('backup', new AppError('BACKUP_NEEDS_EMBEDDED', 'DATABASE_URL is set, so the data is in PostgreSQL, which `rollcall backup` does not copy: use pg_dump (`pg_dump -Fc`), or continuous archiving / your provider\'s base backups for point-in-time recovery (docs/operations.md, Backups and restore).'), io);
  }
  const target = path.resolve(file);
  const partial = `${target}.partial`;
  const started = performance.now();
  // Interrupted (Ctrl-C): no partial file is left behind.
  const interrupted = (signal: NodeJS.Signals) => {
    fs.rmSync(partial, { force: true });
    io.err(`rollcall backup: interrupted (${signal}); no backup was written.\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    if (fs.existsSync(target) && !fs.statSync(target).isFile()) {
      throw new Error(`${file} exists and is not a file`);
    }
    if (!fs.existsSync(path.dirname(target))) {
      throw new Error(`the folder ${path.dirname(target)} does not exist`);
    }
    if (!hasEmbeddedDatabase(config.dataDir)) {
      throw new Error(`there is no embedded database in ${config.dataDir} (no pgdata/PG_VERSION): nothing to back up. Is DATA_DIR right?`);
    }
    let how = '';
    let holder = lockHolder(config.dataDir);
    if (holder === null) {
      io.err(`No server is running on ${config.dataDir}: opening the database to back it up…\n`);
      try {
        await backupDirectly(config, partial);
        how = 'opened directly: no server was running';
      } catch (err) {
        // A server started in between: ask it instead.
        if (!(err instanceof AppError && err.code === 'DATA_DIR_LOCKED')) {
          throw err;
        }
        holder = lockHolder(config.dataDir);
      }
    }
    if (holder !== null) {
      io.err(`A server (pid ${holder}) is running on ${config.dataDir}: asking it for a backup over ${controlSocketPath(config.dataDir)}…\n`);
      const received = await requestBackup(config.dataDir, () => fs.createWriteStream(partial));
      how = `taken by the running server (pid ${holder}); its requests waited at most ${seconds(received.copyMs)} while the files were copied`;
    }
    fsyncFile(partial);
    const contents = await inspectBackupFile(partial);
    fs.renameSync(partial, target);
    io.out(
      `Backed up the embedded database in ${config.dataDir} to ${file}: ${size(contents.fileBytes)} ` +
        `(${size(contents.dataBytes)} of data files, PostgreSQL ${contents.pgVersion}) in ${seconds(performance.now() - started)}, ${how}.\n`,
    );
    io.out(`${keyNote(config)}\n`);
    return 0;
  } catch (err) {
    fs.rmSync(partial, { force: true });
    return failure('backup', err, io);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

export async function runRestore(config: Config, file: string, io: CommandOutput = processOutput): Promise<number> {
  if (config.databaseUrl) {
    return failure('restore', new AppError('BACKUP_NEEDS_EMBEDDED', 'DATABASE_URL is set, so the data is in PostgreSQL, which `rollcall restore` does not write: restore a pg_dump with pg_restore, or use your provider\'s point-in-time recovery (docs/operations.md, Backups and restore).'), io);
  }
  const started = performance.now();
  try {
    const holder = lockHolder(config.dataDir);
    if (holder !== null) {
      throw new AppError('DATA_DIR_LOCKED', `A Rollcall process (pid ${holder}) is using the data folder ${config.dataDir}: stop the server first, then run rollcall restore again. Nothing was changed.`);
    }
    io.err(`Checking ${file}…\n`);
    const contents = await inspectBackupFile(file);
    io.err(`Unpacking it (${size(contents.dataBytes)}, PostgreSQL ${contents.pgVersion}) beside the data in ${config.dataDir}…\n`);
    const result = await restoreEmbeddedDatabase(config.dataDir, file, contents);
    io.out(`Restored ${file} into ${result.pgdata} in ${seconds(performance.now() - started)}.\n`);
    io.out(
      result.previous
        ? `The database that was there is now in ${result.previous}; delete that folder once the restored server looks right (or rename it back to pgdata to undo).\n`
        : `${config.dataDir} had no database before.\n`,
    );
    if (!config.secretKey && !fs.existsSync(path.join(config.dataDir, 'secret.key'))) {
      io.out(
        `Note: ${config.dataDir} has no secret.key and ROLLCALL_SECRET_KEY is not set. Put the key of the server the backup came from in place ` +
          'before starting (copy its secret.key here, or set ROLLCALL_SECRET_KEY), or its gateway credentials cannot be read.\n',
      );
    }
    io.out('Start the server with `rollcall serve` (it applies any newer migrations).\n');
    return 0;
  } catch (err) {
    return failure('restore', err, io);
  }
}
