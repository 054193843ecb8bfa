/**
 * The steady load: `rate` actions a second (open loop, at most 40 in flight; a tick with 40 still
 * running is skipped and counted), spread over both servers, plus a broadcast every 60 s (the first
 * after 20 s, or at a third of a short run) and imports at 25 % and 60 % of the run (one import in
 * runs under 4 minutes). Resolves when the time is up and every started request has ended.
 */
import { type ActionContext, pickAction } from './actions.ts';
import type { SoakClient } from './client.ts';
import { broadcast, runImport } from './periodic.ts';
import type { SoakState } from './state.ts';

const MAX_IN_FLIGHT = 40;

export interface TrafficSummary {
  ticks: number;
  skipped: number;
  seconds: number;
}

export async function runTraffic(client: SoakClient, state: SoakState, inboundPath: string, durationS: number, rate: number, log: (line: string) => void): Promise<TrafficSummary> {
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    const q = p.catch((err: unknown) => log(`action failed: ${String(err)}`)).finally(() => pending.delete(q));
    pending.add(q);
  };
  const timers = new Set<NodeJS.Timeout>();
  const ctx: ActionContext = {
    client,
    state,
    inboundPath,
    later(ms, fn) {
      const t = setTimeout(() => {
        timers.delete(t);
        track(fn());
      }, ms);
      timers.add(t);
    },
  };
  let ticks = 0;
  let skipped = 0;
  let inFlight = 0;
  const t0 = Date.now();
  const end = t0 + durationS * 1000;
  // Paced by the clock, not by setInterval(1000 / rate): a timer fires late under load (and never
  // more often than every millisecond or so), which at 300/s delivered about 110 actions a second.
  // Each wake-up starts every action due by now.
  const tick = setInterval(() => {
    const due = Math.min(Math.floor(((Date.now() - t0) * rate) / 1000), durationS * rate);
    while (ticks < due) {
      ticks++;
      if (inFlight >= MAX_IN_FLIGHT) {
        skipped++;
        continue;
      }
      inFlight++;
      track(pickAction()(ctx).finally(() => inFlight--));
    }
  }, Math.max(2, Math.min(50, 1000 / rate)));
  const firstBroadcast = Math.min(20, durationS / 3) * 1000;
  const broadcasts: NodeJS.Timeout[] = [];
  for (let at = firstBroadcast, i = 0; at < durationS * 1000 - 5_000; at += 60_000, i++) {
    broadcasts.push(setTimeout(() => track(broadcast(client, state, i)), at));
  }
  const importAt = durationS >= 240 ? [0.25, 0.6] : [0.25];
  const importRows = durationS >= 120 ? 500 : 100;
  for (const [i, f] of importAt.entries()) {
    broadcasts.push(setTimeout(() => track(runImport(client, state, i, importRows)), durationS * 1000 * f));
  }
  const progress = setInterval(() => log(`  ${Math.round((Date.now() - t0) / 1000)} s: ${client.records.length} requests, ${pending.size} in flight, ${state.acceptedInbound.size} inbound, ${state.queued.length} sends`), 30_000);
  await new Promise((r) => setTimeout(r, Math.max(0, end - Date.now())));
  clearInterval(tick);
  clearInterval(progress);
  for (const t of broadcasts) {
    clearTimeout(t);
  }
  // Follow-ups already planned (123 replies, probes after a STOP) still run: they are part of a flow.
  while (pending.size || timers.size) {
    await Promise.race([...pending, new Promise((r) => setTimeout(r, 200))]);
  }
  return { ticks, skipped, seconds: (Date.now() - t0) / 1000 };
}
