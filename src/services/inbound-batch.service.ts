/**
 * @module services/inbound-batch.service — the common case in one transaction: messages that only
 * need recording (logged against their contact, or unrecognised) are marked handled together, with
 * one statement each to lock the senders, read the arrivals, holders, opt-outs, gateways and
 * projects, open survey sessions, and one insert into messages (and one delete of the arrivals). Messages that act (keywords, 123, join, a default
 * reply, a survey answer) are returned to be handled one by one. Order per sender is kept: only each sender's oldest message is taken,
 * under the same per-sender lock the one-by-one path uses.
 */
import { extraWords, handlingProject, routeInbound } from '../domain/inbound-route.ts';
import { findGatewaysByIds } from '../store/gateway.store.ts';
import { type ArrivalRef, findProcessableArrivals, type ForwardedNote, type HandledArrival, insertForwardedNotes, storeHandled, tryLockSenders } from '../store/inbound.store.ts';
import { findOptedOut } from '../store/opt-out.store.ts';
import { findHoldersByNumbers } from '../store/phone-entry.store.ts';
import { findProjectsByIds } from '../store/project.store.ts';
import { findNumbersInSurvey } from '../store/survey.store.ts';
import type { ServiceDeps } from './deps.ts';

export interface PassiveResult {
  done: number;
  /** Messages that need the one-by-one path. */
  act: ArrivalRef[];
}

export async function settlePassive(deps: ServiceDeps, next: readonly ArrivalRef[]): Promise<PassiveResult> {
  if (next.length === 0) {
    return { done: 0, act: [] };
  }
  const now = deps.clock();
  return deps.db.transaction().execute(async (trx) => {
    const locked = await tryLockSenders(trx, next.map((m) => m.from));
    const messages = await findProcessableArrivals(trx, next.filter((m) => locked.has(m.from)));
    const senders = messages.map((m) => m.from);
    const [gateways, holders, optedOut, inSurvey] = await Promise.all([
      findGatewaysByIds(trx, [...new Set(messages.flatMap((m) => (m.gatewayId ? [m.gatewayId] : [])))]),
      findHoldersByNumbers(trx, senders, now),
      findOptedOut(trx, senders),
      findNumbersInSurvey(trx, senders),
    ]);
    const gatewayById = new Map(gateways.map((g) => [g.id, g]));
    const projectIds = messages.flatMap((m) => {
      const g = m.gatewayId ? gatewayById.get(m.gatewayId) : undefined;
      const p = handlingProject(g?.projectId ?? null, holders.get(m.from)?.projectId ?? null).projectId;
      return p ? [p] : [];
    });
    const projects = await findProjectsByIds(trx, projectIds);
    const passive: HandledArrival[] = [];
    const notes: ForwardedNote[] = [];
    const act: PassiveResult['act'] = [];
    for (const m of messages) {
      const from = m.from;
      const g = m.gatewayId ? gatewayById.get(m.gatewayId) : undefined;
      const holder = holders.get(from) ?? null;
      const { projectId, forwarded } = handlingProject(g?.projectId ?? null, holder?.projectId ?? null);
      const project = projectId ? projects.get(projectId) : undefined;
      const words = extraWords(g, project);
      const route = routeInbound({
        text: m.text,
        optedOut: optedOut.has(from),
        gatewayWords: { optIn: words.extraOptIn, optOut: words.extraOptOut },
        holder,
        projectId,
        forwarded,
        defaultSmsResponse: project?.settings.defaultSmsResponse ?? null,
        inSurvey: inSurvey.has(from),
        languages: project?.languages ?? ['en'],
      });
      if (route.kind === 'act') {
        act.push({ from, seq: m.seq });
      } else {
        const contact = route.handling === 'contact' && holder ? holder : null;
        passive.push({ arrival: m, seq: null, handling: route.handling, projectId, contactType: contact?.ownerType ?? null, contactId: contact?.ownerId ?? null });
        if (forwarded && g) {
          notes.push({ originalId: m.id, projectId: g.projectId, gatewayId: g.id, gatewayName: g.name, from, to: m.to });
        }
      }
    }
    await storeHandled(trx, passive, now);
    await insertForwardedNotes(trx, notes, now);
    return { done: passive.length, act };
  });
}
