/**
 * @module services/dispatch-worker — the loop that keeps sending due messages (dispatchOnce).
 */
import type { ServiceDeps } from './deps.ts';
import { type DispatchOptions, dispatchOnce } from './dispatch.service.ts';
import { type PollingLoop, startPollingLoop } from './polling-loop.ts';

export type DispatchWorker = PollingLoop;

export interface WorkerOptions extends DispatchOptions {
  pollMs: number;
  onError?: (err: unknown) => void;
}

export function startDispatchWorker(deps: ServiceDeps, opts: WorkerOptions): DispatchWorker {
  return startPollingLoop(() => dispatchOnce(deps, opts), { fullBatch: opts.batchSize, pollMs: opts.pollMs, ...(opts.onError ? { onError: opts.onError } : {}) });
}
