/**
 * @module services/dispatch.service — sends due outbound messages. The message row is the job
 * (DESIGN.md §9): a worker claims a batch with FOR UPDATE SKIP LOCKED and a lease, checks each
 * message again right before the provider is called (opt-out, closed contact, staleness), takes
 * tokens from the gateway's shared bucket, calls the provider, and records every outcome in one
 * statement. Transient failures are retried with doubling delays; permanent ones fail at once with
 * the provider's reason. A message whose worker died mid-send is resent only through an idempotent
 * provider; otherwise it fails rather than risk a duplicate. Each gateway's part of a batch is sent
 * and recorded on its own (the worker runs parts in per-gateway lanes, dispatch-worker.ts), and its
 * leases are renewed while it is out, so a slow vendor neither holds up other gateways nor makes a
 * live worker's messages look abandoned.
 */
import type { OutboundMessage, Provider, SendOutcome } from '../providers/provider.ts';
import { findGatewaysByIds, type GatewayRecord } from '../store/gateway.store.ts';
import { takeTokens } from '../store/gateway-rate.store.ts';
import { type ClaimedMessage, claimDueMessages, rowKey, extendLeases, listDispatchProjects, type MessageRecord, type MessageResult, recordResults } from '../store/message.store.ts';
import type { Db } from '../store/database.ts';
import { claimInTurn, ProjectRotation, PROJECTS_PER_CLAIM } from './project-rotation.ts';
import { optOutKey } from '../domain/recipient.ts';
import { findOptedOut } from '../store/opt-out.store.ts';
import { recordOptOut } from './consent.service.ts';
import type { ServiceDeps } from './deps.ts';
import { loadSendTimeFacts, type SendTimeFacts, sendTimeProblem } from './send-time-checks.ts';
import { unsubscribeUrl } from './unsubscribe.service.ts';

export interface DispatchOptions {
  /** Messages claimed at once (Default: 200). */
  batchSize: number;
  /** How long a claim lasts before another worker may take the message over (Default: 60 s). */
  leaseMs: number;
  /**
   * A gateway's lane in the worker loop: how many of its parts (each sending its groups one after
   * another) may be out at once, so at most this many calls to one vendor (Default: 4).
   */
  laneSize?: number;
}

/** Parts of one gateway a worker has out at once when DispatchOptions.laneSize does not say. */
export const DEFAULT_LANE_SIZE = 4;

/** Messages handed to a provider at once when it does not say (Provider.sendGroupSize). */
const DEFAULT_SEND_GROUP = 25;

function failed(m: ClaimedMessage, code: string, detail: string | null = null): MessageResult {
  return { ...rowKey(m), status: 'failed', providerMessageId: null, errorCode: code, errorDetail: detail, dueAt: null, refundAttempt: false };
}

/** Outcome → result, with retry scheduling for transient failures. */
function resultOf(deps: ServiceDeps, m: ClaimedMessage, o: SendOutcome, now: Date): MessageResult {
  if (o.ok) {
    return { ...rowKey(m), status: 'sent', providerMessageId: o.providerMessageId, errorCode: null, errorDetail: null, dueAt: null, refundAttempt: false };
  }
  if (o.retryable && m.attempts < deps.messaging.maxAttempts) {
    const delay = o.retryAfterMs ?? deps.messaging.retryBaseMs * 2 ** (m.attempts - 1);
    return { ...rowKey(m), status: 'queued', providerMessageId: null, errorCode: null, errorDetail: o.reason, dueAt: new Date(now.getTime() + delay), refundAttempt: false };
  }
  const detail = o.retryable ? `${o.reason} (gave up after ${m.attempts} attempts)` : o.reason;
  return failed(m, 'GATEWAY_ERROR', detail);
}

async function safeSend(provider: Provider, g: GatewayRecord, config: Record<string, unknown>, batch: readonly OutboundMessage[]): Promise<SendOutcome[]> {
  try {
    const outcomes = await provider.send({ id: g.id, name: g.name, type: g.type, config, replyToNumber: g.replyToNumber }, batch);
    if (outcomes.length !== batch.length) {
      throw new Error(`provider ${g.type} answered ${outcomes.length} outcomes for ${batch.length} messages`);
    }
    return outcomes;
  } catch (err) {
    const reason = `The gateway call failed: ${(err as Error).message}`;
    return batch.map(() => ({ ok: false, retryable: true, reason }));
  }
}

/** Checks made again right before sending (send-time-checks.ts, then staleness and the gateway); returns a failure, or null to go ahead. */
function lastChecks(deps: ServiceDeps, m: ClaimedMessage, now: Date, facts: SendTimeFacts, provider: Provider | undefined): MessageResult | null {
  const problem = sendTimeProblem(deps, m, facts);
  if (problem) {
    return failed(m, problem);
  }
  if (m.dueAt && now.getTime() - m.dueAt.getTime() > deps.messaging.staleMs) {
    return failed(m, 'MESSAGE_IS_STALE');
  }
  if (!provider) {
    return failed(m, 'GATEWAY_NOT_FOUND', 'The gateway was deleted or its type is no longer available.');
  }
  if (m.inDoubt && !provider.idempotent) {
    return failed(m, 'GATEWAY_ERROR', 'The worker stopped while sending this message; the gateway may have sent it, so it was not sent again.');
  }
  return null;
}

export interface VendorOptOut {
  message: Pick<MessageRecord, 'id' | 'to' | 'channel' | 'projectId' | 'contactType' | 'contactId'>;
  gateway: Pick<GatewayRecord, 'id' | 'name'>;
  reason: string;
}

/** The vendor says these people opted out there: record it as ours too (method `vendor`), like a STOP. */
export async function recordVendorOptOuts(deps: ServiceDeps, optOuts: readonly VendorOptOut[]): Promise<void> {
  if (optOuts.length === 0) {
    return;
  }
  const now = deps.clock();
  // Sorted by address, so two workers recording the same pair cannot deadlock on the address locks.
  const sorted = [...optOuts].sort((a, b) => optOutKey(a.message.to ?? '', a.message.channel).localeCompare(optOutKey(b.message.to ?? '', b.message.channel)));
  await deps.db.transaction().execute(async (trx) => {
    for (const { message: m, gateway: g, reason } of sorted) {
      await recordOptOut(
        trx,
        { channel: m.channel, address: m.to ?? '' },
        { method: 'vendor', source: { messageId: m.id, reason }, projectId: m.projectId, contact: m.contactType && m.contactId ? { type: m.contactType, id: m.contactId } : null, gateway: { id: g.id, name: g.name } },
        now,
      );
    }
  });
}

/** Sends one gateway's share of a batch, within its rate limit. */
async function sendThroughGateway(
  deps: ServiceDeps,
  g: GatewayRecord | undefined,
  messages: ClaimedMessage[],
  facts: SendTimeFacts,
  vendorOptOuts: VendorOptOut[],
): Promise<MessageResult[]> {
  const now = deps.clock();
  const provider = g ? deps.providers.get(g.type) : undefined;
  const results: MessageResult[] = [];
  let ready: ClaimedMessage[] = [];
  for (const m of messages) {
    const stop = lastChecks(deps, m, now, facts, provider);
    if (stop) {
      results.push(stop);
    } else {
      ready.push(m);
    }
  }
  if (!g || !provider || ready.length === 0) {
    return results;
  }
  const rate = g.ratePerSecond ?? provider.defaultRatePerSecond;
  if (rate) {
    const grant = await takeTokens(deps.db, g.id, rate, ready.length);
    const later = new Date(now.getTime() + grant.waitMs);
    for (const m of ready.slice(grant.granted)) {
      results.push({ ...rowKey(m), status: 'queued', providerMessageId: null, errorCode: null, errorDetail: null, dueAt: later, refundAttempt: true });
    }
    ready = ready.slice(0, grant.granted);
    if (ready.length === 0) {
      return results;
    }
  }
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(deps.secrets.open(g.configSealed)) as Record<string, unknown>;
  } catch {
    return [...results, ...ready.map((m) => failed(m, 'GATEWAY_ERROR', 'The gateway credentials cannot be decrypted with this server key.'))];
  }
  const statusCallbackUrl = `${deps.messaging.publicUrl}/webhooks/${g.inboundKey}/status`;
  const toOutbound = (m: ClaimedMessage): OutboundMessage => ({
    id: m.id,
    to: m.to ?? '',
    text: m.text ?? '',
    subject: m.subject,
    attempt: m.attempts,
    statusCallbackUrl,
    unsubscribeUrl: m.channel === 'email' && m.to ? unsubscribeUrl(deps, m.to, m.projectId) : null,
  });
  // Sent in small groups, with opt-outs read again before each group after the first: a STOP
  // that takes effect while the batch is being sent stops the rest of it (one query per group).
  const groupSize = Math.max(1, provider.sendGroupSize ?? DEFAULT_SEND_GROUP);
  const vendorOptedOut = new Set<string>();
  for (let start = 0; start < ready.length; start += groupSize) {
    let group = ready.slice(start, start + groupSize);
    if (start > 0) {
      const optedOut = await findOptedOut(deps.db, group.flatMap((m) => (m.to && !m.bypassOptOut ? [optOutKey(m.to, m.channel)] : [])));
      const stillOk: ClaimedMessage[] = [];
      for (const m of group) {
        const key = m.to ? optOutKey(m.to, m.channel) : null;
        if (key && !m.bypassOptOut && (optedOut.has(key) || vendorOptedOut.has(key))) {
          results.push(failed(m, m.channel === 'sms' ? 'PHONE_NUMBER_OPTED_OUT' : 'EMAIL_OPTED_OUT'));
        } else {
          stillOk.push(m);
        }
      }
      group = stillOk;
      if (group.length === 0) {
        continue;
      }
    }
    const outcomes = await safeSend(provider, g, config, group.map(toOutbound));
    const after = deps.clock();
    group.forEach((m, i) => {
      const o = outcomes[i] as SendOutcome;
      if (!o.ok && o.optedOut && m.to) {
        vendorOptOuts.push({ message: m, gateway: g, reason: o.reason });
        vendorOptedOut.add(optOutKey(m.to, m.channel));
        results.push(failed(m, m.channel === 'sms' ? 'PHONE_NUMBER_OPTED_OUT' : 'EMAIL_OPTED_OUT', o.reason));
      } else {
        results.push(resultOf(deps, m, o, after));
      }
    });
  }
  return results;
}

/** One gateway's share of a claimed batch: what a lane sends (services/dispatch-worker.ts). */
export interface GatewayPart {
  /** The gateway's id ('' for messages without one, which fail their last checks). */
  gatewayId: string;
  gateway: GatewayRecord | undefined;
  messages: ClaimedMessage[];
  facts: SendTimeFacts;
}

/** How long a listing of the projects with due messages is used (ms): the dispatch poll interval. */
export const DISPATCH_LISTING_MS = 250;

/** The rotation of projects with due messages a dispatch worker claims from (services/project-rotation.ts). */
export function dispatchRotation(deps: ServiceDeps): ProjectRotation<Db, string | null> {
  return new ProjectRotation<Db, string | null>({ list: (db) => listDispatchProjects(db, deps.clock()), refreshMs: DISPATCH_LISTING_MS });
}

/**
 * Claims a batch, project by project in turn, and splits it by gateway. Messages of `skipGateways`
 * (gateways whose lanes are full) are not claimed: they stay queued, for this worker later or for
 * another one. `more`: a project may still have due messages (claim again at once).
 */
export async function claimParts(
  deps: ServiceDeps,
  opts: DispatchOptions,
  skipGateways: readonly string[] = [],
  rotation: ProjectRotation<Db, string | null> = dispatchRotation(deps),
): Promise<{ parts: GatewayPart[]; more: boolean }> {
  const claimed: ClaimedMessage[] = [];
  const { more } = await claimInTurn(rotation, deps.db, opts.batchSize, PROJECTS_PER_CLAIM, async (project, room) => {
    const got = await claimDueMessages(deps.db, project, room, opts.leaseMs, deps.clock(), skipGateways);
    claimed.push(...got);
    return got.length;
  });
  if (claimed.length === 0) {
    return { parts: [], more };
  }
  const [facts, gateways] = await Promise.all([loadSendTimeFacts(deps, claimed), findGatewaysByIds(deps.db, [...new Set(claimed.flatMap((m) => (m.gatewayId ? [m.gatewayId] : [])))])]);
  const byGateway = new Map<string, ClaimedMessage[]>();
  for (const m of claimed) {
    const key = m.gatewayId ?? '';
    const share = byGateway.get(key);
    if (share) {
      share.push(m);
    } else {
      byGateway.set(key, [m]);
    }
  }
  return { parts: [...byGateway.entries()].map(([id, messages]) => ({ gatewayId: id, gateway: gateways.find((g) => g.id === id), messages, facts })), more };
}

/**
 * Sends one part and records its outcomes as soon as it is done, whatever other gateways are
 * doing. While it is out (a vendor may take up to its timeout per call) the part's leases are
 * renewed every third of a lease, so another worker takes its messages over only if this one died.
 */
export async function sendPart(deps: ServiceDeps, part: GatewayPart, leaseMs: number): Promise<void> {
  const keys = part.messages.map(rowKey);
  const heartbeat = setInterval(() => {
    void extendLeases(deps.db, keys, leaseMs).catch(() => {});
  }, Math.max(100, Math.floor(leaseMs / 3)));
  heartbeat.unref();
  try {
    const vendorOptOuts: VendorOptOut[] = [];
    const results = await sendThroughGateway(deps, part.gateway, part.messages, part.facts, vendorOptOuts);
    await recordResults(deps.db, results);
    await recordVendorOptOuts(deps, vendorOptOuts);
    for (const r of results) {
      // A requeued message (retry or rate limit) is counted when it finally ends.
      if (r.status !== 'queued') {
        deps.metrics.dispatched.inc({ status: r.status, code: r.errorCode ?? '' });
      }
    }
  } finally {
    clearInterval(heartbeat);
  }
}

/**
 * Claims and sends one batch, each gateway's part recorded when it is done; returns when every
 * part is (the worker loop does not wait: services/dispatch-worker.ts). Returns how many messages
 * were claimed.
 */
export async function dispatchOnce(deps: ServiceDeps, opts: DispatchOptions): Promise<number> {
  const { parts } = await claimParts(deps, opts);
  const settled = await Promise.allSettled(parts.map((p) => sendPart(deps, p, opts.leaseMs)));
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure) {
    throw failure.reason;
  }
  return parts.reduce((n, p) => n + p.messages.length, 0);
}
