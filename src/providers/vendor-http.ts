/**
 * @module providers/vendor-http — the one way HTTP vendor providers call a vendor: a request under
 * the outbound host policy (outbound-hosts.ts) with a timeout, whose outcome is answered,
 * unreachable or refused; the one table of which failures are retried; Retry-After; a bounded
 * parallel map. Nothing here knows a particular vendor.
 *
 * Retried: no answer (network error, timeout) and HTTP 408, 425, 429 and 5xx. Every other status
 * (400, 401, 403, 404, 422, …, and 3xx, since redirects are not followed) is permanent, and so is a
 * host the policy refuses.
 */
import http from 'node:http';
import https from 'node:https';

import { checkedLookup, HostRefusedError, type HostPolicy, literalHostRefusal } from './outbound-hosts.ts';
import type { SendOutcome } from './provider.ts';

/** Default time to wait for a vendor's answer, in ms (Default: 15 s). */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** Per-message vendor calls made at once by the providers that call once per message. */
export const VENDOR_CALLS_AT_ONCE = 4;

/** At most this much of an answer is read (vendors answer a send in a few hundred bytes). */
const MAX_ANSWER_BYTES = 64 * 1024;

export type VendorReply =
  /** `json` is the parsed body when it is JSON, else null; `text` is at most 64 KiB of it. */
  | { kind: 'answered'; status: number; headers: Headers; text: string; json: unknown }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'refused'; reason: string };

export interface VendorRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | undefined;
  timeoutMs: number;
}

const agents = new Map<string, http.Agent>();

/** Keep-alive agents per policy and scheme; their sockets only ever reach checked addresses. */
function agentFor(policy: HostPolicy, secure: boolean): http.Agent {
  const key = `${policy.allowPrivate}:${secure}`;
  let agent = agents.get(key);
  if (!agent) {
    const options = { keepAlive: true, maxSockets: 16, lookup: checkedLookup(policy) };
    agent = secure ? new https.Agent(options) : new http.Agent(options);
    agents.set(key, agent);
  }
  return agent;
}

function toHeaders(raw: http.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
      out.append(k, one);
    }
  }
  return out;
}

function parsed(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/**
 * Sends one request; never throws. The reason of an unreachable vendor names the error kind only
 * (never the URL, which may carry credentials in its query).
 */
export function callVendor(policy: HostPolicy, url: string, init: VendorRequest): Promise<VendorReply> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ kind: 'refused', reason: 'The gateway URL is not a valid http(s) URL.' });
      return;
    }
    const literal = literalHostRefusal(policy, target.hostname);
    if (literal) {
      resolve({ kind: 'refused', reason: literal.message });
      return;
    }
    const secure = target.protocol === 'https:';
    const headers = { ...init.headers, ...(init.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(init.body)) }) };
    const req = (secure ? https : http).request(target, { method: init.method, headers, agent: agentFor(policy, secure), lookup: checkedLookup(policy) });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy();
    }, init.timeoutMs);
    const fail = (err: Error & { code?: string }) => {
      clearTimeout(timer);
      if (err instanceof HostRefusedError) {
        resolve({ kind: 'refused', reason: err.message });
      } else if (timedOut) {
        resolve({ kind: 'unreachable', reason: `no answer within ${init.timeoutMs} ms` });
      } else {
        resolve({ kind: 'unreachable', reason: `network error: ${err.code ?? err.name}` });
      }
    };
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let finished = false;
      const done = () => {
        if (finished) {
          return;
        }
        finished = true;
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ kind: 'answered', status: res.statusCode ?? 0, headers: toHeaders(res.headers), text, json: parsed(text) });
      };
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_ANSWER_BYTES) {
          chunks.push(chunk.subarray(0, MAX_ANSWER_BYTES - size));
          size += chunk.length;
          if (size >= MAX_ANSWER_BYTES) {
            res.destroy();
            done();
          }
        }
      });
      res.on('end', done);
      res.on('error', fail);
    });
    req.end(init.body);
  });
}

/** The standard words for an HTTP status ("Service Unavailable"), kept when a vendor gives none. */
export function statusText(status: number): string {
  return http.STATUS_CODES[status] ?? 'no details';
}

/** The one table: statuses worth trying again later. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

/** Retry-After (seconds or an HTTP date) in ms; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const raw = headers.get('retry-after')?.trim();
  if (!raw) {
    return undefined;
  }
  if (/^\d+$/.test(raw)) {
    return Number(raw) * 1000;
  }
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The outcome of an HTTP failure status, by the table; Retry-After is honoured on a retried one. */
export function httpFailure(status: number, headers: Headers, reason: string): SendOutcome {
  const retryable = isRetryableStatus(status);
  const after = retryable ? retryAfterMs(headers) : undefined;
  return { ok: false, retryable, reason, ...(after === undefined ? {} : { retryAfterMs: after }) };
}

/** The outcome when there was no answer: retried, unless the host policy refused the host. */
export function noAnswer(vendor: string, reply: Extract<VendorReply, { kind: 'unreachable' | 'refused' }>): SendOutcome {
  return reply.kind === 'refused'
    ? { ok: false, retryable: false, reason: reply.reason }
    : { ok: false, retryable: true, reason: `${vendor} could not be reached (${reply.reason}).` };
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** Runs `fn` over `items` with at most `limit` calls at a time, keeping the order of results. */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
