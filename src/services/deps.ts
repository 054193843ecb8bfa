/**
 * @module services/deps — what every service receives from the composition root.
 */
import type { ProviderRegistry } from '../providers/provider.ts';
import type { Db, Trx } from '../store/database.ts';
import type { GatewayRef, Route } from '../domain/gateway.ts';
import type { Project } from '../domain/project.ts';
import type { Actor } from './auth.service.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { ProcessMetrics } from '../lib/metrics.ts';
import type { SignInThrottle } from '../lib/sign-in-throttle.ts';
import { TtlCache } from '../lib/ttl-cache.ts';

export interface MessagingSettings {
  /** Send attempts before a transient error becomes GATEWAY_ERROR (Default: 3). */
  maxAttempts: number;
  /** First retry delay in ms, doubled each attempt (Default: 30000). */
  retryBaseMs: number;
  /** Messages due longer ago than this are not sent (Default: 7 days). */
  staleMs: number;
  /** Countries whose numbers need recorded consent (Default: ['US']). */
  consentCountries: readonly string[];
  /** Base of the webhook URLs shown for gateways. */
  publicUrl: string;
}

/** Coarse background work (pg-boss): job names and their payloads. */
export interface JobPayloads {
  'broadcast-expand': { broadcastId: string };
  'import-run': { importId: string };
  'contacts-reevaluate': { reevaluationId: string };
}
export type JobName = keyof JobPayloads;

export interface JobQueue {
  /** Enqueues inside the caller's transaction when given one (the job exists only if it commits). */
  enqueue<N extends JobName>(db: Db | Trx, name: N, data: JobPayloads[N]): Promise<void>;
}

export interface ServiceDeps {
  db: Db;
  /** The current time; tests may pass a fixed clock. */
  clock: () => Date;
  /** How long a pending verification reserves its number, in ms (Default: 7 days). */
  pendingTtlMs: number;
  providers: ProviderRegistry;
  secrets: SecretBox;
  messaging: MessagingSettings;
  /** Wakes in-process dispatch workers when messages become due (no-op without one). */
  notifyDue: () => void;
  /** Wakes the in-process inbound worker when messages were stored (no-op without one). */
  notifyInbound: () => void;
  queue: JobQueue;
  /** Per-instance caches of per-request look-ups (tokens, projects); see ttl-cache.ts. */
  caches: LookupCaches;
  /** Failed sign-in counts per account and address (this process). */
  signInThrottle: SignInThrottle;
  /** Counters and histograms of this process for GET /metrics. */
  metrics: ProcessMetrics;
  imports: ImportSettings;
}

export interface ImportSettings {
  /** Largest accepted spreadsheet in bytes (ROLLCALL_IMPORT_MAX_BYTES, Default: 20 MiB). */
  maxBytes: number;
  /**
   * Rows applied per transaction. Small on PGlite, where a chunk holds the one connection (and the
   * thread) that HTTP requests also need; larger on PostgreSQL.
   */
  chunkRows: number;
}

export interface LookupCaches {
  actors: TtlCache<Actor | null>;
  projects: TtlCache<Project | null>;
  /** Gateways and routes usable by a project (key: project id). */
  routing: TtlCache<RoutingTable>;
  /** API tokens whose last use this process wrote in the last minute (key: token id). */
  tokenUses: TtlCache<true>;
}

export function createLookupCaches(ttlMs = 5_000): LookupCaches {
  return { actors: new TtlCache(ttlMs), projects: new TtlCache(ttlMs), routing: new TtlCache(ttlMs), tokenUses: new TtlCache(60_000) };
}

/** For tools that never enqueue (the CLI's admin commands): refuses clearly if used. */
export const noQueue: JobQueue = {
  enqueue() {
    return Promise.reject(new Error('This command has no job queue.'));
  },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids in paths are checked before they reach a uuid column (a bad one is "not found", not a 500). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** The gateways and routes a project's messages choose from. */
export interface RoutingTable {
  gateways: GatewayRef[];
  projectRoutes: Route[];
  globalRoutes: Route[];
  defaultEmailGateway: string | null;
}
