/**
 * @module config — the only reader of process.env. Parsed once at boot with zod, frozen, passed in.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.string().min(1).optional(),
  ROLLCALL_ADMIN_EMAIL: z.string().email().optional(),
  ROLLCALL_ADMIN_PASSWORD: z.string().min(8).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Days a pending mobile-worker verification reserves its number (Default: 7). */
  ROLLCALL_PENDING_VERIFICATION_DAYS: z.coerce.number().positive().max(365).default(7),
  /** Countries whose numbers need recorded consent before SMS (Default: US). */
  ROLLCALL_CONSENT_COUNTRIES: z.string().default('US'),
  /** Lifetime of a UI session in hours (Default: 12). */
  ROLLCALL_SESSION_HOURS: z.coerce.number().positive().max(24 * 90).default(12),
  /** Largest accepted JSON body in bytes (Default: 256 KiB). */
  ROLLCALL_BODY_LIMIT: z.coerce.number().int().min(1024).default(256 * 1024),
  /** Connections in the PostgreSQL pool (Default: 10). Embedded mode always uses one. */
  ROLLCALL_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /**
   * What stands between Rollcall and PostgreSQL: `none`, or `transaction` for a pooler in
   * transaction mode (PgBouncer pool_mode=transaction): no named prepared statements and no session
   * state then (docs/operations.md, "Behind PgBouncer") (Default: none).
   */
  ROLLCALL_DB_POOLER: z.enum(['none', 'transaction']).default('none'),
  /** 32-byte key (hex or base64) encrypting gateway credentials (Default: generated into DATA_DIR/secret.key). */
  ROLLCALL_SECRET_KEY: z.string().min(32).optional(),
  /** Public base URL of the server, used in webhook URLs (Default: http://HOST:PORT). */
  ROLLCALL_PUBLIC_URL: z.string().url().optional(),
  /** Whether X-Forwarded-For is believed: false, true (any peer), or the proxies' IP addresses or CIDR ranges, comma-separated (Default: false). */
  ROLLCALL_TRUST_PROXY: z.string().default('false').refine(isTrustProxySetting, 'must be false, true, or a comma-separated list of IP addresses or CIDR ranges (a hop count is not accepted)'),
  /** Longest time to receive one whole request, body included, in ms (Default: 300000, 20 MiB at about 0.6 Mbit/s). */
  ROLLCALL_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(300_000),
  /** A connection with no bytes either way for this long is closed, in ms (Default: 120000). */
  ROLLCALL_CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
  /** How long an idle keep-alive connection is kept between requests, in ms (Default: 72000). */
  ROLLCALL_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(72_000),
  /** Most client connections open at once; more are closed on arrival (Default: 10000). */
  ROLLCALL_MAX_CONNECTIONS: z.coerce.number().int().min(10).default(10_000),
  /** Bearer token a Prometheus scraper may use for GET /metrics (Default: none; superusers' tokens always work). */
  ROLLCALL_METRICS_TOKEN: z.string().min(16).optional(),
  /** Port `rollcall worker` answers GET /healthz and GET /metrics on, at HOST: a number, 0 for one the OS picks (logged), or off (Default: off). */
  ROLLCALL_WORKER_STATUS_PORT: z.string().trim().toLowerCase().default('off').refine((v) => v === 'off' || (/^\d{1,5}$/.test(v) && Number(v) <= 65535), 'must be a port number (0 to 65535; 0 lets the system pick a free one) or off'),
  /** Free space the embedded data folder keeps; below it writes stop with STORAGE_FULL, in MB (Default: 64). */
  ROLLCALL_MIN_FREE_MB: z.coerce.number().int().min(0).max(1_000_000).default(64),
  /** Run dispatch workers inside the server process (Default: true). */
  ROLLCALL_RUN_WORKER: z.enum(['true', 'false']).default('true'),
  /** Send attempts before a transient gateway error becomes GATEWAY_ERROR (Default: 3). */
  ROLLCALL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  /** First retry delay in ms; doubles each attempt (Default: 30000). */
  ROLLCALL_RETRY_BASE_MS: z.coerce.number().int().min(0).default(30_000),
  /** Messages due longer ago than this are not sent (MESSAGE_IS_STALE), in hours (Default: 168). */
  ROLLCALL_STALE_HOURS: z.coerce.number().positive().default(168),
  /** Messages a worker claims at once (Default: 200). */
  ROLLCALL_DISPATCH_BATCH: z.coerce.number().int().min(1).max(5000).default(200),
  /** How long a worker's claim on a message lasts before another may take it over, in ms (Default: 60000). */
  ROLLCALL_DISPATCH_LEASE_MS: z.coerce.number().int().min(500).default(60_000),
  /** How often an idle worker looks for due messages, in ms (Default: 250). */
  ROLLCALL_DISPATCH_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  /** Parts of one gateway a worker sends at once, so calls to one vendor at once (Default: 4). */
  ROLLCALL_DISPATCH_LANE: z.coerce.number().int().min(1).max(64).default(4),
  /** How long a running import may make no progress before another process takes it over, in ms (Default: 120000). */
  ROLLCALL_IMPORT_LEASE_MS: z.coerce.number().int().min(1000).default(120_000),
  /** Largest spreadsheet accepted for an import, in bytes (Default: 20 MiB). */
  ROLLCALL_IMPORT_MAX_BYTES: z.coerce.number().int().min(1024).default(20 * 1024 * 1024),
  /** Embedded database only: how often tables are checked for VACUUM and ANALYZE, in ms (Default: 30000). */
  ROLLCALL_TABLE_MAINTENANCE_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /**
   * Message history older than this many days is removed by whole months (message texts only: the
   * consent ledger and the dashboard's counts are kept). Unset or 0: kept forever (Default).
   */
  ROLLCALL_MESSAGE_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(0)
    .max(36_500)
    .refine((d) => d === 0 || d >= 30, 'keep at least 30 days (the dashboard and the rule reports read 30 days of messages), or 0 to keep everything')
    .default(0),
  /** Let gateways reach loopback, link-local and private addresses (Default: false; for local aggregators and tests). */
  ROLLCALL_ALLOW_PRIVATE_GATEWAY_HOSTS: z.enum(['true', 'false']).default('false'),
});

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly adminEmail: string | undefined;
  readonly adminPassword: string | undefined;
  readonly logLevel: string;
  readonly pendingVerificationDays: number;
  readonly consentCountries: readonly string[];
  readonly sessionHours: number;
  readonly bodyLimit: number;
  readonly dbPoolSize: number;
  readonly dbPooler: 'none' | 'transaction';
  readonly secretKey: string | undefined;
  readonly publicUrl: string | undefined;
  readonly trustProxy: boolean | string;
  readonly requestTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  readonly metricsToken: string | undefined;
  /** The port of `rollcall worker`'s /healthz and /metrics; null when off. */
  readonly workerStatusPort: number | null;
  readonly minFreeBytes: number;
  readonly runWorker: boolean;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly staleMs: number;
  readonly dispatchBatch: number;
  readonly dispatchPollMs: number;
  readonly dispatchLeaseMs: number;
  readonly dispatchLaneSize: number;
  readonly importMaxBytes: number;
  readonly importLeaseMs: number;
  readonly tableMaintenanceMs: number;
  /** Days of message history kept; null keeps it forever. */
  readonly messageRetentionDays: number | null;
  readonly allowPrivateGatewayHosts: boolean;
}

const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** ROLLCALL_TRUST_PROXY: true, false, or addresses/CIDR ranges (or proxy-addr's loopback, linklocal, uniquelocal). */
function isTrustProxySetting(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === 'false') {
    return true;
  }
  const items = v.split(',').map((i) => i.trim());
  return items.every((item) => {
    if (TRUST_PROXY_NAMES.has(item)) {
      return true;
    }
    const [address = '', bits, ...rest] = item.split('/');
    const family = isIP(address);
    return family !== 0 && rest.length === 0 && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)));
  });
}

function trustProxyOf(value: string): boolean | string {
  const v = value.trim().toLowerCase();
  return v === 'true' ? true : v === 'false' ? false : v.split(',').map((i) => i.trim()).join(',');
}

/** Reads and validates the environment; throws naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Invalid setting ${String(issue?.path.join('.'))}: ${issue?.message}`);
  }
  const e = parsed.data;
  if (e.ROLLCALL_DB_POOLER !== 'none' && !e.DATABASE_URL) {
    throw new Error('Invalid setting ROLLCALL_DB_POOLER: a pooler stands in front of PostgreSQL; set DATABASE_URL to its address, or remove ROLLCALL_DB_POOLER for the embedded database');
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    adminEmail: e.ROLLCALL_ADMIN_EMAIL,
    adminPassword: e.ROLLCALL_ADMIN_PASSWORD,
    logLevel: e.LOG_LEVEL,
    pendingVerificationDays: e.ROLLCALL_PENDING_VERIFICATION_DAYS,
    consentCountries: Object.freeze(
      e.ROLLCALL_CONSENT_COUNTRIES.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean),
    ),
    sessionHours: e.ROLLCALL_SESSION_HOURS,
    bodyLimit: e.ROLLCALL_BODY_LIMIT,
    dbPoolSize: e.ROLLCALL_DB_POOL_SIZE,
    dbPooler: e.ROLLCALL_DB_POOLER,
    secretKey: e.ROLLCALL_SECRET_KEY,
    publicUrl: e.ROLLCALL_PUBLIC_URL?.replace(/\/+$/, ''),
    trustProxy: trustProxyOf(e.ROLLCALL_TRUST_PROXY),
    requestTimeoutMs: e.ROLLCALL_REQUEST_TIMEOUT_MS,
    connectionTimeoutMs: e.ROLLCALL_CONNECTION_TIMEOUT_MS,
    keepAliveTimeoutMs: e.ROLLCALL_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: e.ROLLCALL_MAX_CONNECTIONS,
    metricsToken: e.ROLLCALL_METRICS_TOKEN,
    workerStatusPort: e.ROLLCALL_WORKER_STATUS_PORT === 'off' ? null : Number(e.ROLLCALL_WORKER_STATUS_PORT),
    minFreeBytes: e.ROLLCALL_MIN_FREE_MB * 1024 * 1024,
    runWorker: e.ROLLCALL_RUN_WORKER === 'true',
    maxAttempts: e.ROLLCALL_MAX_ATTEMPTS,
    retryBaseMs: e.ROLLCALL_RETRY_BASE_MS,
    staleMs: e.ROLLCALL_STALE_HOURS * 3_600_000,
    dispatchBatch: e.ROLLCALL_DISPATCH_BATCH,
    dispatchPollMs: e.ROLLCALL_DISPATCH_POLL_MS,
    dispatchLeaseMs: e.ROLLCALL_DISPATCH_LEASE_MS,
    dispatchLaneSize: e.ROLLCALL_DISPATCH_LANE,
    importMaxBytes: e.ROLLCALL_IMPORT_MAX_BYTES,
    importLeaseMs: e.ROLLCALL_IMPORT_LEASE_MS,
    tableMaintenanceMs: e.ROLLCALL_TABLE_MAINTENANCE_MS,
    messageRetentionDays: e.ROLLCALL_MESSAGE_RETENTION_DAYS > 0 ? e.ROLLCALL_MESSAGE_RETENTION_DAYS : null,
    allowPrivateGatewayHosts: e.ROLLCALL_ALLOW_PRIVATE_GATEWAY_HOSTS === 'true',
  });
}

/** A config for tests and tools: defaults plus overrides, without reading process.env. */
export function makeConfig(overrides: Partial<Config> = {}): Config {
  return Object.freeze({ ...loadConfig({}), ...overrides });
}
