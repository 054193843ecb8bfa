/**
 * @module cli/stop-on-signals — SIGINT/SIGTERM close the running thing once, then exit 0 (1 if
 * closing failed).
 */
import type { Logger } from 'pino';

export function stopOnSignals(logger: Logger, what: string, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.info({ signal }, `${what} shutting down`);
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, `${what} shutdown failed`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
