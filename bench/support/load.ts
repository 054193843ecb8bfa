/**
 * A load generator in its own process (so it never shares the server's event loop) against a
 * running server, bounded both in time (durationS) and in count (maxRequests): autocannon as fast
 * as the connections allow, or, with a rate, requests started at a steady pace (steady() below).
 * Usage: `load.ts '<json spec>'`; prints one JSON line (LoadResult).
 * Kinds: create-cases, read-cases, send-messages, inbound.
 */
import fs from 'node:fs';

import autocannon from 'autocannon';

import { type RawRequest, RawConnection } from './raw-http.ts';
import type { LoadResult } from './server.ts';
import { percentile } from './stats.ts';

interface Spec {
  kind: 'create-cases' | 'read-cases' | 'send-messages' | 'inbound';
  base: string;
  token: string;
  project: string;
  connections: number;
  durationS: number;
  /** Stop after this many requests even if time is left (Default: 1,000,000). */
  maxRequests?: number;
  /** Requests per second, started at a steady pace (Default: as fast as the connections allow). */
  rate?: number;
  /** create-cases: the case type of the new cases (Default: patient). */
  caseType?: string;
  /** First number of the range this run uses (distinct per run, so every request has its own number). */
  numberBase?: number;
  /** create-cases: more properties for every case created (Default: none). */
  properties?: Record<string, string>;
  /** read-cases: a file with one case id per line. */
  idsFile?: string;
  /** inbound: the webhook path. */
  hook?: string;
  /** inbound: how many distinct senders. */
  senders?: number;
  /**
   * send-messages and inbound: pick numbers among this many registered ones (+2547 followed by
   * 20000000 + i, as bench/growth.bench.ts fills them) instead of fresh numbers.
   */
  registered?: number;
  /** Epoch milliseconds to start at (load processes started together begin together). */
  startAt?: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
let counter = 0;
const base = spec.numberBase ?? 0;
/** Distinct valid Kenyan mobile numbers in the national form people type: 07 + 8 digits. */
const nationalNumber = (i: number) => `07${String(base + i).padStart(8, '0')}`;
const registeredNumber = (i: number) => `+2547${20_000_000 + ((base + i * 7919) % (spec.registered ?? 1))}`;
const e164Number = (i: number) => (spec.registered ? registeredNumber(i) : `+254712${String(base + i).padStart(6, '0')}`);
const ids = spec.idsFile ? fs.readFileSync(spec.idsFile, 'utf8').split('\n').filter(Boolean) : [];
const auth = { authorization: `Bearer ${spec.token}`, 'content-type': 'application/json' };

function request(): autocannon.Request {
  switch (spec.kind) {
    case 'create-cases':
      return {
        method: 'POST',
        path: `/api/v1/projects/${spec.project}/cases`,
        headers: auth,
        setupRequest: (req) => {
          const i = counter++;
          const body = { caseType: spec.caseType ?? 'patient', name: `Bench patient ${base + i}`, properties: { contact_phone_number: nationalNumber(i), contact_phone_number_is_verified: '1', ...spec.properties } };
          return { ...req, body: JSON.stringify(body) };
        },
      };
    case 'read-cases':
      return { method: 'GET', headers: auth, setupRequest: (req) => ({ ...req, path: `/api/v1/projects/${spec.project}/cases/${ids[counter++ % ids.length]}` }) };
    case 'send-messages':
      return {
        method: 'POST',
        path: `/api/v1/projects/${spec.project}/messages`,
        headers: auth,
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ recipient: { phoneNumber: e164Number(counter++) }, text: 'Clinic day is Monday' }) }),
      };
    case 'inbound':
      return {
        method: 'POST',
        path: spec.hook ?? '/',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          const i = counter++;
          const from = spec.registered ? registeredNumber(i) : `+254713${String(base + (i % (spec.senders ?? 1000))).padStart(6, '0')}`;
          return { ...req, body: JSON.stringify({ from, text: `hello ${i}`, messageId: `${base}-${i}` }) };
        },
      };
  }
}

/** As fast as the connections allow: autocannon. */
async function closedLoop(): Promise<LoadResult> {
  const result = await autocannon({
    url: spec.base,
    connections: spec.connections,
    duration: spec.durationS,
    maxOverallRequests: spec.maxRequests ?? 1_000_000,
    requests: [request()],
  });
  const ok = result['2xx'];
  return {
    requests: result.requests.total,
    ok,
    seconds: result.duration,
    rps: ok / result.duration,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/**
 * At a steady rate: request i starts at i / rate seconds, whatever the answers before it, over at
 * most `connections` keep-alive connections (a request waits for a free one, and that wait counts
 * in its latency). autocannon's own rate option is not used: it lets each connection send its
 * share of a second back to back at the start of the second, then waits for the next, so "200/s"
 * arrived as a burst of 200 requests at full concurrency every second; and it weights each answer
 * by its duration (coordinated-omission correction with a 1 ms interval), which moved p50 and p99
 * towards the slowest answers. Latency here: from the request's start to the end of its answer.
 * Requests go through RawConnection (support/raw-http.ts), which costs this process a fraction of
 * node:http's CPU.
 */
async function steady(rate: number): Promise<LoadResult> {
  const url = new URL(spec.base);
  const total = Math.min(spec.maxRequests ?? 1_000_000, Math.floor(spec.durationS * rate));
  const free = Array.from({ length: spec.connections }, () => new RawConnection(url.hostname, Number(url.port)));
  const all = [...free];
  const queue: Array<{ req: RawRequest; started: number }> = [];
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let lateStarts = 0;
  let done = 0;
  let finished: () => void = () => {};
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const pump = () => {
    while (free.length && queue.length) {
      const conn = free.pop() as RawConnection;
      const { req, started } = queue.shift() as { req: RawRequest; started: number };
      conn.send(req).then(
        (answer) => {
          latencies.push(performance.now() - started);
          if (answer.status >= 200 && answer.status < 300) {
            ok++;
          } else {
            non2xx++;
          }
          free.push(conn);
          settle();
        },
        () => {
          errors++;
          // A broken connection is replaced so the run goes on with as many as it was given.
          free.push(new RawConnection(url.hostname, Number(url.port)));
          all.push(free.at(-1) as RawConnection);
          settle();
        },
      );
    }
  };
  const settle = () => {
    done++;
    if (done === total) {
      finished();
    }
    pump();
  };
  const t0 = performance.now();
  for (let i = 0; i < total; ) {
    const now = performance.now();
    // Start every request whose time has come (several, if this process was held up).
    while (i < total && t0 + (i * 1000) / rate <= now) {
      if (now - (t0 + (i * 1000) / rate) > 5) {
        lateStarts++;
      }
      queue.push({ req: rawRequest(), started: now });
      i++;
    }
    pump();
    if (i < total) {
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + (i * 1000) / rate - performance.now())));
    }
  }
  if (total > 0) {
    await allDone;
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const conn of all) {
    conn.close();
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number) => Math.round(percentile(latencies, p, { rank: 'floor', empty: 0 }));
  return { requests: total, ok, seconds, rps: ok / seconds, p50: at(50), p90: at(90), p99: at(99), max: Math.round(latencies.at(-1) ?? 0), non2xx, errors, timeouts: 0, lateStarts };
}

/** The next request of this run as RawConnection sends it (the template with its path or body). */
function rawRequest(): RawRequest {
  const template = request();
  const setup = template.setupRequest as ((req: autocannon.Request) => autocannon.Request) | undefined;
  const req = setup ? setup({ ...template }) : template;
  return { method: req.method ?? 'GET', path: req.path ?? '/', headers: (req.headers ?? {}) as Record<string, string>, ...(req.body === undefined ? {} : { body: String(req.body) }) };
}

// Load processes started together wait for a common start time, so that none measures while
// another is still starting up.
const startAt = spec.startAt ?? 0;
if (startAt > Date.now()) {
  await new Promise((r) => setTimeout(r, startAt - Date.now()));
}
const summary = spec.rate ? await steady(spec.rate) : await closedLoop();
process.stdout.write(JSON.stringify(summary) + '\n');
