/**
 * @module cli/worker.command — `rollcall worker`: dispatch and background jobs without HTTP.
 * With the embedded database it refuses while a server holds the folder (the server already runs
 * its own workers); with PostgreSQL, run as many as the gateways' rate limits and the CPUs allow.
 */
import type { Config } from '../config.ts';
import { createLogger, startWorkerProcess } from '../main.ts';
import { runUntilSignalled } from './stop-on-signals.ts';

export async function runWorker(config: Config): Promise<void> {
  const logger = createLogger(config);
  await runUntilSignalled(logger, 'worker', () => startWorkerProcess(config, logger));
}
