/**
 * Invariants about messages, read from the database and the fake vendor's record:
 * - every inbound message a webhook answered 200 for is stored exactly once, and was handled;
 * - every outbound message ended sent or failed; a sent one reached the vendor exactly once (one
 *   accepted call) in at most `attempts` calls (≤ max attempts; judgeOutbound says why not exactly),
 *   a failed one never reached it;
 *   no vendor call is for a message the database does not know;
 * - STOP to "no further send to that number" (issue 4's target, p99 < 1 s): for each STOP, the
 *   time from its acknowledgement to the last message the vendor received for that number before
 *   a START was acknowledged or handled, whichever came first (0 when none); the p99 over all STOPs must be under GRACE_MS;
 * - and, for every single send, none reached the vendor more than GRACE_MS after the STOP had been
 *   handled (opt-out in effect): a message that slips past an opt-out in effect is a defect
 *   whatever the percentiles say. The acknowledgement means the STOP is stored; it takes effect
 *   when a worker has handled it, and a send already handed to the vendor cannot be recalled.
 *   Sends after the acknowledgement are counted and reported, not hidden. The opt-out
 *   confirmation (the one message allowed past an opt-out)
 *   is left out. The final opt-out state of each number must match its last keyword.
 */
import type pg from 'pg';

import { check, type Check } from './check.ts';
import type { SoakState } from './state.ts';
import type { VendorCall } from './vendor.ts';

export const GRACE_MS = 1_000;
const MAX_ATTEMPTS = 3;

export interface OptOutFigures {
  stops: number;
  starts: number;
  /** STOP acknowledged → handled (processed_at), ms. */
  effectMs: number[];
  sendsInGrace: number;
  sendsAfterGrace: number;
}

export async function checkInbound(db: pg.Pool, state: SoakState): Promise<Check[]> {
  const ids = [...state.acceptedInbound];
  const rows = await db.query<{ id: string; n: string; unprocessed: string }>(
    // Handled messages are in messages; those still waiting are arrivals (migration 0025).
    `select gateway_message_id as id, count(*) as n, count(*) filter (where waiting) as unprocessed
       from (select gateway_message_id, false as waiting from messages where direction = 'in' and gateway_message_id = any($1)
             union all
             select gateway_message_id, true from inbound_arrivals where gateway_message_id = any($1)) stored
      group by gateway_message_id`,
    [ids],
  );
  const found = new Map(rows.rows.map((r) => [r.id, r]));
  const bad: string[] = [];
  let unprocessed = 0;
  for (const id of ids) {
    const r = found.get(id);
    if (!r) {
      bad.push(`${id}: acknowledged but not stored`);
    } else if (Number(r.n) !== 1) {
      bad.push(`${id}: stored ${r.n} times`);
    }
    unprocessed += Number(r?.unprocessed ?? 0);
  }
  const total = await db.query<{ n: string }>(`select (select count(*) from messages where direction = 'in' and gateway_message_id like 'soak-in-%')
            + (select count(*) from inbound_arrivals where gateway_message_id like 'soak-in-%') as n`);
  const extra = Number(total.rows[0]?.n) - ids.length;
  if (extra > state.refusedInbound.size) {
    bad.push(`${extra} stored inbound messages more than were sent`);
  }
  return [
    check('Every accepted inbound message stored exactly once', bad, `${ids.length} acknowledged (${state.repeatsSent} vendor repeats of an id also sent), ${rows.rows.length} stored, ${state.refusedInbound.size} not acknowledged`),
    check('Every inbound message handled', unprocessed ? [`${unprocessed} never handled`] : [], `${ids.length - unprocessed} of ${ids.length} handled (processed_at set)`),
  ];
}

export interface OutRow {
  id: string;
  status: string;
  attempts: number;
  to_address: string | null;
  bypass_opt_out: boolean;
  error_code: string | null;
}

/**
 * The verdict on outbound messages from their final rows and the vendor's record. An attempt is a
 * claim: most reach the vendor, but one may end before it does (the connection failed before the
 * request was sent, or another worker took over an expired lease and found the message already
 * recorded), so a sent message needs exactly one accepted call and at least as many attempts as
 * calls, not one call per attempt. Those attempts are counted and reported, not hidden.
 */
export function judgeOutbound(rows: readonly OutRow[], calls: readonly VendorCall[]): { notFinal: string[]; wrongCount: string[]; phantom: string[]; silentAttempts: number; byStatus: Map<string, number> } {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const perMessage = new Map<string, { accepted: number; refused: number }>();
  const phantom: string[] = [];
  for (const c of calls) {
    if (!byId.has(c.id)) {
      phantom.push(`vendor call for unknown message ${c.id || '(no id)'} to ${c.to}`);
      continue;
    }
    const m = perMessage.get(c.id) ?? { accepted: 0, refused: 0 };
    m[c.accepted ? 'accepted' : 'refused']++;
    perMessage.set(c.id, m);
  }
  const notFinal: string[] = [];
  const wrongCount: string[] = [];
  const byStatus = new Map<string, number>();
  let silentAttempts = 0;
  for (const r of rows) {
    const key = r.status === 'failed' ? `failed ${r.error_code}` : r.status;
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
    const v = perMessage.get(r.id) ?? { accepted: 0, refused: 0 };
    if (!['sent', 'delivered', 'failed'].includes(r.status)) {
      notFinal.push(`${r.id}: still ${r.status}`);
    } else if (r.status === 'failed') {
      if (v.accepted !== 0 || v.refused > r.attempts) {
        wrongCount.push(`${r.id}: failed (${r.error_code}) but the vendor accepted it ${v.accepted}× after ${v.refused} refusals, attempts ${r.attempts}`);
      }
    } else if (v.accepted !== 1 || v.accepted + v.refused > r.attempts || r.attempts > MAX_ATTEMPTS) {
      wrongCount.push(`${r.id}: ${r.status}, vendor accepted ${v.accepted}× and refused ${v.refused}×, attempts ${r.attempts}`);
    } else {
      silentAttempts += r.attempts - v.accepted - v.refused;
    }
  }
  return { notFinal, wrongCount, phantom, silentAttempts, byStatus };
}

export async function checkOutbound(db: pg.Pool, state: SoakState, calls: readonly VendorCall[]): Promise<{ checks: Check[]; byStatus: Map<string, number> }> {
  const rows = (await db.query<OutRow>(`select id, status, attempts, to_address, bypass_opt_out, error_code from messages where direction = 'out'`)).rows;
  const byId = new Set(rows.map((r) => r.id));
  const { notFinal, wrongCount, phantom, silentAttempts, byStatus } = judgeOutbound(rows, calls);
  const missing = state.queued.filter((q) => !byId.has(q.id)).map((q) => `${q.id}: answered 201 but not in the database`);
  const retried = new Set(calls.filter((c) => !c.accepted && byId.has(c.id)).map((c) => c.id)).size;
  return {
    byStatus,
    checks: [
      check('Every outbound message ended sent or failed', [...notFinal, ...missing], `${rows.length} outbound messages (${state.queued.length} from POST …/messages, the rest broadcasts and replies)`),
      check('Sent exactly once at the vendor, attempts sane', [...wrongCount, ...phantom], `${calls.filter((c) => c.accepted).length} accepted vendor calls, ${calls.filter((c) => !c.accepted).length} refused with 503 (${retried} messages retried), ${silentAttempts} attempts ended before reaching the vendor`),
    ],
  };
}

export async function checkOptOuts(db: pg.Pool, state: SoakState, calls: readonly VendorCall[]): Promise<{ check: Check; stateCheck: Check; figures: OptOutFigures }> {
  const keywordIds = state.keywordEvents.map((e) => e.gatewayMessageId);
  const handled = await db.query<{ id: string; ms: string }>(
    `select gateway_message_id as id, extract(epoch from processed_at) * 1000 as ms from messages where direction = 'in' and gateway_message_id = any($1)`,
    [keywordIds],
  );
  const handledAt = new Map(handled.rows.map((r) => [r.id, Number(r.ms)]));
  // From when a keyword counts: a STOP from its acknowledgement (the promise made to the sender);
  // a START from whichever came first, its acknowledgement or its handling — once the server has
  // handled a START the number is opted in again, and the confirmation it sends may reach the
  // vendor before the soak's client has even read the webhook's answer.
  const fromAt = (e: SoakState['keywordEvents'][number]) => (e.kind === 'START' ? Math.min(e.ackAt, handledAt.get(e.gatewayMessageId) ?? e.ackAt) : e.ackAt);
  const events = new Map<string, SoakState['keywordEvents']>();
  for (const e of [...state.keywordEvents].sort((a, b) => fromAt(a) - fromAt(b))) {
    events.set(e.number, [...(events.get(e.number) ?? []), e]);
  }
  const out = (await db.query<{ id: string; bypass_opt_out: boolean; origin: string; created_ms: string }>(
    `select id, bypass_opt_out, case when broadcast_id is not null then 'broadcast' when in_reply_to is not null then 'reply' else 'api' end as origin,
            extract(epoch from created_at) * 1000 as created_ms from messages where direction = 'out'`,
  )).rows;
  const bypass = new Set(out.filter((r) => r.bypass_opt_out).map((r) => r.id));
  const byId = new Map(out.map((r) => [r.id, r]));
  const stopIds = state.keywordEvents.filter((e) => e.kind === 'STOP').map((e) => e.gatewayMessageId);
  const effectMs = state.keywordEvents.filter((e) => e.kind === 'STOP' && handledAt.has(e.gatewayMessageId)).map((e) => (handledAt.get(e.gatewayMessageId) as number) - e.ackAt);
  const lateSends: Array<{ line: string; number: string; ackAt: number; stopId: string }> = [];
  let inGrace = 0;
  /** Per STOP (by its gateway message id): the last send to its number after its acknowledgement, ms. */
  const lastSendAfter = new Map<string, number>();
  for (const c of calls) {
    if (!c.accepted || bypass.has(c.id)) {
      continue;
    }
    const last = (events.get(c.to) ?? []).filter((e) => fromAt(e) < c.at).at(-1);
    if (last?.kind !== 'STOP') {
      continue;
    }
    const after = c.at - last.ackAt;
    lastSendAfter.set(last.gatewayMessageId, Math.max(after, lastSendAfter.get(last.gatewayMessageId) ?? 0));
    const effect = handledAt.get(last.gatewayMessageId);
    if (effect === undefined || c.at - effect > GRACE_MS) {
      const m = byId.get(c.id);
      lateSends.push({ number: c.to, ackAt: last.ackAt, stopId: last.gatewayMessageId, line: `${c.id} to ${c.to} (${m?.origin ?? '?'} message, created ${m ? Math.round(Number(m.created_ms) - last.ackAt) : '?'} ms after the ack): sent ${after} ms after the STOP was acknowledged (STOP handled ${effect ? `${Math.round(effect - last.ackAt)} ms after` : 'never'})` });
    } else {
      inGrace++;
    }
  }
  const noFurther = stopIds.map((id) => lastSendAfter.get(id) ?? 0).sort((x, y) => x - y);
  const noFurtherP99 = noFurther[Math.min(noFurther.length - 1, Math.floor(noFurther.length * 0.99))] ?? 0;
  const late = await explainLate(db, lateSends, events);
  const final = await db.query<{ number: string; opted_out: boolean }>(`select number, opted_out from opt_outs where number = any($1)`, [[...events.keys()]]);
  const optedOut = new Map(final.rows.map((r) => [r.number, r.opted_out]));
  const wrongState = [...events.entries()].flatMap(([n, es]) => {
    const want = es.at(-1)?.kind === 'STOP';
    return (optedOut.get(n) ?? false) === want ? [] : [`${n}: last keyword ${es.at(-1)?.kind}, opted out ${optedOut.get(n) ?? false}`];
  });
  const stops = stopIds.length;
  const overTarget = noFurtherP99 >= GRACE_MS ? [`p99 ${noFurtherP99} ms over ${stops} STOPs (target < ${GRACE_MS} ms)`] : [];
  return {
    figures: { stops, starts: state.keywordEvents.length - stops, effectMs, sendsInGrace: inGrace, sendsAfterGrace: late.length },
    check: check(
      'STOP to no further send: p99 < 1 s, and no send more than 1 s after the opt-out was in effect',
      [...overTarget, ...late],
      `${stops} STOPs and ${state.keywordEvents.length - stops} STARTs acknowledged; acknowledgement to last send p99 ${noFurtherP99} ms, max ${noFurther.at(-1) ?? 0} ms; ${inGrace} sends reached the vendor after a STOP's acknowledgement but within ${GRACE_MS} ms of it taking effect (in flight), ${late.length} later`,
    ),
    stateCheck: check('Opt-out state matches each number\'s last keyword', wrongState, `${events.size} numbers sent STOP or START`),
  };
}

/**
 * Each late send with what the database and the soak know about its number, times relative to
 * the STOP's acknowledgement: the keywords the soak had acknowledged, the consent_events rows and
 * the opt_outs row, so a real defect can be told from a harness artefact (<br>: a report table cell).
 */
async function explainLate(db: pg.Pool, lateSends: ReadonlyArray<{ line: string; number: string; ackAt: number; stopId: string }>, events: Map<string, SoakState['keywordEvents']>): Promise<string[]> {
  if (lateSends.length === 0) {
    return [];
  }
  const numbers = [...new Set(lateSends.map((l) => l.number))];
  const consent = (await db.query<{ number: string; ms: string; action: string; method: string; source: unknown }>(
    `select number, extract(epoch from at) * 1000 as ms, action, method, source from consent_events where number = any($1) order by id`,
    [numbers],
  )).rows;
  const optOuts = (await db.query<{ number: string; opted_out: boolean; ms: string }>(
    `select number, opted_out, extract(epoch from updated_at) * 1000 as ms from opt_outs where number = any($1)`,
    [numbers],
  )).rows;
  // The STOP itself as stored: how it was handled (a STOP handled as anything but `opt-out` is the defect to look at).
  const stops = (await db.query<{ id: string; text: string; handling: string | null; status: string; error_code: string | null; attempts: number; ms: string | null }>(
    `select gateway_message_id as id, text, handling, status, error_code, attempts, extract(epoch from processed_at) * 1000 as ms from messages where direction = 'in' and gateway_message_id = any($1)`,
    [[...new Set(lateSends.map((l) => l.stopId))]],
  )).rows;
  const rel = (ms: number, ackAt: number) => `${ms - ackAt >= 0 ? '+' : ''}${Math.round(ms - ackAt)} ms`;
  return lateSends.map(({ line, number, ackAt }) => {
    const keywords = (events.get(number) ?? []).map((e) => `${e.kind} acked ${rel(e.ackAt, ackAt)}`).join(', ');
    const rows = consent.filter((r) => r.number === number).map((r) => `${r.action}/${r.method} ${rel(Number(r.ms), ackAt)} ${JSON.stringify(r.source)}`).join('; ');
    const o = optOuts.find((r) => r.number === number);
    const state = o ? `opted_out=${o.opted_out} updated ${rel(Number(o.ms), ackAt)}` : 'no row';
    const stop = stops.find((r) => r.id === lateSends.find((l) => l.line === line)?.stopId);
    const stored = stop ? `text ${JSON.stringify(stop.text)}, handling ${stop.handling ?? 'none'}, status ${stop.status}${stop.error_code ? ` ${stop.error_code}` : ''}, attempts ${stop.attempts}, processed ${stop.ms ? rel(Number(stop.ms), ackAt) : 'never'}` : 'not stored';
    return `${line}<br>— the STOP as stored: ${stored}<br>— soak keywords: ${keywords || 'none'}<br>— consent_events: ${rows || 'none'}<br>— opt_outs: ${state}`;
  });
}
