/**
 * @module store/conversation.store — the messages exchanged with one number (in and out), oldest
 * first, for the SMS tester and a number's page; the number's arrivals not yet handled come last.
 */
import type { Db } from './database.ts';
import { arrivalMessage, listWaitingArrivals } from './inbound.store.ts';
import { type MessageRecord, rowToMessage } from './message.store.ts';

export async function listConversation(db: Db, projectId: string | null, number: string, limit: number): Promise<MessageRecord[]> {
  let q = db
    .selectFrom('messages')
    .selectAll()
    .where((eb) => eb.or([eb.and([eb('direction', '=', 'in'), eb('from_address', '=', number)]), eb.and([eb('direction', '=', 'out'), eb('to_address', '=', number)])]));
  if (projectId !== null) {
    q = q.where((eb) => eb.or([eb('project_id', '=', projectId), eb('project_id', 'is', null)]));
  }
  const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
  // Then what the number sent that is not handled yet (it enters messages once handled): the newest.
  const waiting = await listWaitingArrivals(db, projectId, number, limit);
  return [...rows.reverse().map(rowToMessage), ...waiting.map(arrivalMessage)].slice(-limit);
}
