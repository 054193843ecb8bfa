/**
 * One soak action each: case writes, sends, inbound replies, STOP/START, mobile-worker
 * verification with its `123` reply, two contacts claiming one number at the same moment, reads.
 * Every action picks its server itself (round robin), records what it was answered in the state,
 * and never throws (a failed request is recorded by the client).
 */
import type { SoakClient } from './client.ts';
import { PROJECT } from './setup.ts';
import { asTyped, pick, type SoakState } from './state.ts';

export interface ActionContext {
  client: SoakClient;
  state: SoakState;
  inboundPath: string;
  /** Work started later by an action (a 123 reply, a probe after a STOP), awaited before the drain. */
  later(ms: number, fn: () => Promise<void>): void;
}

let turn = 0;
const server = () => turn++;
const P = `/api/v1/projects/${PROJECT}`;
const digits = (n: string) => n.replace(/\D/g, '');

export async function inbound(ctx: ActionContext, kind: string, from: string, text: string, id = ctx.state.nextInboundId()): Promise<number | null> {
  const a = await ctx.client.call(kind, server(), 'POST', ctx.inboundPath, { from, text, id }, [200]);
  if (a.status === 200) {
    ctx.state.acceptedInbound.add(id);
    return a.at;
  }
  ctx.state.refusedInbound.add(id);
  return null;
}

export async function createCase(ctx: ActionContext): Promise<void> {
  const number = ctx.state.caseNumber();
  const caseType = Math.random() < 0.2 ? 'bcast' : 'patient';
  const consent = Math.random() < 0.5 ? '1' : '0';
  const a = await ctx.client.call('case-create', server(), 'POST', `${P}/cases`, {
    caseType,
    name: ctx.state.nextCaseName(),
    properties: { contact_phone_number: asTyped(number), contact_phone_number_is_verified: consent, village: 'Soak' },
  }, [201]);
  if (a.status === 201) {
    ctx.state.cases.push({ id: a.json.id as string, number, caseType });
  }
}

export async function patchCase(ctx: ActionContext): Promise<void> {
  const c = pick(ctx.state.cases);
  if (!c) {
    return createCase(ctx);
  }
  const properties: Record<string, string> = { visit: String(Date.now() % 1000) };
  if (Math.random() < 0.2) {
    c.number = ctx.state.caseNumber();
    properties.contact_phone_number = asTyped(c.number);
    properties.contact_phone_number_is_verified = Math.random() < 0.5 ? '1' : '0';
  }
  await ctx.client.call('case-patch', server(), 'PATCH', `${P}/cases/${c.id}`, { properties }, [200]);
}

export async function sendTo(ctx: ActionContext, recipient: Record<string, string>, kind = 'message-send'): Promise<void> {
  const a = await ctx.client.call(kind, server(), 'POST', `${P}/messages`, { recipient, text: `Soak reminder ${Date.now()}` }, [201]);
  if (a.status === 201) {
    ctx.state.queued.push({ id: a.json.id as string, status: a.json.status as string, to: (a.json.to as string | null) ?? null });
  }
}

export async function sendMessage(ctx: ActionContext): Promise<void> {
  const stopped = [...ctx.state.stopped];
  if (stopped.length && Math.random() < 0.25) {
    return sendTo(ctx, { phoneNumber: pick(stopped) as string });
  }
  const c = pick(ctx.state.cases);
  return c ? sendTo(ctx, { caseId: c.id }) : createCase(ctx);
}

// Never a bare YES: from an opted-out number it is an opt-in (DESIGN.md §6).
export async function reply(ctx: ActionContext): Promise<void> {
  const accepted = [...ctx.state.acceptedInbound];
  if (accepted.length > 10 && Math.random() < 0.05) {
    // A vendor retrying a webhook: the same message id again, perhaps to the other server.
    ctx.state.repeatsSent++;
    const id = pick(accepted.slice(-200)) as string;
    await ctx.client.call('inbound-repeat', server(), 'POST', ctx.inboundPath, { from: ctx.state.caseNumber(), text: 'repeat', id }, [200]);
    return;
  }
  const from = pick(ctx.state.cases)?.number ?? ctx.state.caseNumber();
  await inbound(ctx, 'inbound-reply', from, pick(['Yes I will come', 'ok', 'Thanks', 'When is the clinic?', 'See you']) as string);
}

export async function stop(ctx: ActionContext): Promise<void> {
  const c = pick(ctx.state.cases.filter((x) => !ctx.state.stopped.has(x.number) && !ctx.state.keywordInFlight.has(x.number)));
  if (!c) {
    return;
  }
  // The number as sent: a concurrent case-patch may re-number the case (c.number) meanwhile, and
  // the STOP is about the number that sent it (until 2026-12-04 the soak recorded the new number,
  // and reported sends to it as sends after a STOP).
  const number = c.number;
  const id = ctx.state.nextInboundId();
  ctx.state.keywordInFlight.add(number);
  try {
    const ackAt = await inbound(ctx, 'inbound-stop', number, pick(['STOP', 'stop', 'Unsubscribe', 'STOP ALL']) as string, id);
    if (ackAt !== null) {
      ctx.state.keywordEvents.push({ kind: 'STOP', number, gatewayMessageId: id, ackAt });
      ctx.state.stopped.add(number);
      // Probe the window right after the acknowledgement: a send to that number within 0–1.5 s.
      ctx.later(Math.random() * 1500, () => sendTo(ctx, { phoneNumber: number }, 'message-after-stop'));
    }
  } finally {
    ctx.state.keywordInFlight.delete(number);
  }
}

export async function start(ctx: ActionContext): Promise<void> {
  const number = pick([...ctx.state.stopped].filter((n) => !ctx.state.keywordInFlight.has(n)));
  if (!number) {
    return;
  }
  const id = ctx.state.nextInboundId();
  // Still stopped until the START is acknowledged; no STOP for this number meanwhile.
  ctx.state.keywordInFlight.add(number);
  try {
    const ackAt = await inbound(ctx, 'inbound-start', number, pick(['START', 'unstop']) as string, id);
    if (ackAt !== null) {
      ctx.state.keywordEvents.push({ kind: 'START', number, gatewayMessageId: id, ackAt });
      ctx.state.stopped.delete(number);
    }
  } finally {
    ctx.state.keywordInFlight.delete(number);
  }
}

async function newWorker(ctx: ActionContext, number: string): Promise<string | null> {
  const w = await ctx.client.call('worker-create', server(), 'POST', `${P}/mobile-workers`, { username: `soak_${ctx.state.nextCaseName().replace(/\D/g, '')}` }, [201]);
  if (w.status !== 201) {
    return null;
  }
  const id = w.json.id as string;
  const n = await ctx.client.call('worker-number', server(), 'POST', `${P}/mobile-workers/${id}/phone-numbers`, { number }, [201]);
  return n.status === 201 ? id : null;
}

/** Add a number to a new worker, start verification, reply 123 from that phone 1–3 s later. */
export async function verifyWorker(ctx: ActionContext): Promise<void> {
  const number = ctx.state.nextWorkerNumber();
  const id = await newWorker(ctx, number);
  if (!id) {
    return;
  }
  const v = await ctx.client.call('worker-verify', server(), 'POST', `${P}/mobile-workers/${id}/phone-numbers/${digits(number)}/verify`, undefined, [200]);
  if (v.status === 200) {
    ctx.state.workerNumbers.push({ workerId: id, number, verified: false });
    ctx.later(1000 + Math.random() * 2000, async () => void (await inbound(ctx, 'inbound-123', number, ' 123 ')));
  }
}

/** Two contacts claim one number two-way at the same moment, one on each server. */
export async function contestedClaim(ctx: ActionContext): Promise<void> {
  const number = ctx.state.nextContestedNumber();
  if (Math.random() < 0.5) {
    const both = await Promise.all(
      [0, 1].map((s) =>
        ctx.client.call('claim-case', s, 'POST', `${P}/cases`, {
          caseType: 'claim',
          name: ctx.state.nextCaseName(),
          properties: { contact_phone_number: asTyped(number), contact_phone_number_is_verified: '1' },
        }, [201]),
      ),
    );
    ctx.state.contested.push({ number, kind: 'case', ids: both.filter((a) => a.status === 201).map((a) => a.json.id as string), results: [] });
    return;
  }
  const ids = (await Promise.all([newWorker(ctx, number), newWorker(ctx, number)])).filter((x): x is string => x !== null);
  const results = await Promise.all(ids.map((id, s) => ctx.client.call('claim-worker', s, 'POST', `${P}/mobile-workers/${id}/phone-numbers/${digits(number)}/verify`, undefined, [200])));
  ctx.state.contested.push({ number, kind: 'worker', ids, results: results.map((r) => String(r.json?.result)) });
  ctx.later(1000 + Math.random() * 2000, async () => void (await inbound(ctx, 'inbound-123', number, '123')));
}

export async function read(ctx: ActionContext): Promise<void> {
  const m = pick(ctx.state.queued);
  if (m && Math.random() < 0.5) {
    await ctx.client.call('read-message', server(), 'GET', `${P}/messages/${m.id}`, undefined, [200]);
    return;
  }
  const c = pick(ctx.state.cases);
  if (c) {
    await ctx.client.call('read-case', server(), 'GET', `${P}/cases/${c.id}`, undefined, [200]);
  }
}

/** Weights of the steady mix (per tick, one action). */
export const MIX: ReadonlyArray<[number, (ctx: ActionContext) => Promise<void>]> = [
  [16, createCase],
  [8, patchCase],
  [16, sendMessage],
  [18, reply],
  [4, stop],
  [2, start],
  [3, verifyWorker],
  [2, contestedClaim],
  [8, read],
];

export function pickAction(): (ctx: ActionContext) => Promise<void> {
  const total = MIX.reduce((s, [w]) => s + w, 0);
  let r = Math.random() * total;
  for (const [w, fn] of MIX) {
    r -= w;
    if (r < 0) {
      return fn;
    }
  }
  return read;
}
