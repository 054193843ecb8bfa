/**
 * @module jobs/background-work — every piece of background work in one list: what it does, how
 * often it runs, and which processes run it (as graphile-worker's task list names every task).
 *
 * Two kinds:
 * - **loops** (lib/polling-loop.ts) poll the database for work: a step that handled a full batch is
 *   followed at once by the next, else the loop sleeps its interval or until woken. Several loops
 *   in one or many processes share work through SKIP LOCKED and leases, so any number of processes
 *   may run them.
 * - **jobs** (pg-boss, jobs/queue.ts) are coarse work enqueued in the transaction that asks for it
 *   (a broadcast's expansion, an import, a re-check of case numbers); any worker takes them.
 *
 * Which processes: `rollcall serve` runs everything marked `workers` unless ROLLCALL_RUN_WORKER is
 * false; `rollcall worker` always does. `every-process` work runs in every process that opens the
 * database, workers or not (only table maintenance, and only where the engine needs it).
 */
import type { Logger } from 'pino';
import { z } from 'zod';

import type { Config } from '../config.ts';
import { type PollingLoop, startPollingLoop } from '../lib/polling-loop.ts';
import { expandBroadcast } from '../services/broadcasts.service.ts';
import { REEVALUATION_LEASE_MS, reevaluateContacts, resumeStalledReevaluations } from '../services/contact-reevaluation.service.ts';
import { DASHBOARD_LOOP_MS, dashboardMaintenanceStep } from '../services/dashboard.service.ts';
import type { JobName, ServiceDeps } from '../services/deps.ts';
import { startDispatchWorker } from '../services/dispatch-worker.ts';
import { processImport, resumeStalledImports } from '../services/imports.service.ts';
import { processInbound } from '../services/inbound.service.ts';
import { MESSAGE_HISTORY_POLL_MS, maintainMessageHistory } from '../services/message-history.service.ts';
import { EMBEDDED_REMINDER_BATCHES, POSTGRES_REMINDER_BATCHES, REMINDER_POLL_MS, startReminderLoop } from '../services/reminder-loop.ts';
import { sweepSurveySessions } from '../services/survey-sessions.service.ts';
import { maintainTables } from '../services/table-maintenance.service.ts';
import type { EngineProfile } from '../store/connection.ts';
import type { Db } from '../store/database.ts';
import type { StartedQueue } from './queue.ts';

/** What a loop is started with. */
export interface LoopContext {
  config: Config;
  services: ServiceDeps;
  db: Db;
  logger: Logger;
  profile: EngineProfile;
  /** While true, steps are skipped (the embedded data folder is nearly full: store/storage-guard.ts). */
  paused?: (() => boolean) | undefined;
  /** How busy requests keep the embedded database (store/connection.ts requestLoad). */
  requestLoad?: (() => number) | undefined;
}

export type RunsIn = 'workers' | 'every-process';

export interface LoopEntry {
  name: LoopName;
  what: string;
  runsIn: RunsIn;
  /** Whether this engine needs it at all (Default: always). */
  wanted?: (profile: EngineProfile) => boolean;
  /** Its interval when idle, in ms (for the list in docs and `every` below). */
  pollMs: (config: Config) => number;
  start: (ctx: LoopContext, pollMs: number) => PollingLoop;
}

export type LoopName = 'dispatch' | 'inbound' | 'surveys' | 'imports' | 'reevaluations' | 'dashboard' | 'reminders' | 'message-history' | 'table-maintenance';

/** How often survey timeouts are looked for (they are minutes apart). */
const SURVEY_SWEEP_MS = 30_000;
const SURVEY_SWEEP_BATCH = 100;

const logged = (ctx: LoopContext, what: string) => (err: unknown) => ctx.logger.error({ err }, `${what} failed; retrying`);
const pausable = (ctx: LoopContext) => (ctx.paused ? { paused: ctx.paused } : {});

export const LOOPS: readonly LoopEntry[] = [
  {
    name: 'dispatch',
    what: 'sends due messages, one lane per gateway (services/dispatch-worker.ts); woken when a message is queued in this process',
    runsIn: 'workers',
    pollMs: (c) => c.dispatchPollMs,
    start: (ctx, pollMs) =>
      startDispatchWorker(ctx.services, {
        ...pausable(ctx),
        batchSize: ctx.config.dispatchBatch,
        leaseMs: ctx.config.dispatchLeaseMs,
        laneSize: ctx.config.dispatchLaneSize,
        pollMs,
        onError: (err) => ctx.logger.error({ err }, 'dispatch failed; retrying'),
      }),
  },
  {
    name: 'inbound',
    what: 'handles stored inbound messages: keywords, STOP/START, 123 replies, survey answers (services/inbound.service.ts); woken by webhooks in this process',
    runsIn: 'workers',
    pollMs: (c) => c.dispatchPollMs,
    start: (ctx, pollMs) => {
      // Small on PGlite, which shares this thread with HTTP; larger on PostgreSQL (EngineProfile).
      const batch = ctx.profile.inboundBatch;
      return startPollingLoop(() => processInbound(ctx.services, batch), { ...pausable(ctx), fullBatch: batch, pollMs, onError: logged(ctx, 'inbound processing') });
    },
  },
  {
    name: 'surveys',
    what: 'ends or re-asks survey sessions whose reply is overdue (services/survey-sessions.service.ts)',
    runsIn: 'workers',
    pollMs: () => SURVEY_SWEEP_MS,
    start: (ctx, pollMs) => startPollingLoop(() => sweepSurveySessions(ctx.services, SURVEY_SWEEP_BATCH), { ...pausable(ctx), fullBatch: SURVEY_SWEEP_BATCH, pollMs, onError: logged(ctx, 'survey timeouts') }),
  },
  {
    name: 'imports',
    what: 'takes over an import whose runner died (kill -9) once its lease has passed (services/imports.service.ts)',
    runsIn: 'workers',
    pollMs: (c) => Math.min(Math.ceil(c.importLeaseMs / 2), 30_000),
    start: (ctx, pollMs) =>
      startPollingLoop(() => resumeStalledImports(ctx.services, ctx.config.importLeaseMs), { ...pausable(ctx), fullBatch: Number.POSITIVE_INFINITY, pollMs, onError: logged(ctx, 'looking for stalled imports') }),
  },
  {
    name: 'reevaluations',
    what: 'the same for a re-check of case numbers after a settings change (services/contact-reevaluation.service.ts)',
    runsIn: 'workers',
    pollMs: () => REEVALUATION_LEASE_MS / 2,
    start: (ctx, pollMs) =>
      startPollingLoop(() => resumeStalledReevaluations(ctx.services, REEVALUATION_LEASE_MS), {
        ...pausable(ctx),
        fullBatch: Number.POSITIVE_INFINITY,
        pollMs,
        onError: logged(ctx, 'looking for stalled contact re-evaluations'),
      }),
  },
  {
    name: 'dashboard',
    what: "folds message count deltas and recounts large projects' contacts for the dashboard (services/dashboard.service.ts)",
    runsIn: 'workers',
    pollMs: () => DASHBOARD_LOOP_MS,
    start: (ctx, pollMs) => startPollingLoop(() => dashboardMaintenanceStep(ctx.services), { ...pausable(ctx), fullBatch: 1, pollMs, onError: logged(ctx, 'dashboard figures') }),
  },
  {
    name: 'reminders',
    what: "evaluates reminder rules for changed cases and new rules, and queues due reminders (services/reminder-loop.ts); yields to requests on PGlite",
    runsIn: 'workers',
    pollMs: () => REMINDER_POLL_MS,
    start: (ctx) => {
      // A split batch holds one connection for its cursor and one per part: never more than the pool has.
      const batches = ctx.profile.sharesThread
        ? EMBEDDED_REMINDER_BATCHES
        : { ...POSTGRES_REMINDER_BATCHES, parallel: Math.max(1, Math.min(POSTGRES_REMINDER_BATCHES.parallel, ctx.config.dbPoolSize - 1)) };
      return startReminderLoop(ctx.services, batches, { ...pausable(ctx), ...(ctx.requestLoad ? { requestLoad: ctx.requestLoad } : {}), onError: logged(ctx, 'reminder rules') });
    },
  },
  {
    name: 'message-history',
    what: 'creates the coming months\' partitions of the message history and, with ROLLCALL_MESSAGE_RETENTION_DAYS, drops the months past it (services/message-history.service.ts)',
    runsIn: 'workers',
    pollMs: () => MESSAGE_HISTORY_POLL_MS,
    start: (ctx, pollMs) =>
      startPollingLoop(
        async () => {
          const step = await maintainMessageHistory(ctx.db, ctx.services.clock(), ctx.config.messageRetentionDays);
          if (step.created.length || step.retention?.dropped.length) {
            ctx.logger.info({ created: step.created, dropped: step.retention?.dropped ?? [], inboundKeysRemoved: step.retention?.keysRemoved ?? 0 }, 'message history partitions');
          }
          for (const k of step.retention?.kept ?? []) {
            ctx.logger.warn(k, 'a month of message history is past ROLLCALL_MESSAGE_RETENTION_DAYS but is kept: it still holds messages waiting to be sent or handled');
          }
          return 0;
        },
        { ...pausable(ctx), fullBatch: Number.POSITIVE_INFINITY, pollMs, onError: logged(ctx, 'message history maintenance') },
      ),
  },
  {
    name: 'table-maintenance',
    what: "VACUUM and ANALYZE at autovacuum's thresholds, for an engine without autovacuum (PGlite; services/table-maintenance.service.ts)",
    runsIn: 'every-process',
    wanted: (p) => p.ownMaintenance,
    pollMs: (c) => c.tableMaintenanceMs,
    start: (ctx, pollMs) =>
      startPollingLoop(
        async () => {
          const step = await maintainTables(ctx.db);
          if (step.vacuumed.length || step.analyzed.length) {
            ctx.logger.debug(step, 'table maintenance');
          }
          return 0;
        },
        { fullBatch: Number.POSITIVE_INFINITY, pollMs, onError: (err) => ctx.logger.warn({ err }, 'table maintenance failed; retrying') },
      ),
  },
];

export interface RunningLoops {
  /** The running loop of that name, if this process runs it. */
  get(name: LoopName): PollingLoop | undefined;
  stop(): Promise<void>;
}

/** Starts the loops of this kind that the engine wants. */
export function startLoops(ctx: LoopContext, runsIn: RunsIn): RunningLoops {
  const running = new Map<LoopName, PollingLoop>();
  for (const entry of LOOPS) {
    if (entry.runsIn === runsIn && (entry.wanted?.(ctx.profile) ?? true)) {
      running.set(entry.name, entry.start(ctx, entry.pollMs(ctx.config)));
    }
  }
  return {
    get: (name) => running.get(name),
    async stop() {
      await Promise.all([...running.values()].map((l) => l.stop()));
    },
  };
}

const broadcastPayload = z.object({ broadcastId: z.string().uuid() });
const importPayload = z.object({ importId: z.string().uuid() });
const reevaluationPayload = z.object({ reevaluationId: z.string().uuid() });

export interface JobEntry {
  what: string;
  handle: (deps: ServiceDeps, data: unknown) => Promise<void>;
}

/**
 * The queue's jobs, one per job name (the compiler refuses a name without one); every process that
 * runs workers takes them. Handlers are thin: parse the payload, call one service.
 */
export const JOBS: Readonly<Record<JobName, JobEntry>> = {
  'broadcast-expand': {
    what: "queues a broadcast's messages in chunks, resuming from its cursor (services/broadcasts.service.ts)",
    handle: (deps, data) => expandBroadcast(deps, broadcastPayload.parse(data).broadcastId),
  },
  'import-run': { what: 'applies an uploaded spreadsheet in chunks (services/imports.service.ts)', handle: (deps, data) => processImport(deps, importPayload.parse(data).importId) },
  'contacts-reevaluate': {
    what: "re-checks a project's case numbers after its phone settings changed (services/contact-reevaluation.service.ts)",
    handle: (deps, data) => reevaluateContacts(deps, reevaluationPayload.parse(data).reevaluationId),
  },
};

/** Registers every job's handler on the queue (in-process workers). */
export async function startJobWorkers(deps: ServiceDeps, queue: StartedQueue): Promise<void> {
  for (const [name, job] of Object.entries(JOBS) as Array<[JobName, JobEntry]>) {
    await queue.work(name, (data) => job.handle(deps, data));
  }
}
