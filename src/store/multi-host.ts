/**
 * @module store/multi-host — libpq's multi-host connection URLs for node-postgres, which has none:
 * `postgres://user:pw@h1:5433,h2:5434/db?target_session_attrs=read-write` (docs/operations.md,
 * "Failover"). Each new pool connection tries the hosts in order and keeps the first that accepts a
 * connection and is not read-only (a standby, or a server with default_transaction_read_only), so
 * after a standby is promoted the pool's next connections reach it without a restart. When none
 * will do, the connection fails with SQLSTATE 08001 naming every host tried (the API answers 503).
 *
 * How: pg.Pool makes its connections with `new options.Client(options)` and `client.connect(cb)`.
 * A pg.Client can be connected only once, so the hosts are tried with throwaway probe clients
 * (connect, ask `pg_is_in_recovery()` and `transaction_read_only`, end); the pool's client then
 * connects to the host chosen and checks again on its own connection, so the connection it keeps
 * is one that was read-write when it was made. Each host's URL is the original with only the host
 * list replaced, so passwords, SSL settings and every other parameter apply as before.
 */
import pg from 'pg';

/** What `target_session_attrs` asks of the server (libpq names; `primary` is treated as `read-write`). */
type SessionAttrs = 'any' | 'read-write';

/** How long one host may take to connect and answer when the URL gives no `connect_timeout` (ms). */
const DEFAULT_HOST_TIMEOUT_MS = 10_000;

interface HostTarget {
  /** `host:port` as written in the URL (no credentials): what errors name. */
  label: string;
  /** The URL with this host alone. */
  url: string;
}

interface MultiHostUrl {
  hosts: HostTarget[];
  attrs: SessionAttrs;
  /** Per host, from `connect_timeout` (seconds, as in libpq), else the default. */
  hostTimeoutMs: number;
}

const URL_SHAPE = /^(postgres(?:ql)?:\/\/)([^/?#]*)([/?#].*)?$/i;

function sessionAttrsOf(value: string | null, hostCount: number): SessionAttrs {
  if (value === null || value === '') {
    return hostCount > 1 ? 'read-write' : 'any';
  }
  const v = value.trim().toLowerCase();
  if (v === 'read-write' || v === 'primary') {
    return 'read-write';
  }
  if (v === 'any') {
    return 'any';
  }
  throw new Error(`DATABASE_URL: target_session_attrs=${value} is not supported; use read-write (or primary) or any.`);
}

/** A postgres URL's scheme, user info (before the last `@`, null without one), host list and the rest (path, query). */
function urlParts(url: string): { scheme: string; userinfo: string | null; hostList: string; rest: string } | null {
  const shape = URL_SHAPE.exec(url.trim());
  if (!shape) {
    return null;
  }
  const authority = shape[2] as string;
  const at = authority.lastIndexOf('@');
  return { scheme: shape[1] as string, userinfo: at >= 0 ? authority.slice(0, at) : null, hostList: at >= 0 ? authority.slice(at + 1) : authority, rest: shape[3] ?? '' };
}

/** Splits a libpq-style URL into one URL per host; null for a URL naming one host and asking nothing of it. */
export function parseMultiHostUrl(url: string): MultiHostUrl | null {
  const parts = urlParts(url);
  if (!parts) {
    return null;
  }
  const { scheme, rest, hostList } = parts;
  const userinfo = parts.userinfo === null ? '' : `${parts.userinfo}@`;
  const entries = hostList.split(',');
  const queryStart = rest.indexOf('?');
  const hashStart = rest.indexOf('#');
  const pathPart = queryStart >= 0 ? rest.slice(0, queryStart) : hashStart >= 0 ? rest.slice(0, hashStart) : rest;
  const query = queryStart >= 0 ? rest.slice(queryStart + 1, hashStart > queryStart ? hashStart : undefined) : '';
  const params = new URLSearchParams(query);
  const attrsParam = params.get('target_session_attrs');
  if (entries.length === 1 && attrsParam === null) {
    return null;
  }
  if (entries.some((e) => e.trim() === '')) {
    throw new Error('DATABASE_URL: an empty host in the host list (write host1:port1,host2:port2).');
  }
  const attrs = sessionAttrsOf(attrsParam, entries.length);
  // Other parameters are kept exactly as written (no re-encoding); only ours are taken out.
  const keptQuery = query
    .split('&')
    .filter((p) => p !== '' && !/^(target_session_attrs|connect_timeout)=/i.test(p))
    .join('&');
  const timeoutSeconds = Number(params.get('connect_timeout') ?? '');
  const hostTimeoutMs = Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? Math.max(2, timeoutSeconds) * 1000 : DEFAULT_HOST_TIMEOUT_MS;
  const hosts = entries.map((entry) => ({
    label: entry,
    url: `${scheme}${userinfo}${entry}${pathPart}${keptQuery ? `?${keptQuery}` : ''}`,
  }));
  return { hosts, attrs, hostTimeoutMs };
}

/** Why a connected server will not do for `attrs`, or null when it will. */
async function readOnlyReason(client: pg.Client, attrs: SessionAttrs): Promise<string | null> {
  if (attrs === 'any') {
    return null;
  }
  const r = await client.query<{ recovery: boolean; read_only: string }>("select pg_is_in_recovery() as recovery, current_setting('transaction_read_only') as read_only");
  const row = r.rows[0];
  if (row?.recovery) {
    return 'read-only: a standby in recovery';
  }
  if (row?.read_only === 'on') {
    return 'read-only: transaction_read_only is on';
  }
  return null;
}

function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

function shortReason(err: unknown): string {
  if (err instanceof Error) {
    // Node's AggregateError (every address of a name refused) has an empty message but a code.
    return err.message || String((err as { code?: unknown }).code ?? err.name);
  }
  return String(err);
}

/** The error of a connection that found no host to keep: SQLSTATE 08001, like libpq's. */
export class NoUsableHostError extends Error {
  readonly code = '08001';
  constructor(attrs: SessionAttrs, tried: readonly string[]) {
    super(`Could not connect to ${attrs === 'read-write' ? 'a read-write PostgreSQL server' : 'any PostgreSQL server'} in DATABASE_URL; tried ${tried.join('; ')}`);
    this.name = 'NoUsableHostError';
  }
}

type ConnectCallback = (err: Error | null, client?: pg.Client) => void;

/** A pg.Client class whose connect() tries the URL's hosts in order (see the module comment). */
function multiHostClientClass(target: MultiHostUrl): new (config?: pg.ClientConfig) => pg.Client {
  const { hosts, attrs, hostTimeoutMs } = target;
  const first = hosts[0] as HostTarget;

  /** Connects a throwaway client to each host in turn; returns the first that will do. */
  async function chooseHost(base: pg.ClientConfig): Promise<{ target: HostTarget; host: string; port: number }> {
    const tried: string[] = [];
    for (const host of hosts) {
      const probe = new pg.Client({ ...base, connectionString: host.url, connectionTimeoutMillis: hostTimeoutMs });
      probe.on('error', () => {});
      try {
        const reason = await withTimeout(
          (async () => {
            await probe.connect();
            return readOnlyReason(probe, attrs);
          })(),
          hostTimeoutMs,
          () => (probe.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy(),
        );
        if (reason === null) {
          return { target: host, host: probe.host, port: probe.port };
        }
        tried.push(`${host.label} (${reason})`);
      } catch (err) {
        tried.push(`${host.label} (${shortReason(err)})`);
      } finally {
        probe.end().catch(() => {});
      }
    }
    throw new NoUsableHostError(attrs, tried);
  }

  return class MultiHostClient extends pg.Client {
    readonly #base: pg.ClientConfig;

    constructor(config?: pg.ClientConfig) {
      const { Client: _ownClass, ...base } = (config ?? {}) as pg.PoolConfig;
      // Built for the first host; connect() points it at the host chosen.
      super({ ...base, connectionString: first.url });
      this.#base = base;
    }

    override connect(): Promise<void>;
    override connect(callback: (err: Error) => void): void;
    override connect(callback?: (err: Error) => void): Promise<void> | void {
      const connecting = this.#connectToChosenHost();
      if (callback) {
        // As pg's: (null, client) on success.
        const done = callback as ConnectCallback;
        connecting.then(
          () => done(null, this),
          (err: Error) => done(err),
        );
        return;
      }
      // pg's own connect() resolves with the client.
      return connecting.then(() => this as unknown as void);
    }

    async #connectToChosenHost(): Promise<void> {
      const chosen = await chooseHost(this.#base);
      // pg's connect() dials this.host and this.port; connectionParameters describe the same server.
      this.host = chosen.host;
      this.port = chosen.port;
      const own = (this as unknown as { connectionParameters: { host: string; port: number; isDomainSocket: boolean } }).connectionParameters;
      own.host = chosen.host;
      own.port = chosen.port;
      own.isDomainSocket = chosen.host.startsWith('/');
      await new Promise<void>((resolve, reject) => {
        super.connect((err) => (err ? reject(err) : resolve()));
      });
      // The host chosen was read-write a moment ago: the connection kept must be too.
      let reason: string | null;
      try {
        reason = await readOnlyReason(this, attrs);
      } catch (err) {
        await this.end().catch(() => {});
        throw err;
      }
      if (reason !== null) {
        await this.end().catch(() => {});
        throw new NoUsableHostError(attrs, [`${chosen.target.label} (${reason} by the time this connection was made)`]);
      }
    }
  };
}

/**
 * The pg.Pool settings for DATABASE_URL: `{ connectionString: url }` for a URL naming one host (as
 * before), else a Client that tries the hosts in order (libpq's `target_session_attrs`: read-write,
 * its synonym primary, or any; read-write by default with several hosts; `connect_timeout`
 * seconds per host, default 10).
 */
export function postgresPoolConfig(url: string): pg.PoolConfig {
  const target = parseMultiHostUrl(url);
  if (!target) {
    return { connectionString: url };
  }
  return { Client: multiHostClientClass(target) as unknown as pg.PoolConfig['Client'] };
}

/**
 * A multi-host URL for logs, its password replaced by `***` (WHATWG URL cannot parse a host list
 * with ports). Null when `url` is not a postgres URL.
 */
export function redactPostgresUrl(url: string): string | null {
  const parts = urlParts(url);
  if (!parts) {
    return null;
  }
  const rest = parts.rest.replace(/([?&]password=)[^&#]*/gi, '$1***');
  if (parts.userinfo === null) {
    return `${parts.scheme}${parts.hostList}${rest}`;
  }
  const colon = parts.userinfo.indexOf(':');
  const user = colon >= 0 ? `${parts.userinfo.slice(0, colon)}:***` : parts.userinfo;
  return `${parts.scheme}${user}@${parts.hostList}${rest}`;
}
