/**
 * @module services/possible-opt-outs.service — replies that looked like an opt-out but were not a
 * keyword ("please stop texting me"), held for a project admin: confirm (an opt-out with method
 * `review`, exactly like a STOP, through consent.service) or dismiss (the number gets the project's
 * broadcasts and scheduled messages again). The person's own STOP or START settles them too.
 */
import type { Project } from '../domain/project.ts';
import { AppError } from '../errors.ts';
import { findPossibleOptOut, listPossibleOptOuts, lockPossibleOptOut, type PossibleOptOut, resolveOpenPossibleOptOuts } from '../store/possible-opt-out.store.ts';
import { recordOptOut } from './consent.service.ts';
import { isUuid, type ServiceDeps } from './deps.ts';
import { decodeCursor, encodeCursor, type Page } from './pagination.ts';

export interface PossibleOptOutView {
  id: string;
  number: string;
  text: string;
  messageId: string;
  contact: { type: 'case' | 'mobile-worker'; id: string; name: string | null } | null;
  status: PossibleOptOut['status'];
  createdAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
}

function toView(p: PossibleOptOut): PossibleOptOutView {
  return {
    id: p.id,
    number: p.number,
    text: p.text,
    messageId: p.messageId,
    contact: p.contactType && p.contactId ? { type: p.contactType, id: p.contactId, name: p.contactName ?? null } : null,
    status: p.status,
    createdAt: p.createdAt.toISOString(),
    decidedAt: p.decidedAt ? p.decidedAt.toISOString() : null,
    decidedBy: p.decidedBy,
  };
}

export async function listProjectPossibleOptOuts(deps: ServiceDeps, project: Project, q: { status?: PossibleOptOut['status'] | undefined; limit: number; cursor?: string | undefined }): Promise<Page<PossibleOptOutView>> {
  const rows = await listPossibleOptOuts(deps.db, project.id, { status: q.status, beforeSeq: q.cursor === undefined ? undefined : decodeCursor(q.cursor), limit: q.limit + 1 });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return { items: page.map(toView), nextCursor: rows.length > q.limit && last ? encodeCursor(last.seq) : null };
}

/**
 * Refuses an id that is not a possible opt-out of this project (404), so a member learns nothing of
 * another project's ids: the role is checked after it.
 */
export async function requirePossibleOptOut(deps: ServiceDeps, project: Project, id: string): Promise<void> {
  if (!isUuid(id) || !(await findPossibleOptOut(deps.db, project.id, id))) {
    throw new AppError('NOT_FOUND', 'No such possible opt-out in this project.');
  }
}

/** Confirms (opt-out, method `review`) or dismisses an open possible opt-out; an ended one is a CONFLICT. */
export async function decidePossibleOptOut(deps: ServiceDeps, project: Project, id: string, decision: 'confirm' | 'dismiss', userId: string): Promise<PossibleOptOutView> {
  if (!isUuid(id)) {
    throw new AppError('NOT_FOUND', 'No such possible opt-out in this project.');
  }
  const now = deps.clock();
  const decided = await deps.db.transaction().execute(async (trx) => {
    const p = await lockPossibleOptOut(trx, project.id, id);
    if (!p) {
      throw new AppError('NOT_FOUND', 'No such possible opt-out in this project.');
    }
    if (p.status !== 'open') {
      throw new AppError('CONFLICT', `This possible opt-out was already ${p.status}.`);
    }
    if (decision === 'dismiss') {
      await resolveOpenPossibleOptOuts(trx, p.number, 'dismissed', userId, now, project.id);
    } else {
      await resolveOpenPossibleOptOuts(trx, p.number, 'confirmed', userId, now, project.id);
      const contact = p.contactType && p.contactId ? { type: p.contactType, id: p.contactId } : null;
      await recordOptOut(trx, { channel: 'sms', address: p.number }, { method: 'review', source: { possibleOptOutId: p.id, messageId: p.messageId, userId }, projectId: project.id, contact, gateway: null }, now);
    }
    return (await lockPossibleOptOut(trx, project.id, id)) ?? p;
  });
  return toView(decided);
}
