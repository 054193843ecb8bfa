/**
 * @module http/control-socket — the local control socket of a server on the embedded database:
 * `DATA_DIR/rollcall.sock`, plain HTTP over a Unix socket, one request: `POST /backup` answers
 * with a backup of the database (store/embedded-backup.ts) as `application/gzip` (chunked: it is
 * compressed as it is sent), and the time the copy held the database in `x-rollcall-copy-ms`.
 *
 * While a server runs, it holds the data folder's lock, so `rollcall backup` cannot open the
 * database itself; it asks the server here instead. The socket is the owner's only (mode 0600): it
 * is bound in a private folder (mode 0700), made 0600 and only then renamed into DATA_DIR, so there
 * is no moment at which another user could connect. Whoever can reach it can read the data folder
 * anyway. A socket left by a server that died is replaced at start (the server holds the lock, so
 * it cannot be another's), and the server removes its own when it closes.
 *
 * Backups are taken one at a time. Nothing else is served.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { Logger } from 'pino';

import { AppError } from '../errors.ts';
import type { DatabaseHandle } from '../store/connection.ts';
import { dumpEmbeddedDatabase } from '../store/embedded-backup.ts';

export const CONTROL_SOCKET = 'rollcall.sock';

/** The control socket of the server on DATA_DIR. */
export function controlSocketPath(dataDir: string): string {
  return path.join(dataDir, CONTROL_SOCKET);
}

/** Private folders the socket is bound in before it is renamed into place. */
const BIND_DIR_PREFIX = '.rollcall-sock-';

/** sun_path holds 108 bytes on Linux (104 on macOS), with the final NUL. */
const MAX_SOCKET_PATH_BYTES = 103;

export interface ControlSocket {
  /** The socket's path, or null when it could not be opened (online backups are then unavailable). */
  readonly path: string | null;
  close(): Promise<void>;
}

/**
 * Opens the control socket of a server on the embedded database in `dataDir`. Never fails the
 * server: a socket that cannot be opened is logged, and `rollcall backup` then says it got no answer.
 */
export async function startControlSocket(dataDir: string, handle: DatabaseHandle, logger: Logger): Promise<ControlSocket> {
  const socketPath = controlSocketPath(dataDir);
  let queue: Promise<unknown> = Promise.resolve();
  let inFlight = 0;

  const server = http.createServer((req, res) => {
    if (req.url !== '/backup' || req.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('The control socket answers POST /backup only.\n');
      return;
    }
    inFlight++;
    // One backup at a time, sending included (each holds its archive in memory until it is sent).
    const work = queue.then(async () => {
      const started = performance.now();
      try {
        const made = await dumpEmbeddedDatabase(handle);
        // The length is not known before the compression ends: chunked, and the client checks that
        // the gzip stream and the archive in it are whole.
        res.writeHead(200, { 'content-type': 'application/gzip', 'x-rollcall-copy-ms': String(made.copyMs) });
        let bytes = 0;
        await pipeline(
          made.gzip(),
          async function* count(source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              bytes += chunk.length;
              yield chunk;
            }
          },
          res,
        );
        logger.info({ bytes, tarBytes: made.tarBytes, copyMs: made.copyMs, totalMs: Math.round(performance.now() - started) }, 'backup sent over the control socket');
      } catch (err) {
        logger.error({ err }, 'backup over the control socket failed');
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`The backup failed: ${err instanceof Error ? err.message : String(err)}\n`);
        } else {
          res.destroy();
        }
      } finally {
        inFlight--;
      }
    });
    queue = work.catch(() => {});
  });

  let bindDir: string | null = null;
  let ino = 0;
  try {
    // Folders left by a server that died between binding and renaming (the lock makes them ours).
    for (const name of fs.readdirSync(dataDir)) {
      if (name.startsWith(BIND_DIR_PREFIX)) {
        fs.rmSync(path.join(dataDir, name), { recursive: true, force: true });
      }
    }
    bindDir = fs.mkdtempSync(path.join(dataDir, BIND_DIR_PREFIX)); // mode 0700
    const bound = path.join(bindDir, 's');
    if (Buffer.byteLength(bound) > MAX_SOCKET_PATH_BYTES || Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
      throw new Error(`the path ${socketPath} is too long for a Unix socket; use a shorter DATA_DIR`);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(bound, () => {
        server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(bound, 0o600);
    fs.renameSync(bound, socketPath); // replaces a stale socket
    fs.rmdirSync(bindDir);
    bindDir = null;
    ino = fs.statSync(socketPath).ino;
  } catch (err) {
    logger.warn({ err, socket: socketPath }, 'could not open the control socket: `rollcall backup` cannot reach this server (stop it to back up)');
    server.close();
    if (bindDir) {
      fs.rmSync(bindDir, { recursive: true, force: true });
    }
    return { path: null, close: async () => {} };
  }
  server.on('error', (err) => logger.error({ err }, 'control socket error'));

  let closing: Promise<void> | null = null;
  return {
    path: socketPath,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        if (inFlight > 0) {
          logger.warn({ backups: inFlight }, 'closing the control socket with a backup in progress: it is cut off');
        }
        server.closeAllConnections();
        await closed;
        // A dump still running holds PGlite's mutex; let it end before the database is closed.
        await queue;
        try {
          if (fs.statSync(socketPath).ino === ino) {
            fs.rmSync(socketPath, { force: true });
          }
        } catch {
          // Gone already.
        }
      })();
      return closing;
    },
  };
}

export interface ReceivedBackup {
  readonly bytes: number;
  /** How long the server's copy of the files held its database (statements waited that long at most). */
  readonly copyMs: number;
}

/**
 * Asks the server on `dataDir` for a backup over its control socket and writes it to the stream
 * `open` gives (called once the server has answered, so a refusal leaves no file).
 * Throws BACKUP_SERVER_UNREACHABLE when nothing answers there, and an Error when the server refused
 * or the connection broke (a transfer cut short at a chunk boundary is caught by the caller's
 * inspectBackupFile: the gzip stream would not end).
 */
export async function requestBackup(dataDir: string, open: () => Writable): Promise<ReceivedBackup> {
  const socketPath = controlSocketPath(dataDir);
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request({ socketPath, path: '/backup', method: 'POST' }, resolve);
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTSOCK') {
        const why = err.code === 'ENOENT' ? 'there is no such socket' : 'nothing answers there';
        reject(
          new AppError(
            'BACKUP_SERVER_UNREACHABLE',
            `The Rollcall process holding ${dataDir} did not answer on ${socketPath} (${why}). A \`rollcall worker\` or a server older than this command has no control socket: stop it and run the backup again.`,
            { cause: err },
          ),
        );
      } else {
        reject(err);
      }
    });
    req.end();
  });
  if (res.statusCode !== 200) {
    let text = '';
    for await (const chunk of res) {
      text += String(chunk);
    }
    throw new Error(`the server could not make the backup (${res.statusCode}): ${text.trim().slice(0, 500)}`);
  }
  let bytes = 0;
  await pipeline(
    res,
    async function* count(source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        bytes += chunk.length;
        yield chunk;
      }
    },
    open(),
  );
  return { bytes, copyMs: Number(res.headers['x-rollcall-copy-ms'] ?? 0) };
}
