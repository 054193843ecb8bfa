/**
 * A load generator in its own process (so it does not share the server's event loop): autocannon
 * against a running server, bounded by duration. Usage: load.ts '<json spec>'; prints one JSON line.
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
  /** Requests per second over all connections (default: as fast as possible). */
  rate?: number;
  /** First number of the range this run uses (distinct per run). */
  numberBase?: number;
  /** read-cases: a file with one case id per line. */
  idsFile?: string;
  /** inbound: the webhook path. */
  hook?: string;
  /** inbound: how many distinct senders. */
  senders?: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
let counter = 0;
const number = () => `+254712${String((spec.numberBase ?? 0) + counter++).padStart(6, '0')}`;
const ids = spec.idsFile ? fs.readFileSync(spec.idsFile, 'utf8').split('\n').filter(Boolean) : [];
const auth = { authorization: `Bearer ${spec.token}`, 'content-type': 'application/json' };

function request(): autocannon.Request {
  switch (spec.kind) {
    case 'create-cases':
      return {
        method: 'POST',
        path: `/api/v1/projects/${spec.project}/cases`,
        headers: auth,
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ caseType: 'patient', name: `Bench ${counter}`, properties: { contact_phone_number: number(), contact_phone_number_is_verified: '1' } }) }),
      };
    case 'read-cases':
      return { method: 'GET', headers: auth, setupRequest: (req) => ({ ...req, path: `/api/v1/projects/${spec.project}/cases/${ids[counter++ % ids.length]}` }) };
    case 'send-messages':
      return {
        method: 'POST',
        path: `/api/v1/projects/${spec.project}/messages`,
        headers: auth,
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ recipient: { phoneNumber: number() }, text: 'Clinic day is Monday' }) }),
      };
    case 'inbound':
      return {
        method: 'POST',
        path: spec.hook ?? '/',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          const i = counter++;
          const from = `+254713${String((spec.numberBase ?? 0) + (i % (spec.senders ?? 1000))).padStart(6, '0')}`;
          return { ...req, body: JSON.stringify({ from, text: `hello ${i}`, messageId: `${spec.numberBase ?? 0}-${i}` }) };
        },
      };
  }
}

const result = await autocannon({
  url: spec.base,
  connections: spec.connections,
  duration: spec.durationS,
  ...(spec.rate ? { overallRate: spec.rate } : {}),
  requests: [request()],
});
process.stdout.write(
  JSON.stringify({
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  }) + '\n',
);
