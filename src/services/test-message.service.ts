/**
 * @module services/test-message.service — "Send test message" for one gateway: a real outbound
 * message (it is in the message log and goes through the dispatcher like any other), to a number or
 * address typed by an admin, with the usual checks (opt-out, US consent, blank or too long text),
 * but with the gateway forced to the one being tested instead of the routes.
 */
import { isEmailAddress } from '../domain/email.ts';
import type { Project } from '../domain/project.ts';
import { optOutKey, type Recipient } from '../domain/recipient.ts';
import { insertOutbound } from '../store/message.store.ts';
import { findOptedOut } from '../store/opt-out.store.ts';
import type { RoutingTable, ServiceDeps } from './deps.ts';
import { requireUsableGateway } from './gateways.service.ts';
import { planMessage } from './message-plan.ts';
import { type MessageView, toMessageView, validateContent } from './messages.service.ts';
import { numberRecipient } from './recipients.service.ts';

export interface TestMessageInput {
  /** A phone number for an SMS gateway, an email address for an email gateway. */
  to: string;
  text: string;
  /** Email only (Default: "Rollcall test message"). */
  subject?: string | undefined;
}

const DEFAULT_SUBJECT = 'Rollcall test message';

function addressRecipient(project: Project, raw: string): Recipient {
  const address = raw.trim();
  return {
    contact: null,
    active: true,
    phone: { kind: 'none' },
    email: address === '' ? { kind: 'none' } : isEmailAddress(address) ? { kind: 'valid', address } : { kind: 'invalid' },
    smsConsent: false,
    language: project.defaultLanguage,
    timeZone: project.timeZone,
    gatewayOverride: null,
  };
}

export async function sendTestMessage(deps: ServiceDeps, project: Project, createdBy: string | null, gatewayName: string, input: TestMessageInput): Promise<MessageView> {
  const g = await requireUsableGateway(deps, project.id, gatewayName);
  const channel = g.channel;
  validateContent({ channel, subject: input.subject });
  const recipient = channel === 'sms' ? await numberRecipient(deps.db, project, input.to) : addressRecipient(project, input.to);
  const to = channel === 'sms' ? (recipient.phone.kind === 'valid' ? recipient.phone.e164 : null) : recipient.email.kind === 'valid' ? recipient.email.address : null;
  const optedOut = to ? await findOptedOut(deps.db, [optOutKey(to, channel)]) : new Set<string>();
  // Only this gateway, reached by a catch-all route (SMS) or as the only email gateway.
  const routing: RoutingTable = {
    gateways: [{ id: g.id, name: g.name, projectId: g.projectId, channel }],
    projectRoutes: [{ prefix: '*', gatewayId: g.id }],
    globalRoutes: [],
    defaultEmailGateway: null,
  };
  const now = deps.clock();
  const planned = planMessage(
    { project, routing, consentCountries: deps.messaging.consentCountries, optedOut, now, createdBy, broadcastId: null },
    recipient,
    { channel, content: { text: input.text }, subject: channel === 'email' ? input.subject?.trim() || DEFAULT_SUBJECT : null, sendAt: null },
  );
  const saved = await insertOutbound(deps.db, planned, now);
  if (saved.status === 'queued') {
    deps.notifyDue();
  }
  return toMessageView(saved);
}
