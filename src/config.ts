/**
 * @module config — the only reader of process.env. Parsed once at boot with zod, frozen, passed in.
 */
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
}

/** Reads and validates the environment; throws naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Invalid setting ${String(issue?.path.join('.'))}: ${issue?.message}`);
  }
  const e = parsed.data;
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
  });
}

/** A config for tests and tools: defaults plus overrides, without reading process.env. */
export function makeConfig(overrides: Partial<Config> = {}): Config {
  return Object.freeze({ ...loadConfig({}), ...overrides });
}
