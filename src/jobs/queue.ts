/**
 * @module jobs/queue — pg-boss for coarse background work (DESIGN.md §9: broadcast expansion,
 * imports, maintenance), never one job per message. It runs over our own Kysely connection
 * (PGlite has one), so a job can be enqueued inside the transaction that writes its row.
 */
import { CompiledQuery } from 'kysely';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';

import type { JobName, JobPayloads, JobQueue } from '../services/deps.ts';
import type { Db, Trx } from '../store/database.ts';
import { runInBackground } from '../store/priority-dialect.ts';

function executorOf(db: Db | Trx): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[]) {
      const result = await db.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: result.rows as unknown[] as never[] };
    },
  };
}

export const JOB_NAMES: readonly JobName[] = ['broadcast-expand', 'import-run', 'contacts-reevaluate'];

export interface StartedQueue extends JobQueue {
  work<N extends JobName>(name: N, handler: (data: JobPayloads[N]) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/** What a statement of a stopped queue fails with (not logged: it is the queue stopping). */
class QueueStoppedError extends Error {
  constructor() {
    super('The job queue is stopped.');
    this.name = 'QueueStoppedError';
  }
}

/**
 * The queue's own statements, counted: pg-boss's graceful stop waits (up to its timeout) only for
 * workers holding a job, not for a poll (fetch) in flight, which could then reach a database that
 * was closed after stop() returned. `close` refuses new statements and waits for those running.
 * Handlers are not counted (a long import must not hold a shutdown beyond pg-boss's timeout); a job
 * fetched after `close` is not started and stays `active` until pg-boss expires and retries it
 * (imports are taken over sooner: services/imports.service.ts).
 */
function inFlightGate() {
  const running = new Set<Promise<unknown>>();
  let closed = false;
  return {
    get closed() {
      return closed;
    },
    run<T>(work: () => Promise<T>): Promise<T> {
      if (closed) {
        return Promise.reject(new QueueStoppedError());
      }
      const p = work();
      running.add(p);
      const forget = () => running.delete(p);
      p.then(forget, forget);
      return p;
    },
    async close(): Promise<void> {
      closed = true;
      while (running.size) {
        await Promise.allSettled([...running]);
      }
    },
  };
}

/** Starts pg-boss (installing or migrating its schema) and creates our queues. */
export async function startQueue(db: Db, logger: Logger, options: { supervise: boolean } = { supervise: true }): Promise<StartedQueue> {
  const gate = inFlightGate();
  const own = executorOf(db);
  const boss = new PgBoss({ db: { executeSql: (text, values) => gate.run(() => own.executeSql(text, values)) }, schema: 'pgboss', supervise: options.supervise, schedule: false, migrate: true });
  boss.on('error', (err) => {
    if (!(err instanceof QueueStoppedError)) {
      logger.error({ err }, 'job queue error');
    }
  });
  // Started and polled as background work: its maintenance and fetch statements are timers created
  // inside runInBackground, so on the embedded database requests get the connection first.
  await runInBackground(() => boss.start());
  for (const name of JOB_NAMES) {
    if (!(await boss.getQueue(name))) {
      await boss.createQueue(name, { name, retryLimit: 5, retryDelay: 5, retryBackoff: true });
    }
  }
  return {
    async enqueue(target, name, data) {
      await boss.send(name, data as object, { db: executorOf(target) });
    },
    async work(name, handler) {
      await runInBackground(() =>
        boss.work<JobPayloads[typeof name]>(name, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async (jobs) => {
          for (const job of jobs) {
            if (gate.closed) {
              throw new QueueStoppedError();
            }
            await handler(job.data);
          }
        }),
      );
    },
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
      await gate.close();
    },
  };
}
