/**
 * @module services/message-plan — decides, for one recipient, what an outbound message will be:
 * its text (by language), gateway (by routing), due time (by the recipient's zone), or the first
 * reason it cannot go out. Used by single sends and broadcasts alike.
 */
import { chooseEmailGateway, chooseSmsGateway, type Channel, type GatewayChoice } from '../domain/gateway.ts';
import { chooseText, type MessageContent } from '../domain/message-content.ts';
import type { Project } from '../domain/project.ts';
import { addressOf, contactProblems, optOutKey, type Recipient } from '../domain/recipient.ts';
import { resolveSendAt } from '../domain/schedule.ts';
import type { ErrorCode } from '../errors.ts';
import type { Db } from '../store/database.ts';
import type { RoutingTable, ServiceDeps } from './deps.ts';
import { listRoutes, listUsableGateways } from '../store/gateway.store.ts';
import type { NewOutboundMessage } from '../store/message.store.ts';

export type { RoutingTable };

/** Reads the routing from the database (uncached: broadcasts and verification use it once). */
export async function loadRouting(db: Db, project: Project): Promise<RoutingTable> {
  const [gateways, projectRoutes, globalRoutes] = await Promise.all([listUsableGateways(db, project.id), listRoutes(db, project.id), listRoutes(db, null)]);
  return {
    gateways: gateways.map((g) => ({ id: g.id, name: g.name, projectId: g.projectId, channel: g.channel })),
    projectRoutes,
    globalRoutes,
    defaultEmailGateway: project.settings.defaultEmailGateway,
  };
}

/** The routing for single sends, cached per project for a few seconds (changes here clear it). */
export async function cachedRouting(deps: ServiceDeps, project: Project): Promise<RoutingTable> {
  const key = `${project.id}:${project.settings.defaultEmailGateway ?? ''}`;
  let routing = deps.caches.routing.get(key);
  if (!routing) {
    routing = await loadRouting(deps.db, project);
    deps.caches.routing.set(key, routing);
  }
  return routing;
}

export function chooseGateway(routing: RoutingTable, r: Recipient, channel: Channel): GatewayChoice | null {
  if (channel === 'sms') {
    return r.phone.kind === 'valid' ? chooseSmsGateway(r.phone.e164, r.gatewayOverride, routing.gateways, routing.projectRoutes, routing.globalRoutes) : null;
  }
  return chooseEmailGateway(routing.defaultEmailGateway, routing.gateways);
}

export interface PlanContext {
  project: Project;
  routing: RoutingTable;
  consentCountries: readonly string[];
  optedOut: ReadonlySet<string>;
  now: Date;
  createdBy: string | null;
  broadcastId: string | null;
  asksConsent?: boolean;
}

export interface PlanRequest {
  channel: Channel;
  content: MessageContent;
  subject: string | null;
  /** Local wall time (in the recipient's zone) or an instant; validated by the caller. */
  sendAt: string | null;
}

/** The message row to insert for one recipient (status failed with a code when it cannot go out). */
export function planMessage(ctx: PlanContext, r: Recipient, req: PlanRequest): NewOutboundMessage {
  const to = addressOf(r, req.channel);
  const base: NewOutboundMessage = {
    projectId: ctx.project.id,
    channel: req.channel,
    status: 'failed',
    to,
    text: req.content.text ?? null,
    subject: req.subject,
    language: null,
    gatewayId: null,
    gatewayName: null,
    errorCode: null,
    errorDetail: null,
    contactType: r.contact?.type ?? null,
    contactId: r.contact?.id ?? null,
    broadcastId: ctx.broadcastId,
    dueAt: null,
    scheduledLocal: null,
    scheduledZone: null,
    createdBy: ctx.createdBy,
  };
  const fail = (code: ErrorCode): NewOutboundMessage => ({ ...base, errorCode: code });
  const optedOut = to !== null && ctx.optedOut.has(optOutKey(to, req.channel));
  const problem = contactProblems({ recipient: r, channel: req.channel, optedOut, consentCountries: ctx.consentCountries, asksConsent: ctx.asksConsent ?? false })[0];
  if (problem) {
    return fail(problem);
  }
  const text = chooseText(req.content, r.language, ctx.project.defaultLanguage, req.channel);
  if (!text.ok) {
    return fail(text.code);
  }
  const gateway = chooseGateway(ctx.routing, r, req.channel);
  const withText = { ...base, text: text.text, language: text.language };
  if (!gateway || !gateway.ok) {
    return { ...withText, errorCode: gateway?.code ?? 'NO_SUITABLE_GATEWAY' };
  }
  const gw = ctx.routing.gateways.find((g) => g.id === gateway.gatewayId);
  const schedule = req.sendAt ? resolveSendAt(req.sendAt, r.timeZone) : null;
  const dueAt = schedule ? schedule.at : ctx.now;
  return {
    ...withText,
    status: dueAt.getTime() > ctx.now.getTime() ? 'scheduled' : 'queued',
    gatewayId: gateway.gatewayId,
    gatewayName: gw?.name ?? null,
    dueAt,
    scheduledLocal: schedule?.local ?? null,
    scheduledZone: schedule ? schedule.zone : null,
  };
}
