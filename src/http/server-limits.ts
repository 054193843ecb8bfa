/**
 * @module http/server-limits — how the HTTP server bounds slow and idle clients (docs/operations.md,
 * "Timeouts and connection limits"): the whole request must arrive within ROLLCALL_REQUEST_TIMEOUT_MS,
 * its headers within a minute, a silent connection is closed after ROLLCALL_CONNECTION_TIMEOUT_MS, an
 * idle keep-alive one after ROLLCALL_KEEP_ALIVE_TIMEOUT_MS, and at most ROLLCALL_MAX_CONNECTIONS are
 * open at once (more are closed on arrival, before they cost anything).
 */
import fs from 'node:fs';
import type { ServerOptions } from 'node:http';

import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

import type { Config } from '../config.ts';

/** Longest wait for a request's headers (Node's own default; never more than the request timeout). */
const HEADERS_TIMEOUT_MS = 60_000;

/** Fastify's timeout options from the settings. */
export function serverTimeouts(config: Config): {
  requestTimeout: number;
  connectionTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  const headersTimeout = Math.min(HEADERS_TIMEOUT_MS, config.requestTimeoutMs);
  return {
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.connectionTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: {
      headersTimeout,
      // Node looks for requests past their timeouts every 30 s by default: a slow client would be
      // held up to 30 s longer than the setting says. A quarter of the shortest timeout, 0.25–5 s.
      connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(headersTimeout / 4))),
    },
  };
}

/** The soft limit of open files of this process (Linux), or null when it cannot be read. */
export function openFileLimit(): number | null {
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}

/** Files the process needs besides client sockets: database, logs, uploads, outgoing HTTP and SMTP. */
export const RESERVED_FILES = 256;

/** Caps client connections and, once listening, warns when the open-file limit is below the cap. */
export function limitConnections(app: FastifyInstance, config: Config, logger: Logger): void {
  app.server.maxConnections = config.maxConnections;
  app.addHook('onListen', async () => {
    const limit = openFileLimit();
    if (limit !== null && limit < config.maxConnections + RESERVED_FILES) {
      logger.warn(
        { openFileLimit: limit, maxConnections: config.maxConnections },
        `The open-file limit (ulimit -n ${limit}) is below ROLLCALL_MAX_CONNECTIONS + ${RESERVED_FILES}: past about ${Math.max(0, limit - RESERVED_FILES)} connections new ones will fail with EMFILE. Raise the limit (LimitNOFILE= in systemd, --ulimit nofile= in Docker) or lower ROLLCALL_MAX_CONNECTIONS.`,
      );
    }
  });
}
