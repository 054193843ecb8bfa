/**
 * @module store/consent.store — the append-only consent ledger (a trigger refuses updates and
 * deletes). The opt-out state itself is store/opt-out.store's.
 */
import type { Selectable } from 'kysely';

import type { ConsentAction, ConsentEventTable, ConsentMethod, Db, Trx } from './database.ts';

export interface ConsentEvent {
  id: string;
  at: Date;
  number: string | null;
  email: string | null;
  projectId: string | null;
  contactType: 'case' | 'mobile-worker' | null;
  contactId: string | null;
  action: ConsentAction;
  method: ConsentMethod;
  source: Record<string, unknown>;
  gatewayId: string | null;
  gatewayName: string | null;
}

export type NewConsentEvent = Omit<ConsentEvent, 'id' | 'at'> & { at?: Date };

function rowToEvent(row: Selectable<ConsentEventTable>): ConsentEvent {
  return {
    id: String(row.id),
    at: row.at,
    number: row.number,
    email: row.email,
    projectId: row.project_id,
    contactType: row.contact_type,
    contactId: row.contact_id,
    action: row.action,
    method: row.method,
    source: row.source,
    gatewayId: row.gateway_id,
    gatewayName: row.gateway_name,
  };
}

export async function appendConsentEvents(db: Db | Trx, events: readonly NewConsentEvent[]): Promise<void> {
  if (events.length === 0) {
    return;
  }
  await db
    .insertInto('consent_events')
    .values(
      events.map((e) => ({
        ...(e.at ? { at: e.at } : {}),
        number: e.number,
        email: e.email,
        project_id: e.projectId,
        contact_type: e.contactType,
        contact_id: e.contactId,
        action: e.action,
        method: e.method,
        source: JSON.stringify(e.source),
        gateway_id: e.gatewayId,
        gateway_name: e.gatewayName,
      })),
    )
    .execute();
}

/** A number's history, oldest first: opt-outs and opt-ins (server-wide) and this project's consent changes. */
export async function listConsentForNumber(db: Db, number: string, projectId: string): Promise<ConsentEvent[]> {
  const rows = await db
    .selectFrom('consent_events')
    .selectAll()
    .where('number', '=', number)
    .where((eb) => eb.or([eb('project_id', '=', projectId), eb('action', 'in', ['opt-in', 'opt-out'])]))
    .orderBy('id')
    .execute();
  return rows.map(rowToEvent);
}

export async function listConsentForProject(db: Db, projectId: string, afterId: string | null, limit: number): Promise<ConsentEvent[]> {
  let q = db.selectFrom('consent_events').selectAll().where('project_id', '=', projectId);
  if (afterId !== null) {
    q = q.where('id', '>', afterId);
  }
  const rows = await q.orderBy('id').limit(limit).execute();
  return rows.map(rowToEvent);
}
