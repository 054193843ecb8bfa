/**
 * @module services/reminder-loop — the reminder loop's step (issue 25; docs/reminders.md): cases
 * marked since the last step are evaluated, one batch of a rule's own evaluation runs, and due
 * occurrences become messages. Each part is its own transaction; several workers share the work
 * through SKIP LOCKED. main.ts runs the step in a polling loop in every worker process; tests call
 * it directly with a controlled clock.
 */
import type { ServiceDeps } from './deps.ts';
import { type PollingLoop, startPollingLoop } from './polling-loop.ts';
import { evaluateDirtyCases, evaluateRuleStep } from './reminder-evaluation.service.ts';
import { sendDueReminders } from './reminder-sending.service.ts';

export interface ReminderBatches {
  /** Cases of a rule's own evaluation per transaction. */
  cases: number;
  /** Cases marked by writes evaluated per transaction (small on PGlite: HTTP waits for each). */
  marked: number;
  /** Due occurrences turned into messages per transaction. */
  sends: number;
  /** A rule's evaluation batch is split into this many transactions run side by side (PostgreSQL only). */
  parallel: number;
}

/** Small on PGlite, which shares its thread with HTTP; larger on PostgreSQL. */
export const EMBEDDED_REMINDER_BATCHES: ReminderBatches = { cases: 500, marked: 250, sends: 500, parallel: 1 };
export const POSTGRES_REMINDER_BATCHES: ReminderBatches = { cases: 4000, marked: 1000, sends: 1000, parallel: 2 };

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
 */
export function startReminderLoop(deps: ServiceDeps, batches: ReminderBatches, opts: { paused?: () => boolean; onError: (err: unknown) => void }): PollingLoop {
  return startPollingLoop(() => runReminderStep(deps, batches), {
    ...(opts.paused ? { paused: opts.paused } : {}),
    fullBatch: Math.min(batches.cases, batches.marked, batches.sends),
    pollMs: REMINDER_POLL_MS,
    onError: opts.onError,
  });
}
