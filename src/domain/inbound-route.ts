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
  /** The project the message is handled in (the gateway's, else the holder's). */
  projectId: string | null;
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
    return i.projectId === i.holder.projectId && i.defaultSmsResponse ? { kind: 'act' } : { kind: 'passive', handling: 'contact' };
  }
  return { kind: 'passive', handling: 'unrecognised' };
}
