/**
 * @module services/broadcasts.service — one message per recipient, each with its own checks,
 * language and time zone (09:00 in Nairobi and 09:00 in New York are different instants).
 * The request is stored and expanded by a background job in chunks; each chunk's messages and the
 * broadcast's cursor commit together, so a crash resumes where it stopped and inserts nothing twice.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

import type { Channel } from '../domain/gateway.ts';
import type { Project } from '../domain/project.ts';
import { addressOf, optOutKey, type Recipient } from '../domain/recipient.ts';
import { AppError } from '../errors.ts';
import {
  advanceBroadcast,
  type BroadcastRecord,
  type BroadcastStatus,
  broadcastProgressState,
  cancelBroadcastRows,
  countByStatusMany,
  failBroadcast,
  findBroadcast,
  insertBroadcast,
  listBroadcasts,
  lockBroadcast,
  scheduledWindow,
  userEmails,
} from '../store/broadcast.store.ts';
import { findCasesByIds, listCasesForBroadcast } from '../store/case.store.ts';
import { findMobileWorkersByIds } from '../store/mobile-worker.store.ts';
import { countByStatus, insertOutboundMany } from '../store/message.store.ts';
import { findOptedOut } from '../store/opt-out.store.ts';
import { findEntriesByOwner } from '../store/phone-entry.store.ts';
import { findProjectById } from '../store/project.store.ts';
import type { Db, Trx } from '../store/database.ts';
import { type ServiceDeps, isUuid } from './deps.ts';
import { loadRouting, planMessage } from './message-plan.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';
import { validateContent } from './messages.service.ts';
import { caseRecipient, workerRecipient } from './recipients.service.ts';

export type BroadcastRecipients = { caseType: string; where?: Record<string, string | number | boolean> | undefined } | { caseIds: string[] } | { mobileWorkerIds: string[] };

export interface BroadcastInput {
  recipients: BroadcastRecipients;
  channel?: Channel | undefined;
  text?: string | undefined;
  translations?: Record<string, string> | undefined;
  subject?: string | undefined;
  sendAt?: string | undefined;
}

export interface BroadcastView {
  id: string;
  /** `cancelled`: a user cancelled it while its messages were still scheduled (issue 24). */
  status: BroadcastStatus;
  total: number;
  /** Recipients asked for by id that do not exist in the project. */
  missing: number;
  counts: { scheduled: number; queued: number; sent: number; delivered: number; failed: number };
  errorCounts: Record<string, number>;
  error: string | null;
  createdAt: string;
  /** What was asked for (added in issue 24, for the admin UI): the channel, the local send time, the texts. */
  channel: Channel;
  sendAt: string | null;
  text: string | null;
  translations: Record<string, string> | null;
  /** How the recipients were chosen, in words-ready parts. */
  recipients: { caseType: string; where: Record<string, string> } | { caseIds: number } | { mobileWorkerIds: number };
  createdByEmail: string | null;
  cancelledAt: string | null;
  /** Still scheduled: the first and last instant a message is due (each recipient's own zone). */
  firstDueAt: string | null;
  lastDueAt: string | null;
  /** Nothing more will change: expanded (or stopped) and no message waits to be sent. */
  finished: boolean;
}

/** Recipients expanded per chunk (Default: 1000). */
export const CHUNK = 1000;

type CountRow = { status: string; errorCode: string | null; n: number };

function tally(rows: readonly CountRow[]): Pick<BroadcastView, 'counts' | 'errorCounts'> {
  const counts = { scheduled: 0, queued: 0, sent: 0, delivered: 0, failed: 0 };
  const errorCounts: Record<string, number> = {};
  for (const row of rows) {
    const key = row.status === 'sending' ? 'queued' : row.status;
    if (key in counts) {
      counts[key as keyof typeof counts] += row.n;
    }
    if (row.errorCode) {
      errorCounts[row.errorCode] = (errorCounts[row.errorCode] ?? 0) + row.n;
    }
  }
  return { counts, errorCounts };
}

function recipientsSummary(req: BroadcastRecipients | undefined): BroadcastView['recipients'] {
  if (req && 'caseIds' in req) {
    return { caseIds: req.caseIds.length };
  }
  if (req && 'mobileWorkerIds' in req) {
    return { mobileWorkerIds: req.mobileWorkerIds.length };
  }
  return { caseType: req?.caseType ?? '', where: stringValues(req?.where) };
}

function buildView(b: BroadcastRecord, rows: readonly CountRow[], emails: ReadonlyMap<string, string>, window: { first: Date | null; last: Date | null }): BroadcastView {
  const { counts, errorCounts } = tally(rows);
  const input = b.request as unknown as Partial<BroadcastInput>;
  const expanding = b.status === 'pending' || b.status === 'expanding';
  return {
    id: b.id,
    status: b.status,
    total: b.total,
    missing: b.missing,
    counts,
    errorCounts,
    error: b.error,
    createdAt: b.createdAt.toISOString(),
    channel: input.channel ?? 'sms',
    sendAt: input.sendAt ?? null,
    text: input.text ?? null,
    translations: input.translations ?? null,
    recipients: recipientsSummary(input.recipients),
    createdByEmail: b.createdBy ? (emails.get(b.createdBy) ?? null) : null,
    cancelledAt: b.cancelledAt ? b.cancelledAt.toISOString() : null,
    firstDueAt: window.first ? window.first.toISOString() : null,
    lastDueAt: window.last ? window.last.toISOString() : null,
    finished: !expanding && counts.scheduled === 0 && counts.queued === 0,
  };
}

async function toView(deps: ServiceDeps, b: BroadcastRecord): Promise<BroadcastView> {
  const [rows, emails, window] = await Promise.all([countByStatus(deps.db, b.id), userEmails(deps.db, b.createdBy ? [b.createdBy] : []), scheduledWindow(deps.db, b.id)]);
  return buildView(b, rows, emails, window);
}

/** The project's broadcasts, newest first. */
export async function listProjectBroadcasts(deps: ServiceDeps, project: Project, q: { limit: number; cursor?: string | undefined }): Promise<Page<BroadcastView>> {
  const rows = await listBroadcasts(deps.db, project.id, { beforeSeq: q.cursor === undefined ? undefined : decodeCursor(q.cursor), limit: q.limit + 1 });
  const page = rows.slice(0, q.limit);
  const ids = page.map((b) => b.id);
  const [counts, emails] = await Promise.all([countByStatusMany(deps.db, ids), userEmails(deps.db, page.flatMap((b) => (b.createdBy ? [b.createdBy] : [])))]);
  const items = page.map((b) =>
    buildView(
      b,
      counts.filter((c) => c.broadcastId === b.id),
      emails,
      { first: null, last: null },
    ),
  );
  const last = page.at(-1);
  return { items, nextCursor: rows.length > q.limit && last ? encodeCursor(last.seq) : null };
}

/**
 * Cancels a scheduled broadcast: every message still scheduled and not yet due fails with
 * BROADCAST_CANCELLED, and expansion stops. A broadcast sent at once, or one whose messages have
 * started going out (one is queued, sent, or was due already), is a CONFLICT.
 */
export async function cancelBroadcast(deps: ServiceDeps, project: Project, id: string, by: string | null): Promise<BroadcastView> {
  const b0 = isUuid(id) ? await findBroadcast(deps.db, project.id, id) : null;
  if (!b0) {
    throw new AppError('NOT_FOUND', 'No such broadcast in this project.');
  }
  await deps.db.transaction().execute(async (trx) => {
    const b = await lockBroadcast(trx, b0.id);
    if (!b) {
      throw new AppError('NOT_FOUND', 'No such broadcast in this project.');
    }
    if (b.status === 'cancelled') {
      throw new AppError('CONFLICT', 'This broadcast is already cancelled.');
    }
    if (b.status === 'failed') {
      throw new AppError('CONFLICT', 'This broadcast stopped with an error; there is nothing to cancel.');
    }
    const input = b.request as unknown as Partial<BroadcastInput>;
    if (!input.sendAt) {
      throw new AppError('CONFLICT', 'This broadcast was sent at once, not scheduled, so it cannot be cancelled.');
    }
    const now = deps.clock();
    const state = await broadcastProgressState(trx, b.id, now);
    if (state.started > 0) {
      throw new AppError('CONFLICT', `This broadcast is already sending (${state.started} of its messages are due or sent), so it can no longer be cancelled.`);
    }
    if (b.status === 'done' && state.scheduled === 0) {
      throw new AppError('CONFLICT', 'This broadcast has no scheduled messages left to cancel.');
    }
    await cancelBroadcastRows(trx, b.id, by, 'BROADCAST_CANCELLED', now);
  });
  return getBroadcast(deps, project, b0.id);
}

export async function createBroadcast(deps: ServiceDeps, project: Project, createdBy: string | null, input: BroadcastInput): Promise<BroadcastView> {
  validateContent(input);
  if (input.text === undefined && input.translations === undefined) {
    throw new AppError('VALIDATION_ERROR', 'Give text or translations.', { details: { field: 'text' } });
  }
  // Each recipient once: an id repeated in the list would otherwise get the message twice.
  const r = input.recipients;
  const request: BroadcastInput = 'caseIds' in r ? { ...input, recipients: { caseIds: [...new Set(r.caseIds)] } } : 'mobileWorkerIds' in r ? { ...input, recipients: { mobileWorkerIds: [...new Set(r.mobileWorkerIds)] } } : input;
  const b = await deps.db.transaction().execute(async (trx) => {
    const created = await insertBroadcast(trx, project.id, request as unknown as Record<string, unknown>, createdBy);
    await deps.queue.enqueue(trx, 'broadcast-expand', { broadcastId: created.id });
    return created;
  });
  return toView(deps, b);
}

export async function getBroadcast(deps: ServiceDeps, project: Project, id: string): Promise<BroadcastView> {
  const b = isUuid(id) ? await findBroadcast(deps.db, project.id, id) : null;
  if (!b) {
    throw new AppError('NOT_FOUND', 'No such broadcast in this project.');
  }
  return toView(deps, b);
}

function stringValues(where: Record<string, string | number | boolean> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(where ?? {}).map(([k, v]) => [k, String(v)]));
}

export interface Chunk {
  recipients: Recipient[];
  missing: number;
  cursor: string | null;
  done: boolean;
}

/** The next chunk of recipients after `cursor` (a case seq, or an index into an id list). */
export async function nextChunk(db: Db | Trx, project: Project, req: BroadcastRecipients, cursor: string | null): Promise<Chunk> {
  if ('caseType' in req) {
    const cases = await listCasesForBroadcast(db, project.id, { caseType: req.caseType, where: stringValues(req.where), afterSeq: cursor, limit: CHUNK });
    return { recipients: cases.map((c) => caseRecipient(project, c)), missing: 0, cursor: cases.at(-1)?.seq ?? cursor, done: cases.length < CHUNK };
  }
  const ids = 'caseIds' in req ? req.caseIds : req.mobileWorkerIds;
  const start = cursor === null ? 0 : Number(cursor);
  const slice = [...new Set(ids.slice(start, start + CHUNK))];
  const valid = slice.filter(isUuid);
  const end = start + CHUNK;
  let recipients: Recipient[];
  if ('caseIds' in req) {
    const cases = await findCasesByIds(db, project.id, valid);
    recipients = cases.map((c) => caseRecipient(project, c));
  } else {
    const workers = await findMobileWorkersByIds(db, project.id, valid);
    const entries = await findEntriesByOwner(db, project.id, 'mobile-worker', workers.map((w) => w.id));
    recipients = workers.map((w) => workerRecipient(project, w, entries.filter((e) => e.ownerId === w.id)));
  }
  return { recipients, missing: slice.length - recipients.length, cursor: String(end), done: end >= ids.length };
}

/** The job: expands the broadcast chunk by chunk. Safe to run again after a crash. */
export async function expandBroadcast(deps: ServiceDeps, broadcastId: string): Promise<void> {
  const first = await findBroadcast(deps.db, null, broadcastId);
  if (!first || first.status === 'done' || first.status === 'failed' || first.status === 'cancelled') {
    return;
  }
  const project = await findProjectById(deps.db, first.projectId);
  if (!project) {
    return;
  }
  const input = first.request as unknown as BroadcastInput;
  const channel = input.channel ?? 'sms';
  const routing = await loadRouting(deps.db, project);
  try {
    for (;;) {
      const finished = await deps.db.transaction().execute(async (trx) => {
        const b = await lockBroadcast(trx, broadcastId);
        if (!b || b.status === 'done' || b.status === 'failed' || b.status === 'cancelled') {
          return true;
        }
        const chunk = await nextChunk(trx, project, input.recipients, b.cursor);
        const addresses = chunk.recipients.flatMap((r) => {
          const a = addressOf(r, channel);
          return a ? [optOutKey(a, channel)] : [];
        });
        const optedOut = await findOptedOut(trx, addresses);
        const now = deps.clock();
        const ctx = { project, routing, consentCountries: deps.messaging.consentCountries, optedOut, now, createdBy: b.createdBy, broadcastId };
        const planned = chunk.recipients.map((r) =>
          planMessage(ctx, r, { channel, content: { text: input.text, translations: input.translations }, subject: input.subject ?? null, sendAt: input.sendAt ?? null }),
        );
        await insertOutboundMany(trx, planned, now);
        await advanceBroadcast(trx, broadcastId, { added: planned.length, missing: chunk.missing, cursor: chunk.cursor, done: chunk.done });
        return chunk.done;
      });
      deps.notifyDue();
      if (finished) {
        return;
      }
      // Let other work (HTTP on PGlite's single thread) run between chunks.
      await nextTurn();
    }
  } catch (err) {
    await failBroadcast(deps.db, broadcastId, (err as Error).message);
    throw err;
  }
}
