/**
 * @module services/dispatch-worker — the loop that keeps sending due messages, one lane per gateway.
 *
 * Each step claims a batch (claimParts) and hands each gateway's part to that gateway's lane, then
 * goes on claiming without waiting for the sends. A lane holds at most `laneSize` parts at once;
 * while it is full, claims skip that gateway's messages (they stay queued, not leased), so a vendor
 * that answers after its timeout holds up only its own messages. A part is recorded when it is done
 * (sendPart), and a lane that has room again wakes the loop at once.
 */
import type { ServiceDeps } from './deps.ts';
import { claimParts, DEFAULT_LANE_SIZE, type DispatchOptions, dispatchRotation, type GatewayPart, sendPart } from './dispatch.service.ts';
import { type PollingLoop, startPollingLoop } from '../lib/polling-loop.ts';

export type DispatchWorker = PollingLoop;

export interface WorkerOptions extends DispatchOptions {
  pollMs: number;
  /** While true, the worker does nothing (Default: never). */
  paused?: () => boolean;
  onError?: (err: unknown) => void;
}

/**
 * A claim that skips full lanes walks past their queued messages (claimDueMessages). When one found
 * nothing else due, it is not repeated for the same full lanes until a message is queued in this
 * process, a lane gets room, or this long has passed (Default: 1 s).
 */
const RECHECK_FULL_LANES_MS = 1000;

export function startDispatchWorker(deps: ServiceDeps, opts: WorkerOptions): DispatchWorker {
  const laneSize = Math.max(1, opts.laneSize ?? DEFAULT_LANE_SIZE);
  /** Parts out per gateway id (messages without a gateway under ''). */
  const lanes = new Map<string, number>();
  const running = new Set<Promise<void>>();
  let nothingElseDue: { lanes: string; at: number } | null = null;
  const rotation = dispatchRotation(deps);

  const fullLanes = () => [...lanes].flatMap(([id, n]) => (n >= laneSize && id ? [id] : [])).sort();

  const start = (part: GatewayPart) => {
    lanes.set(part.gatewayId, (lanes.get(part.gatewayId) ?? 0) + 1);
    const sending: Promise<void> = sendPart(deps, part, opts.leaseMs)
      .catch((err: unknown) => opts.onError?.(err))
      .finally(() => {
        const n = lanes.get(part.gatewayId) ?? 1;
        if (n <= 1) {
          lanes.delete(part.gatewayId);
        } else {
          lanes.set(part.gatewayId, n - 1);
        }
        running.delete(sending);
        if (n >= laneSize) {
          // The lane had been full: its gateway's queued messages may be claimed again.
          nothingElseDue = null;
          loop.wake(true);
        }
      });
    running.add(sending);
  };

  const step = async (): Promise<number> => {
    const full = fullLanes();
    const key = full.join(',');
    if (full.length && nothingElseDue?.lanes === key && Date.now() - nothingElseDue.at < RECHECK_FULL_LANES_MS) {
      return 0;
    }
    const { parts, more } = await claimParts(deps, opts, full, rotation);
    nothingElseDue = full.length && parts.length === 0 ? { lanes: key, at: Date.now() } : null;
    for (const part of parts) {
      start(part);
    }
    const claimed = parts.reduce((n, p) => n + p.messages.length, 0);
    // A round that ended short while a project may still have due messages goes on at once.
    return more && claimed > 0 ? Math.max(claimed, opts.batchSize) : claimed;
  };

  // Woken by each new message, the worker waits 100 ms so that messages created together go out
  // in one batch (one claim, one provider call, one update) instead of one by one.
  const loop = startPollingLoop(step, { fullBatch: opts.batchSize, pollMs: opts.pollMs, coalesceMs: 100, ...(opts.onError ? { onError: opts.onError } : {}), ...(opts.paused ? { paused: opts.paused } : {}) });
  return {
    wake(now) {
      nothingElseDue = null;
      rotation.invalidate();
      loop.wake(now);
    },
    /** Stops claiming, then waits for every lane's parts to be sent and recorded. */
    async stop() {
      await loop.stop();
      while (running.size > 0) {
        await Promise.allSettled(running);
      }
    },
  };
}
