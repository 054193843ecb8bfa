/**
 * @module lib/polling-loop — a background loop that calls `step` straight on while it reports
 * a full batch, and otherwise sleeps for the poll interval or until woken. Used by the dispatch and
 * inbound workers; several loops in one or many processes share work through SKIP LOCKED / locks.
 */

import { setImmediate as nextTurn } from 'node:timers/promises';

import { runInBackground } from '../store/priority-dialect.ts';

export interface PollingLoop {
  /** Run a step soon: after `coalesceMs` when sleeping, or at once with `now` (Default: false). */
  wake(now?: boolean): void;
  stop(): Promise<void>;
}

export interface LoopOptions {
  /** A step that handled this many items or more is followed at once by the next. */
  fullBatch: number;
  pollMs: number;
  /** After a wake-up, wait this long so that work arriving together is done in one step (Default: 20 ms). */
  coalesceMs?: number;
  onError?: (err: unknown) => void;
  /** While this answers true, steps are skipped and the loop just polls (Default: never). */
  paused?: () => boolean;
}

export function startPollingLoop(step: () => Promise<number>, opts: LoopOptions): PollingLoop {
  let stopped = false;
  let wakeUp: ((now: boolean) => void) | null = null;
  let woken = false;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken) {
        woken = false;
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        wakeUp = null;
        resolve();
      }, ms);
      wakeUp = (now) => {
        clearTimeout(timer);
        wakeUp = null;
        if (now) {
          resolve();
        } else {
          setTimeout(resolve, opts.coalesceMs ?? 20);
        }
      };
    });
  const loop = (async () => {
    while (!stopped) {
      try {
        if (opts.paused?.()) {
          await sleep(opts.pollMs);
          continue;
        }
        // Background work: on the embedded database, requests get the connection first.
        const n = await runInBackground(step);
        if (n < opts.fullBatch && !stopped) {
          await sleep(opts.pollMs);
        } else {
          // Let HTTP requests run between full batches (PGlite shares this thread).
          await nextTurn();
        }
      } catch (err) {
        opts.onError?.(err);
        if (!stopped) {
          await sleep(Math.max(1000, opts.pollMs));
        }
      }
    }
  })();
  return {
    wake(now = false) {
      if (wakeUp) {
        wakeUp(now);
      } else {
        // Woken while working: look again straight after this step.
        woken = true;
      }
    },
    async stop() {
      stopped = true;
      wakeUp?.(true);
      await loop;
    },
  };
}
