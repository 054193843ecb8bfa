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

export const JOB_NAMES: readonly JobName[] = ['broadcast-expand', 'import-run'];

export interface StartedQueue extends JobQueue {
  work<N extends JobName>(name: N, handler: (data: JobPayloads[N]) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/** Starts pg-boss (installing or migrating its schema) and creates our queues. */
export async function startQueue(db: Db, logger: Logger, options: { supervise: boolean } = { supervise: true }): Promise<StartedQueue> {
  const boss = new PgBoss({ db: executorOf(db), schema: 'pgboss', supervise: options.supervise, schedule: false, migrate: true });
  boss.on('error', (err) => logger.error({ err }, 'job queue error'));
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
            await handler(job.data);
          }
        }),
      );
    },
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}
