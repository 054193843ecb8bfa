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
import { advanceBroadcast, type BroadcastRecord, failBroadcast, findBroadcast, insertBroadcast, lockBroadcast } from '../store/broadcast.store.ts';
import { findCasesByIds, listCasesForBroadcast } from '../store/case.store.ts';
import { findMobileWorkersByIds } from '../store/mobile-worker.store.ts';
import { countByStatus, insertOutboundMany } from '../store/message.store.ts';
import { findOptedOut } from '../store/opt-out.store.ts';
import { findEntriesByOwner } from '../store/phone-entry.store.ts';
import { findProjectById } from '../store/project.store.ts';
import type { Db, Trx } from '../store/database.ts';
import { type ServiceDeps, isUuid } from './deps.ts';
import { loadRouting, planMessage } from './message-plan.ts';
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
  status: 'pending' | 'expanding' | 'done' | 'failed';
  total: number;
  /** Recipients asked for by id that do not exist in the project. */
  missing: number;
  counts: { scheduled: number; queued: number; sent: number; delivered: number; failed: number };
  errorCounts: Record<string, number>;
  error: string | null;
  createdAt: string;
}

/** Recipients expanded per chunk (Default: 1000). */
export const CHUNK = 1000;

async function toView(deps: ServiceDeps, b: BroadcastRecord): Promise<BroadcastView> {
  const counts = { scheduled: 0, queued: 0, sent: 0, delivered: 0, failed: 0 };
  const errorCounts: Record<string, number> = {};
  for (const row of await countByStatus(deps.db, b.id)) {
    const key = row.status === 'sending' ? 'queued' : row.status;
    if (key in counts) {
      counts[key as keyof typeof counts] += row.n;
    }
    if (row.errorCode) {
      errorCounts[row.errorCode] = (errorCounts[row.errorCode] ?? 0) + row.n;
    }
  }
  return { id: b.id, status: b.status, total: b.total, missing: b.missing, counts, errorCounts, error: b.error, createdAt: b.createdAt.toISOString() };
}

export async function createBroadcast(deps: ServiceDeps, project: Project, createdBy: string | null, input: BroadcastInput): Promise<BroadcastView> {
  validateContent(input);
  if (input.text === undefined && input.translations === undefined) {
    throw new AppError('VALIDATION_ERROR', 'Give text or translations.', { details: { field: 'text' } });
  }
  const b = await deps.db.transaction().execute(async (trx) => {
    const created = await insertBroadcast(trx, project.id, input as unknown as Record<string, unknown>, createdBy);
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

interface Chunk {
  recipients: Recipient[];
  missing: number;
  cursor: string | null;
  done: boolean;
}

/** The next chunk of recipients after `cursor` (a case seq, or an index into an id list). */
async function nextChunk(db: Db | Trx, project: Project, req: BroadcastRecipients, cursor: string | null): Promise<Chunk> {
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
    const entries = await findEntriesByOwner(db, 'mobile-worker', workers.map((w) => w.id));
    recipients = workers.map((w) => workerRecipient(project, w, entries.filter((e) => e.ownerId === w.id)));
  }
  return { recipients, missing: slice.length - recipients.length, cursor: String(end), done: end >= ids.length };
}

/** The job: expands the broadcast chunk by chunk. Safe to run again after a crash. */
export async function expandBroadcast(deps: ServiceDeps, broadcastId: string): Promise<void> {
  const first = await findBroadcast(deps.db, null, broadcastId);
  if (!first || first.status === 'done' || first.status === 'failed') {
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
        if (!b || b.status === 'done' || b.status === 'failed') {
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
