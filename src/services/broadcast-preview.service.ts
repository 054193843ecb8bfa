/**
 * @module services/broadcast-preview.service — before a broadcast is sent: how many recipients it
 * has, how many can be reached, every reason the others cannot (the code each one's message would
 * be recorded with), and how many get each language.
 *
 * The reasons follow the checks of message-plan.ts in their order — inactive, no number, invalid
 * number, opted out, consent, the text for the language, the gateway — and then the send-time hold
 * of a number with an open possible opt-out (send-time-checks.ts), so the count agrees with what
 * sending records. SMS to cases (by case type or ids) is counted set-based
 * (store/broadcast-preview.store.ts): one GROUP BY over the cases, then each group is decided here.
 * Mobile workers and email are few or rare: they go through the same planning as the send, chunk by
 * chunk (`method: 'plan'`, which the tests also use as the reference for the set-based count).
 */
import { chooseSmsGateway, type Channel } from '../domain/gateway.ts';
import { matchLanguage } from '../domain/language.ts';
import { chooseText, type MessageContent } from '../domain/message-content.ts';
import { callingCodeOf, parsePhoneNumber } from '../domain/phone-number.ts';
import type { Project } from '../domain/project.ts';
import { addressOf, needsConsent, optOutKey } from '../domain/recipient.ts';
import { type ErrorCode, errorCatalogue } from '../errors.ts';
import { previewGroups, type PreviewGroup, type PreviewOptions, type PreviewSource } from '../store/broadcast-preview.store.ts';
import { findOptedOut } from '../store/opt-out.store.ts';
import { findHeldNumbers } from '../store/possible-opt-out.store.ts';
import type { BroadcastRecipients } from './broadcasts.service.ts';
import { nextChunk } from './broadcasts.service.ts';
import { type ServiceDeps, isUuid } from './deps.ts';
import { loadRouting, planMessage, type RoutingTable } from './message-plan.ts';
import { validateContent } from './messages.service.ts';

export interface PreviewInput {
  recipients: BroadcastRecipients;
  channel?: Channel | undefined;
  text?: string | undefined;
  translations?: Record<string, string> | undefined;
  sendAt?: string | undefined;
}

export interface BroadcastPreview {
  /** Recipients the broadcast would record a message for. */
  total: number;
  /** Of them, those whose message would go out. */
  reachable: number;
  /** Ids asked for that are not a live case (or worker) of the project; no message is recorded for them. */
  missing: number;
  /** Why the others cannot be reached, most first. */
  unreachable: Array<{ code: ErrorCode; description: string; count: number }>;
  /** Reachable recipients by their language (the project default for those with none or an unknown one). */
  byLanguage: Array<{ language: string; count: number; textLanguage: string | null }>;
}

/** One group of recipients decided alike. */
interface Decided {
  n: number;
  code: ErrorCode | null;
  language: string;
}

function dedupe(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

function contentOf(input: PreviewInput): MessageContent | null {
  return input.text === undefined && input.translations === undefined ? null : { text: input.text, translations: input.translations };
}

/** The text check of message-plan (null when the preview was asked without text). */
function textCode(project: Project, content: MessageContent | null, language: string, channel: Channel): ErrorCode | null {
  if (!content) {
    return null;
  }
  const choice = chooseText(content, language, project.defaultLanguage, channel);
  return choice.ok ? null : choice.code;
}

function summarise(project: Project, decided: readonly Decided[], found: number, missing: number, content: MessageContent | null, channel: Channel): BroadcastPreview {
  const reasons = new Map<ErrorCode, number>();
  const languages = new Map<string, number>();
  let reachable = 0;
  for (const d of decided) {
    if (d.n === 0) {
      continue;
    }
    if (d.code) {
      reasons.set(d.code, (reasons.get(d.code) ?? 0) + d.n);
    } else {
      reachable += d.n;
      languages.set(d.language, (languages.get(d.language) ?? 0) + d.n);
    }
  }
  const order = (l: string) => (l === project.defaultLanguage ? -1 : project.languages.indexOf(l));
  return {
    total: found,
    reachable,
    missing,
    unreachable: [...reasons].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([code, count]) => ({ code, description: errorCatalogue[code], count })),
    byLanguage: [...languages]
      .sort((a, b) => order(a[0]) - order(b[0]) || a[0].localeCompare(b[0]))
      .map(([language, count]) => {
        const choice = content ? chooseText(content, language, project.defaultLanguage, channel) : null;
        return { language, count, textLanguage: choice?.ok ? choice.language : null };
      }),
  };
}

/**
 * Calling codes of the consent countries. Cases are grouped by the first five characters of their
 * number: +1 and the area code, which decides the country in North America; elsewhere the caller
 * checks the first and last number of each prefix and reads every number of one they disagree on.
 */
function consentCodes(consentCountries: readonly string[]): string[] {
  return [...new Set(consentCountries.flatMap((c) => callingCodeOf(c) ?? []))];
}

/** The digit prefixes some route sends (true: a `*` route; false: no route). */
function routedPrefixes(routing: RoutingTable): string[] | boolean {
  const prefixes = [...routing.projectRoutes, ...routing.globalRoutes].map((r) => r.prefix);
  if (prefixes.includes('*')) {
    return true;
  }
  const digits = [...new Set(prefixes.filter((p) => /^[0-9]{1,15}$/.test(p)))];
  return digits.length === 0 ? false : digits;
}

function numberNeedsConsent(project: Project, consentCountries: readonly string[], e164: string): boolean {
  const parsed = parsePhoneNumber(e164, { validation: project.phoneValidation });
  return needsConsent(e164, parsed.kind === 'valid' ? parsed.country : null, consentCountries);
}

async function previewCasesBySql(deps: ServiceDeps, project: Project, source: PreviewSource, input: PreviewInput, routing: RoutingTable): Promise<{ decided: Decided[]; found: number }> {
  const consentCountries = deps.messaging.consentCountries;
  const opts: PreviewOptions = { routed: routedPrefixes(routing), consentCodes: consentCodes(consentCountries) };
  let result = await previewGroups(deps.db, project.id, source, opts);
  // Consent per prefix: decided by its first and last number when the project checks numbers
  // strictly and both agree; otherwise every number of the prefix is read.
  const unsure = new Set<string>();
  for (const g of result.groups) {
    if (g.consentKey === null || g.minNumber === null || g.maxNumber === null) {
      continue;
    }
    if (project.phoneValidation !== 'strict' || numberNeedsConsent(project, consentCountries, g.minNumber) !== numberNeedsConsent(project, consentCountries, g.maxNumber)) {
      unsure.add(g.consentKey);
    }
  }
  if (unsure.size > 0) {
    result = await previewGroups(deps.db, project.id, source, opts, [...unsure]);
  }
  const content = contentOf(input);
  const channel = input.channel ?? 'sms';
  const decided = result.groups.map((g: PreviewGroup): Decided => {
    const language = (g.language === null ? null : matchLanguage(g.language, project.languages)) ?? project.defaultLanguage;
    const consentNeeded = g.consentKey !== null && g.minNumber !== null && numberNeedsConsent(project, consentCountries, g.minNumber);
    let code: ErrorCode | null = g.closed
      ? 'CONTACT_IS_INACTIVE'
      : g.noNumber
        ? g.blank
          ? 'NO_PHONE_NUMBER'
          : 'INVALID_PHONE_NUMBER'
        : g.optedOut
          ? 'PHONE_NUMBER_OPTED_OUT'
          : consentNeeded
            ? 'NO_SMS_CONSENT'
            : null;
    code ??= textCode(project, content, language, channel);
    if (!code) {
      if (g.gateway !== null) {
        // The number does not matter when the contact names its gateway.
        const choice = chooseSmsGateway('+0', g.gateway, routing.gateways, routing.projectRoutes, routing.globalRoutes);
        code = choice.ok ? null : choice.code;
      } else if (!g.routed) {
        code = 'NO_SUITABLE_GATEWAY';
      }
    }
    if (!code && g.held) {
      code = 'POSSIBLE_OPT_OUT_HELD';
    }
    return { n: g.n, code, language };
  });
  return { decided, found: result.found };
}

/** The reference: every recipient planned as the send plans it, chunk by chunk. */
async function previewByPlanning(deps: ServiceDeps, project: Project, input: PreviewInput, routing: RoutingTable): Promise<{ decided: Decided[]; found: number; missing: number }> {
  const channel = input.channel ?? 'sms';
  const content = contentOf(input);
  const decided: Decided[] = [];
  let found = 0;
  let missing = 0;
  let cursor: string | null = null;
  const now = deps.clock();
  for (;;) {
    const chunk = await nextChunk(deps.db, project, input.recipients, cursor);
    missing += chunk.missing;
    found += chunk.recipients.length;
    const addresses = chunk.recipients.flatMap((r) => {
      const a = addressOf(r, channel);
      return a ? [optOutKey(a, channel)] : [];
    });
    const optedOut = await findOptedOut(deps.db, addresses);
    const ctx = { project, routing, consentCountries: deps.messaging.consentCountries, optedOut, now, createdBy: null, broadcastId: null };
    const planned = chunk.recipients.map((r) => ({
      r,
      m: planMessage(ctx, r, { channel, content: content ?? { text: 'x' }, subject: null, sendAt: null }),
    }));
    const held =
      channel === 'sms'
        ? await findHeldNumbers(
            deps.db,
            planned.flatMap(({ m }) => (m.errorCode === null && m.to ? [{ projectId: project.id, number: m.to }] : [])),
          )
        : new Set<string>();
    for (const { r, m } of planned) {
      const code = (m.errorCode as ErrorCode | null) ?? (m.to && held.has(`${project.id}:${m.to}`) ? 'POSSIBLE_OPT_OUT_HELD' : null);
      decided.push({ n: 1, code, language: r.language });
    }
    if (chunk.done) {
      return { decided, found, missing };
    }
    cursor = chunk.cursor;
  }
}

/**
 * The preview of a broadcast before it is sent. Text is optional: without it, reasons about the
 * text (NO_MESSAGE, MESSAGE_BLANK, MESSAGE_TOO_LONG) are not counted.
 */
export async function previewBroadcast(deps: ServiceDeps, project: Project, input: PreviewInput, options: { method?: 'auto' | 'plan' } = {}): Promise<BroadcastPreview> {
  validateContent(input);
  const channel = input.channel ?? 'sms';
  const routing = await loadRouting(deps.db, project);
  const req = input.recipients;
  const content = contentOf(input);
  if (options.method !== 'plan' && channel === 'sms' && !('mobileWorkerIds' in req)) {
    if ('caseIds' in req) {
      const ids = dedupe(req.caseIds);
      const valid = ids.filter(isUuid);
      const { decided, found } = await previewCasesBySql(deps, project, { caseIds: valid }, input, routing);
      return summarise(project, decided, found, ids.length - found, content, channel);
    }
    const where = Object.fromEntries(Object.entries(req.where ?? {}).map(([k, v]) => [k, String(v)]));
    const { decided, found } = await previewCasesBySql(deps, project, { caseType: req.caseType, where }, input, routing);
    return summarise(project, decided, found, 0, content, channel);
  }
  const dedupedReq: BroadcastRecipients = 'caseType' in req ? req : 'caseIds' in req ? { caseIds: dedupe(req.caseIds) } : { mobileWorkerIds: dedupe(req.mobileWorkerIds) };
  const { decided, found, missing } = await previewByPlanning(deps, project, { ...input, recipients: dedupedReq }, routing);
  return summarise(project, decided, found, missing, content, channel);
}
