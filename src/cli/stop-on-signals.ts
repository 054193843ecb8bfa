/**
 * @module cli/stop-on-signals — runs a long-lived thing (server, worker) until SIGINT/SIGTERM, then
 * closes it once and exits 0 (1 if closing failed). The handlers are installed before it starts, so a
 * signal that arrives during start-up (opening the database, migrating) still ends in a clean close
 * instead of the process dying with the database half open. A second signal exits at once (1).
 */
import type { Logger } from 'pino';

interface Closable {
  close(): Promise<void>;
}

export async function runUntilSignalled(logger: Logger, what: string, start: () => Promise<Closable>): Promise<void> {
  let running: Closable | null = null;
  let stopRequested = false;
  let stopping = false;
  const stop = () => {
    if (!running || stopping) {
      return;
    }
    stopping = true;
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, `${what} shutdown failed`);
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      logger.warn({ signal }, `${what}: second signal, exiting without waiting`);
      process.exit(1);
    }
    stopRequested = true;
    logger.info({ signal }, running ? `${what} shutting down` : `${what} shutting down once started`);
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    running = await start();
  } catch (err) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    throw err;
  }
  if (stopRequested) {
    stop();
  }
}
