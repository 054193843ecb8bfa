/**
 * @module services/dispatch-worker — the loop that keeps sending due messages (dispatchOnce).
 */
import type { ServiceDeps } from './deps.ts';
import { type DispatchOptions, dispatchOnce } from './dispatch.service.ts';
import { type PollingLoop, startPollingLoop } from './polling-loop.ts';

export type DispatchWorker = PollingLoop;

export interface WorkerOptions extends DispatchOptions {
  pollMs: number;
  /** While true, the worker does nothing (Default: never). */
  paused?: () => boolean;
  onError?: (err: unknown) => void;
}

export function startDispatchWorker(deps: ServiceDeps, opts: WorkerOptions): DispatchWorker {
  // Woken by each new message, the worker waits 100 ms so that messages created together go out
  // in one batch (one claim, one provider call, one update) instead of one by one.
  return startPollingLoop(() => dispatchOnce(deps, opts), { fullBatch: opts.batchSize, pollMs: opts.pollMs, coalesceMs: 100, ...(opts.onError ? { onError: opts.onError } : {}), ...(opts.paused ? { paused: opts.paused } : {}) });
}
