/**
 * @module domain/inbound-route — what an inbound message needs, decided from what is already known
 * (its text, the sender's holder entry, the gateway's words, the opt-out state, the project's
 * default response): either an action with effects (keyword, 123, join, a default reply), or a
 * passive outcome that only records the message (logged against its contact, or unrecognised).
 * DESIGN.md §9 order: opt keywords → verification → open survey session → join → default response.
 */
import { isVerificationReply, parseJoin } from './keywords.ts';
import { classifyReply } from './reply-classifier.ts';

export interface RouteInput {
  text: string;
  optedOut: boolean;
  gatewayWords: { optIn: readonly string[]; optOut: readonly string[] };
  holder: { state: 'one-way' | 'pending' | 'two-way'; ownerType: 'case' | 'mobile-worker'; projectId: string } | null;
  /** The project the message is handled in (the holder's, else the gateway's): see handlingProject. */
  projectId: string | null;
  /** The gateway belongs to another project than the one handling the message (forwarded). */
  forwarded?: boolean;
  defaultSmsResponse: string | null;
  /** The sender has an open survey session (its messages are answers, except `join`). */
  inSurvey?: boolean;
  /** The project's languages: their opt-out words count (Default: English only). */
  languages?: readonly string[];
}

export type InboundRoute = { kind: 'act' } | { kind: 'passive'; handling: 'contact' | 'unrecognised' };

export function routeInbound(i: RouteInput): InboundRoute {
  // A keyword, or a possible opt-out to hold for review.
  if (classifyReply(i.text, { languages: i.languages ?? ['en'], extraOptOut: i.gatewayWords.optOut, extraOptIn: i.gatewayWords.optIn, optedOut: i.optedOut, inSurvey: i.inSurvey ?? false })) {
    return { kind: 'act' };
  }
  if (i.holder?.state === 'pending' && i.holder.ownerType === 'mobile-worker' && isVerificationReply(i.text)) {
    return { kind: 'act' };
  }
  if (i.inSurvey && !parseJoin(i.text)) {
    return { kind: 'act' };
  }
  if (parseJoin(i.text) && i.holder?.state !== 'two-way') {
    return { kind: 'act' };
  }
  if (i.holder?.state === 'two-way') {
    // A forwarded message gets no automatic reply: the owner's project's text would go out through another project's gateway.
    return i.projectId === i.holder.projectId && i.defaultSmsResponse && !i.forwarded ? { kind: 'act' } : { kind: 'passive', handling: 'contact' };
  }
  return { kind: 'passive', handling: 'unrecognised' };
}

/**
 * The project an inbound message belongs to: a number held (two-way or pending) by a contact is that
 * contact's project's, whichever project's gateway carried it; otherwise the gateway's project.
 * When that is not the gateway's own project, the gateway's project sees the message as forwarded.
 */
export function handlingProject(gatewayProjectId: string | null, holderProjectId: string | null): { projectId: string | null; forwarded: boolean } {
  const projectId = holderProjectId ?? gatewayProjectId;
  return { projectId, forwarded: gatewayProjectId !== null && projectId !== gatewayProjectId };
}

/** The gateway's and the project's own opt-out and opt-in words, beside the defaults. */
export function extraWords(
  gateway: { optOutKeywords: readonly string[]; optInKeywords: readonly string[] } | null | undefined,
  project: { settings: { optOutKeywords: readonly string[]; optInKeywords: readonly string[] } } | null | undefined,
): { extraOptOut: string[]; extraOptIn: string[] } {
  return {
    extraOptOut: [...(gateway?.optOutKeywords ?? []), ...(project?.settings.optOutKeywords ?? [])],
    extraOptIn: [...(gateway?.optInKeywords ?? []), ...(project?.settings.optInKeywords ?? [])],
  };
}
