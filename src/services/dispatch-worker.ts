/**
 * @module services/dispatch-worker — the loop that keeps calling dispatchOnce: straight on while
 * batches come back full, otherwise it sleeps for the poll interval or until woken (a new message
 * in this process). Several workers, in one or many processes, share the work through SKIP LOCKED.
 */
import type { ServiceDeps } from './deps.ts';
import { type DispatchOptions, dispatchOnce } from './dispatch.service.ts';

export interface DispatchWorker {
  wake(): void;
  stop(): Promise<void>;
}

export interface WorkerOptions extends DispatchOptions {
  pollMs: number;
  onError?: (err: unknown) => void;
}

export function startDispatchWorker(deps: ServiceDeps, opts: WorkerOptions): DispatchWorker {
  let stopped = false;
  let wakeUp: (() => void) | null = null;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wakeUp = null;
        resolve();
      }, ms);
      wakeUp = () => {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      };
    });
  const loop = (async () => {
    while (!stopped) {
      try {
        const n = await dispatchOnce(deps, opts);
        if (n < opts.batchSize && !stopped) {
          await sleep(opts.pollMs);
        } else {
          // Let HTTP requests run between full batches (PGlite shares this thread).
          await new Promise<void>((resolve) => setImmediate(resolve));
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
    wake() {
      wakeUp?.();
    },
    async stop() {
      stopped = true;
      wakeUp?.();
      await loop;
    },
  };
}
