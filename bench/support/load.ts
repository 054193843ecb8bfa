/**
 * A load generator in its own process (so it never shares the server's event loop): autocannon's
 * programmatic API against a running server, bounded both in time (durationS) and in count
 * (maxRequests). Usage: `load.ts '<json spec>'`; prints one JSON line (LoadResult).
 * Kinds: create-cases, read-cases, send-messages, inbound.
 */
import fs from 'node:fs';

import autocannon from 'autocannon';

interface Spec {
  kind: 'create-cases' | 'read-cases' | 'send-messages' | 'inbound';
  base: string;
  token: string;
  project: string;
  connections: number;
  durationS: number;
  /** Stop after this many requests even if time is left (Default: 1,000,000). */
  maxRequests?: number;
  /** Requests per second over all connections (Default: as fast as possible). */
  rate?: number;
  /** First number of the range this run uses (distinct per run, so every request has its own number). */
  numberBase?: number;
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
          const body = { caseType: 'patient', name: `Bench patient ${base + i}`, properties: { contact_phone_number: nationalNumber(i), contact_phone_number_is_verified: '1' } };
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

const result = await autocannon({
  url: spec.base,
  connections: spec.connections,
  duration: spec.durationS,
  maxOverallRequests: spec.maxRequests ?? 1_000_000,
  ...(spec.rate ? { overallRate: spec.rate } : {}),
  requests: [request()],
});
const ok = result['2xx'];
process.stdout.write(
  JSON.stringify({
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
  }) + '\n',
);
