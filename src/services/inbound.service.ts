/**
 * @module services/inbound.service — handles each arrival (store/inbound.store) once, in arrival order per
 * sender (DESIGN.md §9): opt keywords → verification reply → open survey session (an answer;
 * `join` is never taken as one) → `join` → default response / unrecognised. Each message is handled in one transaction with its effects
 * (opt-out, ledger events, new contacts, replies), so a crash simply handles it again later.
 */
import { extraWords, handlingProject } from '../domain/inbound-route.ts';
import { heldByAnotherProject } from '../store/phone-entry.store.ts';
import { foldText, isVerificationReply, type JoinRequest, OPT_IN_WORD, OPT_OUT_WORD, parseJoin } from '../domain/keywords.ts';
import { parsePhoneNumber } from '../domain/phone-number.ts';
import type { Project } from '../domain/project.ts';
import { systemText, type SystemTextKey } from '../domain/system-texts.ts';
import type { Trx } from '../store/database.ts';
import { findGatewayById, type GatewayRecord } from '../store/gateway.store.ts';
import { type ArrivalRef, arrivalMessage, countAutoReplies, findInboundById, findNextArrivals, insertForwardedNotes, lockArrival, markKeywordKept, recordArrivalFailure, reserveMessageSeq, storeHandled } from '../store/inbound.store.ts';
import { insertOutbound, type MessageRecord } from '../store/message.store.ts';
import { findMobileWorker, findMobileWorkerByUsername, insertMobileWorker } from '../store/mobile-worker.store.ts';
import { findHolder, type PhoneEntry } from '../store/phone-entry.store.ts';
import { findProjectById, findProjectByName } from '../store/project.store.ts';
import { findCase } from '../store/case.store.ts';
import { createCaseInTransaction } from './cases.service.ts';
import type { ServiceDeps } from './deps.ts';
import { settlePassive } from './inbound-batch.service.ts';
import { USERNAME } from './mobile-workers.service.ts';
import { answerSurvey, startWelcomeSurvey } from './survey-sessions.service.ts';
import { type ConsentOrigin, recordConsent, recordOptIn, recordOptOut } from './consent.service.ts';
import { isOptedOut } from '../store/opt-out.store.ts';
import { insertPossibleOptOut } from '../store/possible-opt-out.store.ts';
import { findNumbersInSurvey } from '../store/survey.store.ts';
import { classifyReply } from '../domain/reply-classifier.ts';
import { addWorkerNumber, verifyWorkerNumber } from './phone-registry.service.ts';

/** Automatic replies to one number in LOOP_WINDOW_MS before replies stop (Default: 5 in 30 min). */
export const LOOP_LIMIT = 5;
export const LOOP_WINDOW_MS = 30 * 60_000;
const RESERVED_USERNAMES = new Set(['admin', 'administrator', 'root', 'system', 'demo_user', 'support']);

interface Context {
  deps: ServiceDeps;
  trx: Trx;
  message: MessageRecord;
  gateway: GatewayRecord | null;
  from: string;
  now: Date;
  holder: PhoneEntry | null;
  project: Project | null;
  replies: number;
  /** The gateway is another project's (the number's owner decides the project). */
  forwarded: boolean;
}

interface Outcome {
  handling: string;
  project: Project | null;
  contact: { type: 'case' | 'mobile-worker'; id: string } | null;
}

/** Numbers a reply may go to: a real phone number, not a short code or an alphanumeric sender. */
function canReplyTo(from: string): boolean {
  const parsed = parsePhoneNumber(from, { validation: 'possible' });
  return parsed.kind === 'valid' && parsed.e164.length > 8;
}

async function contactLanguage(ctx: Context): Promise<string | null> {
  const h = ctx.holder;
  if (!h || !ctx.project || h.projectId !== ctx.project.id) {
    return ctx.project?.defaultLanguage ?? null;
  }
  if (h.ownerType === 'mobile-worker') {
    return (await findMobileWorker(ctx.trx, h.projectId, h.ownerId))?.language ?? ctx.project.defaultLanguage;
  }
  const c = await findCase(ctx.trx, h.projectId, h.ownerId);
  const raw = c?.properties.language_code?.trim().toLowerCase();
  return ctx.project.languages.find((l) => l.toLowerCase() === raw) ?? ctx.project.defaultLanguage;
}

/**
 * Queues a reply through the gateway the message came in on, unless the loop guard says no.
 * `bypassOptOut` only for the confirmation of an opt-out.
 */
async function reply(ctx: Context, key: SystemTextKey, values: Record<string, string>, opts: { bypassOptOut?: boolean; text?: string; project?: Project | null; language?: string | null } = {}): Promise<boolean> {
  if (!ctx.gateway || !canReplyTo(ctx.from)) {
    return false;
  }
  if ((await countAutoReplies(ctx.trx, ctx.from, new Date(ctx.now.getTime() - LOOP_WINDOW_MS))) + ctx.replies >= LOOP_LIMIT) {
    return false;
  }
  const project = opts.project === undefined ? ctx.project : opts.project;
  const language = opts.language === undefined ? await contactLanguage(ctx) : opts.language;
  const text = opts.text ?? systemText(key, language, project?.settings.systemTexts, { project: project?.name ?? 'this service', ...values });
  await insertOutbound(
    ctx.trx,
    {
      projectId: project?.id ?? ctx.gateway.projectId,
      channel: 'sms',
      status: 'queued',
      to: ctx.from,
      text,
      subject: null,
      language,
      gatewayId: ctx.gateway.id,
      gatewayName: ctx.gateway.name,
      errorCode: null,
      errorDetail: null,
      contactType: ctx.holder?.ownerType ?? null,
      contactId: ctx.holder?.ownerId ?? null,
      broadcastId: null,
      dueAt: ctx.now,
      scheduledLocal: null,
      scheduledZone: null,
      createdBy: null,
      bypassOptOut: opts.bypassOptOut ?? false,
      inReplyTo: ctx.message.id,
    },
    ctx.now,
  );
  ctx.replies += 1;
  return true;
}

function gatewayRef(ctx: Context): { id: string; name: string } | null {
  return ctx.gateway ? { id: ctx.gateway.id, name: ctx.gateway.name } : null;
}

/** Where a keyword's consent change came from: this message, from this holder, on this gateway. */
function keywordOrigin(ctx: Context): ConsentOrigin {
  return {
    method: 'keyword',
    source: { messageId: ctx.message.id, text: foldText(ctx.message.text ?? '') },
    projectId: ctx.project?.id ?? null,
    contact: holderContact(ctx),
    gateway: gatewayRef(ctx),
  };
}

function holderContact(ctx: Context): Outcome['contact'] {
  return ctx.holder ? { type: ctx.holder.ownerType, id: ctx.holder.ownerId } : null;
}

async function handleKeyword(ctx: Context, meaning: 'opt-out' | 'opt-in' | 'help'): Promise<Outcome> {
  if (meaning === 'help') {
    const help = ctx.project?.settings.helpText ?? null;
    await reply(ctx, 'help', {}, help ? { text: help } : {});
    return { handling: 'help', project: ctx.project, contact: holderContact(ctx) };
  }
  const optOut = meaning === 'opt-out';
  const address = { channel: 'sms' as const, address: ctx.from };
  await (optOut ? recordOptOut : recordOptIn)(ctx.trx, address, keywordOrigin(ctx), ctx.now);
  if (optOut) {
    await reply(ctx, 'optedOut', { word: OPT_IN_WORD }, { bypassOptOut: true });
  } else {
    await reply(ctx, 'optedIn', { word: OPT_OUT_WORD });
  }
  return { handling: meaning, project: ctx.project, contact: holderContact(ctx) };
}

/**
 * A reply that looks like an opt-out but is not a keyword: held for an admin of the project to
 * confirm or dismiss (Possible opt-outs); meanwhile the number gets no broadcasts or scheduled
 * messages from the project (send-time-checks.ts). Nothing is replied.
 */
async function holdPossibleOptOut(ctx: Context): Promise<Outcome> {
  if (ctx.project) {
    const contact = ctx.holder && ctx.holder.projectId === ctx.project.id ? holderContact(ctx) : null;
    await insertPossibleOptOut(ctx.trx, { projectId: ctx.project.id, number: ctx.from, messageId: ctx.message.id, text: (ctx.message.text ?? '').slice(0, 1000), contactType: contact?.type ?? null, contactId: contact?.id ?? null }, ctx.now);
  }
  return { handling: 'possible-opt-out', project: ctx.project, contact: ctx.holder && ctx.holder.projectId === ctx.project?.id ? holderContact(ctx) : null };
}

async function handleVerification(ctx: Context, entry: PhoneEntry): Promise<Outcome | null> {
  if (!isVerificationReply(ctx.message.text ?? '')) {
    return null;
  }
  const opts = { pendingTtlMs: ctx.deps.pendingTtlMs, now: ctx.now };
  if (!(await verifyWorkerNumber(ctx.trx, { projectId: entry.projectId, workerId: entry.ownerId, number: ctx.from }, opts))) {
    return null;
  }
  const project = await findProjectById(ctx.trx, entry.projectId);
  ctx.holder = { ...entry, state: 'two-way' };
  ctx.project = project;
  await recordConsent(ctx.trx, ctx.deps, ctx.from, true, { method: 'verification', source: { messageId: ctx.message.id }, projectId: entry.projectId, contact: { type: 'mobile-worker', id: entry.ownerId }, gateway: gatewayRef(ctx) }, ctx.now);
  await reply(ctx, 'verified', {});
  return { handling: 'verified', project, contact: { type: 'mobile-worker', id: entry.ownerId } };
}

async function registerCase(ctx: Context, project: Project): Promise<Outcome> {
  const reg = project.settings.selfRegistration;
  const view = await createCaseInTransaction(
    ctx.trx,
    ctx.deps,
    project,
    {
      caseType: reg.caseType ?? 'contact',
      name: ctx.from,
      ownerId: reg.caseOwnerId,
      properties: { contact_phone_number: ctx.from, contact_phone_number_is_verified: '1' },
    },
    { method: 'self-registration', source: { messageId: ctx.message.id, submitterId: reg.submitterId } },
  );
  ctx.project = project;
  if (reg.welcomeMessageTo === 'cases' || reg.welcomeMessageTo === 'all') {
    await reply(ctx, 'welcomeCase', {}, reg.welcomeMessage ? { text: reg.welcomeMessage, project } : { project });
  }
  if (reg.welcomeSurveyId) {
    // The follow-up survey the seeds recommend (asks the name, etc.), through the join's gateway.
    const via = ctx.gateway ? { id: ctx.gateway.id, name: ctx.gateway.name } : null;
    await startWelcomeSurvey(ctx.trx, ctx.deps, project, view.id, via, ctx.now);
  }
  return { handling: 'registered-case', project, contact: { type: 'case', id: view.id } };
}

async function registerWorker(ctx: Context, project: Project, requested: string | null): Promise<Outcome> {
  const username = requested ?? ctx.from.replace(/\D/g, '');
  const shown = { username, project: project.name };
  if (!USERNAME.test(username) || RESERVED_USERNAMES.has(username.toLowerCase())) {
    await reply(ctx, 'usernameInvalid', shown, { project });
    return { handling: 'join-refused:username-invalid', project, contact: null };
  }
  if (await findMobileWorkerByUsername(ctx.trx, project.id, username)) {
    await reply(ctx, 'usernameTaken', shown, { project });
    return { handling: 'join-refused:username-taken', project, contact: null };
  }
  if (ctx.holder && ctx.holder.state !== 'one-way') {
    await reply(ctx, 'numberInUse', shown, { project });
    return { handling: 'join-refused:number-in-use', project, contact: null };
  }
  const worker = await insertMobileWorker(ctx.trx, project.id, { username, passwordHash: null, language: null, timeZone: null, email: null }, ctx.now);
  if (!worker) {
    await reply(ctx, 'usernameTaken', shown, { project });
    return { handling: 'join-refused:username-taken', project, contact: null };
  }
  const opts = { pendingTtlMs: ctx.deps.pendingTtlMs, now: ctx.now };
  await addWorkerNumber(ctx.trx, { projectId: project.id, workerId: worker.id, number: ctx.from }, opts);
  await verifyWorkerNumber(ctx.trx, { projectId: project.id, workerId: worker.id, number: ctx.from }, opts);
  await recordConsent(ctx.trx, ctx.deps, ctx.from, true, { method: 'self-registration', source: { messageId: ctx.message.id }, projectId: project.id, contact: { type: 'mobile-worker', id: worker.id }, gateway: gatewayRef(ctx) }, ctx.now);
  ctx.project = project;
  const reg = project.settings.selfRegistration;
  if (reg.welcomeMessageTo === 'workers' || reg.welcomeMessageTo === 'all') {
    await reply(ctx, 'welcomeWorker', shown, reg.welcomeMessage ? { text: reg.welcomeMessage, project } : { project });
  }
  return { handling: 'registered-worker', project, contact: { type: 'mobile-worker', id: worker.id } };
}

/** `join …`: only from a number that is not two-way; unknown project or disabled option → silent. */
async function handleJoin(ctx: Context, join: JoinRequest): Promise<Outcome> {
  const project = await findProjectByName(ctx.trx, join.project);
  if (!project) {
    return { handling: 'join-ignored:unknown-project', project: ctx.project, contact: null };
  }
  const reg = project.settings.selfRegistration;
  if (join.kind === 'case') {
    return reg.caseEnabled ? registerCase(ctx, project) : { handling: 'join-ignored:case-registration-disabled', project, contact: null };
  }
  return reg.workerEnabled ? registerWorker(ctx, project, join.username) : { handling: 'join-ignored:worker-registration-disabled', project, contact: null };
}

async function handle(ctx: Context): Promise<Outcome> {
  const text = ctx.message.text ?? '';
  const optedOut = await isOptedOut(ctx.trx, ctx.from);
  const inSurvey = (await findNumbersInSurvey(ctx.trx, [ctx.from])).has(ctx.from);
  const meaning = classifyReply(text, { languages: ctx.project?.languages ?? ['en'], ...extraWords(ctx.gateway, ctx.project), optedOut, inSurvey });
  if (meaning === 'possible-opt-out') {
    return holdPossibleOptOut(ctx);
  }
  if (meaning) {
    return handleKeyword(ctx, meaning);
  }
  if (ctx.holder?.state === 'pending' && ctx.holder.ownerType === 'mobile-worker') {
    const verified = await handleVerification(ctx, ctx.holder);
    if (verified) {
      return verified;
    }
  }
  const join = parseJoin(text);
  if (!join) {
    const gateway = ctx.gateway ? { id: ctx.gateway.id, name: ctx.gateway.name } : null;
    const answered = await answerSurvey(ctx.trx, ctx.deps, { message: ctx.message, from: ctx.from, gateway, now: ctx.now });
    if (answered) {
      return { handling: answered.handling, project: answered.project, contact: { type: 'case', id: answered.caseId } };
    }
  }
  if (join && ctx.holder?.state !== 'two-way') {
    return handleJoin(ctx, join);
  }
  if (ctx.holder?.state === 'two-way') {
    const fallback = ctx.project?.id === ctx.holder.projectId && !ctx.forwarded ? ctx.project?.settings.defaultSmsResponse : null;
    if (fallback) {
      await reply(ctx, 'help', {}, { text: fallback });
      return { handling: 'default-response', project: ctx.project, contact: holderContact(ctx) };
    }
    return { handling: 'contact', project: ctx.project, contact: holderContact(ctx) };
  }
  return { handling: 'unrecognised', project: ctx.project, contact: null };
}

/** Gateways and projects read once per batch: every message of a batch usually shares them. */
interface BatchMemo {
  gateways: Map<string, Promise<GatewayRecord | null>>;
  projects: Map<string, Promise<Project | null>>;
}

function memo<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = map.get(key);
  if (!p) {
    p = load();
    map.set(key, p);
  }
  return p;
}

/** Handles one message if this worker can take its sender now. Returns whether it did. */
async function processOne(deps: ServiceDeps, ref: ArrivalRef, batch: BatchMemo): Promise<boolean> {
  return deps.db.transaction().execute(async (trx) => {
    const arrival = await lockArrival(trx, ref);
    if (!arrival) {
      return false;
    }
    // Its place in the message order comes before the replies it may queue.
    const seq = await reserveMessageSeq(trx);
    const message = { ...arrivalMessage(arrival), seq };
    const { from } = arrival;
    const now = deps.clock();
    const gatewayId = message.gatewayId;
    const gateway = gatewayId ? await memo(batch.gateways, gatewayId, () => findGatewayById(trx, gatewayId)) : null;
    const holder = await findHolder(trx, from, now);
    // A tester message never acts for another project's contact (checked when typed; again here, in case the number was registered since).
    if (message.viaTester && (await heldByAnotherProject(trx, gateway?.projectId ?? null, from))) {
      await storeHandled(trx, [{ arrival, seq, handling: 'tester: refused (the number belongs to a contact of another project)', projectId: gateway?.projectId ?? null, contactType: null, contactId: null }], now);
      return true;
    }
    const { projectId, forwarded } = handlingProject(gateway?.projectId ?? null, holder?.projectId ?? null);
    const project = projectId ? await memo(batch.projects, projectId, () => findProjectById(trx, projectId)) : null;
    const ctx: Context = { deps, trx, message, gateway, from, now, holder, project, replies: 0, forwarded };
    const outcome = await handle(ctx);
    await storeHandled(
      trx,
      [{ arrival, seq, handling: outcome.handling, projectId: outcome.project?.id ?? null, contactType: outcome.contact?.type ?? null, contactId: outcome.contact?.id ?? null }],
      now,
    );
    if (forwarded && gateway) {
      await insertForwardedNotes(trx, [{ originalId: arrival.id, projectId: gateway.projectId, gatewayId: gateway.id, gatewayName: gateway.name, from, to: message.to }], now);
    }
    return true;
  });
}

/**
 * A STOP or START is never lost: when a message whose handling kept failing is closed, an opt-out
 * or opt-in word in it still takes effect, alone in a transaction of its own (no reply, no other
 * step), and the message says so in its handling.
 */
async function keepKeywordAfterFailure(deps: ServiceDeps, id: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const message = await findInboundById(trx, id);
    const from = message?.from;
    if (!message || !from) {
      return;
    }
    const gateway = message.gatewayId ? await findGatewayById(trx, message.gatewayId) : null;
    if (message.viaTester && (await heldByAnotherProject(trx, gateway?.projectId ?? null, from))) {
      return;
    }
    const now = deps.clock();
    // The words of the project that would have handled it (its languages and its own words), as handle() reads them.
    const holder = await findHolder(trx, from, now);
    const { projectId } = handlingProject(gateway?.projectId ?? null, holder?.projectId ?? null);
    const project = projectId ? await findProjectById(trx, projectId) : null;
    const meaning = classifyReply(message.text ?? '', { languages: project?.languages ?? ['en'], ...extraWords(gateway, project), optedOut: await isOptedOut(trx, from), inSurvey: false });
    if (meaning !== 'opt-out' && meaning !== 'opt-in') {
      return;
    }
    const origin: ConsentOrigin = { method: 'keyword', source: { messageId: id, text: foldText(message.text ?? ''), afterFailure: true }, projectId: project?.id ?? gateway?.projectId ?? null, contact: null, gateway: gateway ? { id: gateway.id, name: gateway.name } : null };
    await (meaning === 'opt-out' ? recordOptOut : recordOptIn)(trx, { channel: 'sms', address: from }, origin, now);
    await markKeywordKept(trx, id, meaning, now);
  });
}

/** Tries at handling one inbound message before it is closed as failed (Default: 3). */
const INBOUND_ATTEMPTS = 3;

/** Senders handled at the same time by one worker (different numbers proceed in parallel). */
const PARALLEL_SENDERS = 8;

/** Handles up to `limit` waiting messages (one per sender per call). Returns how many. */
export async function processInbound(deps: ServiceDeps, limit: number): Promise<number> {
  const passive = await settlePassive(deps, await findNextArrivals(deps.db, limit));
  const next = passive.act;
  const batch: BatchMemo = { gateways: new Map(), projects: new Map() };
  let done = 0;
  let index = 0;
  const lane = async () => {
    while (index < next.length) {
      const m = next[index++];
      if (!m) {
        continue;
      }
      try {
        if (await processOne(deps, m, batch)) {
          done++;
        }
      } catch (err) {
        // The transaction rolled back; try again later, and give up after a few attempts so one
        // bad message cannot hold up its sender's later messages for ever.
        const closed = await recordArrivalFailure(deps.db, m, (err as Error).message, INBOUND_ATTEMPTS, deps.clock());
        if (closed) {
          await keepKeywordAfterFailure(deps, closed);
        }
        done++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_SENDERS, next.length) }, lane));
  done += passive.done;
  if (done > 0) {
    deps.notifyDue();
  }
  return done;
}
