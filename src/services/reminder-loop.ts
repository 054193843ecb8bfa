/**
 * @module services/reminder-loop — the reminder loop's step (issue 25; docs/reminders.md): cases
 * marked since the last step are evaluated, one batch of a rule's own evaluation runs, and due
 * occurrences become messages. Each part is its own transaction; several workers share the work
 * through SKIP LOCKED. main.ts runs the step in a polling loop in every worker process; tests call
 * it directly with a controlled clock.
 */
import { setTimeout } from 'node:timers/promises';

import type { ServiceDeps } from './deps.ts';
import { type PollingLoop, startPollingLoop } from '../lib/polling-loop.ts';
import { dirtyCasesRotation, evaluateDirtyCases, evaluateRuleStep } from './reminder-evaluation.service.ts';
import { dueRemindersRotation, sendDueReminders } from './reminder-sending.service.ts';

export interface ReminderBatches {
  /** Cases of a rule's own evaluation per transaction. */
  cases: number;
  /** Cases marked by writes evaluated per transaction (small on PGlite: HTTP waits for each). */
  marked: number;
  /** Due occurrences turned into messages per transaction. */
  sends: number;
  /** A rule's evaluation batch is split into this many transactions run side by side (PostgreSQL only). */
  parallel: number;
  /**
   * While requests keep the database busy (requestLoad at or above BUSY_LOAD), the share of time
   * evaluation may take: batches a fifth the size, and after one that took t the next waits
   * t × (1 / share − 1). Sending due reminders is not held back. 1: no limit.
   */
  busyShare: number;
}

/** The request load (DatabaseHandle.requestLoad) from which evaluation holds back. */
export const BUSY_LOAD = 0.3;

/** Small on PGlite, which shares its thread with HTTP; larger on PostgreSQL. */
export const EMBEDDED_REMINDER_BATCHES: ReminderBatches = { cases: 500, marked: 250, sends: 500, parallel: 1, busyShare: 0.1 };
export const POSTGRES_REMINDER_BATCHES: ReminderBatches = { cases: 4000, marked: 1000, sends: 1000, parallel: 2, busyShare: 1 };

/** One step; returns how many cases and occurrences it handled (0: nothing to do). */
export async function runReminderStep(deps: ServiceDeps, batches: ReminderBatches = EMBEDDED_REMINDER_BATCHES): Promise<number> {
  const marked = await evaluateDirtyCases(deps, batches.marked);
  const evaluated = await evaluateRuleStep(deps, batches.cases, batches.parallel);
  const sent = await sendDueReminders(deps, batches.sends);
  return marked + evaluated + sent;
}

/** Runs steps until one finds nothing to do (tests, and `rollcall` commands that must finish the work). */
export async function runRemindersUntilIdle(deps: ServiceDeps, batches?: ReminderBatches): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await runReminderStep(deps, batches);
    if (n === 0) {
      return total;
    }
    total += n;
  }
}

/** How often the loop looks again when a step found less than a full batch (Default: 1 s). */
export const REMINDER_POLL_MS = 1000;

/**
 * The reminder loop of a worker process. A step that found less than a full batch of anything
 * sleeps a second: cases written meanwhile are evaluated together in the next step (a statement
 * per batch, not per write), and a due minute is never more than a second late.
 *
 * On the embedded database the loop shares one thread with HTTP. While requests keep it busy
 * (`requestLoad`), evaluation takes at most `busyShare` of the time and marked cases wait, durably
 * in reminder_dirty_cases; when the load drops, the backlog is evaluated at full speed. Schedules
 * are days ahead and a request is not: case writes stay within a tenth of their figure without
 * rules, and their p99 low, instead of evaluation taking a third of the thread.
 */
export function startReminderLoop(
  deps: ServiceDeps,
  batches: ReminderBatches,
  opts: { paused?: () => boolean; requestLoad?: () => number; onError: (err: unknown) => void },
): PollingLoop {
  let restUntil = 0;
  // Listings of projects with work waiting, used for one poll interval each.
  const marked = dirtyCasesRotation(REMINDER_POLL_MS);
  const due = dueRemindersRotation(deps, REMINDER_POLL_MS);
  const load = () => opts.requestLoad?.() ?? 0;
  const step = async (): Promise<number> => {
    let busy = load() >= BUSY_LOAD;
    const rest = restUntil - performance.now();
    if (busy && rest > 0) {
      await setTimeout(Math.min(rest, REMINDER_POLL_MS));
      busy = load() >= BUSY_LOAD;
    }
    const start = performance.now();
    // Under load, batches a fifth the size: the same share of time, in shorter pauses of HTTP.
    const size = (n: number) => (busy ? Math.ceil(n / 5) : n);
    const evaluated = (await evaluateDirtyCases(deps, size(batches.marked), marked)) + (await evaluateRuleStep(deps, size(batches.cases), batches.parallel));
    restUntil = performance.now() + (performance.now() - start) * (1 / batches.busyShare - 1);
    return evaluated + (await sendDueReminders(deps, batches.sends, due));
  };
  return startPollingLoop(step, {
    ...(opts.paused ? { paused: opts.paused } : {}),
    // A full batch under load counts as full: the next step follows after its rest, not a poll.
    fullBatch: Math.ceil(Math.min(batches.cases, batches.marked, batches.sends) / 5),
    pollMs: REMINDER_POLL_MS,
    onError: opts.onError,
  });
}
