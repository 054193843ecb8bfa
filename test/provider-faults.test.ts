/**
 * Provider faults through a real `rollcall serve` child: a generic `http` gateway (timeoutMs 1500)
 * to a fake vendor on 127.0.0.1 that, per message, hangs past the timeout, answers 500/503, answers
 * slowly (under the timeout), resets the connection, or refuses (400) — and either recovers or
 * never does. On PostgreSQL a separate `rollcall worker` runs beside the server, with a dispatch
 * lease (1 s) shorter than a hung call, so a live worker's renewed lease is what keeps the other
 * process from taking its messages over.
 *
 * Delivery semantics, stated honestly (docs/gateways.md "Timeouts, 5xx and duplicates"): a timeout
 * or reset is retried, because Rollcall cannot know whether the vendor acted on the request it did
 * not answer. Through a vendor without an idempotency key that is at-least-once: the `hang-recover`
 * message below reaches the vendor twice, and if the vendor had sent the first one the person gets
 * it twice. 5xx and 4xx answers are definite, so they never cause a duplicate. A crash mid-send is
 * the other way round (at-most-once, test/worker-crash.test.ts).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { api, type Child, freePort, kill, spawnRollcall, tempDir, waitFor, waitHealthy } from './support/child-server.ts';
import { type Behaviour, type FaultyVendor, httpGatewayConfig, startFaultyVendor, type VendorCall } from './support/faulty-vendor.ts';
import { createServerDatabase, onPostgres } from './support/test-db.ts';

const children: Child[] = [];
let dropDb: (() => Promise<void>) | null = null;
let vendor: FaultyVendor | null = null;
after(async () => {
  for (const c of children) {
    await kill(c);
  }
  await vendor?.close();
  await dropDb?.();
});

const TIMEOUT_MS = 1500;
const RETRY_BASE_MS = 300;

/** What the vendor does with the n-th call (1-based) for a message, by the message's text. */
const scripts: Record<string, (n: number) => Behaviour> = {
  'hang-recover': (n) => (n === 1 ? { hang: true } : { status: 200 }),
  'hang-always': () => ({ hang: true }),
  '5xx-recover': (n) => (n === 1 ? { status: 500, body: { error: 'internal' } } : n === 2 ? { status: 503, body: { error: 'busy' } } : { status: 200 }),
  '503-always': () => ({ status: 503, body: { error: 'overloaded' } }),
  slow: () => ({ status: 200, delayMs: 800 }),
  'reset-recover': (n) => (n === 1 ? { reset: true } : { status: 200 }),
  'reset-always': () => ({ reset: true }),
  refused: () => ({ status: 400, body: { error: 'invalid destination' } }),
};

test('timeouts, 5xx, slow answers and resets: retried with backoff, then sent or GATEWAY_ERROR; the server stays responsive', { timeout: 120_000 }, async () => {
  const pg = await createServerDatabase();
  dropDb = pg?.drop ?? null;
  const seen = new Map<string, number>();
  vendor = await startFaultyVendor((call: VendorCall) => {
    const n = (seen.get(call.body.id ?? '') ?? 0) + 1;
    seen.set(call.body.id ?? '', n);
    const script = scripts[call.body.text ?? ''];
    const b = script ? script(n) : { status: 200 };
    return 'status' in b && b.status === 200 ? { ...b, body: { vendorId: `v-${call.body.id}-${n}` } } : b;
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PORT: String(port),
    DATA_DIR: tempDir('rollcall-provider-faults-'),
    ROLLCALL_ADMIN_EMAIL: 'admin@example.org',
    ROLLCALL_ADMIN_PASSWORD: 'admin-password',
    ROLLCALL_SECRET_KEY: 'b'.repeat(64),
    ROLLCALL_RETRY_BASE_MS: String(RETRY_BASE_MS),
    ROLLCALL_MAX_ATTEMPTS: '3',
    ROLLCALL_DISPATCH_LEASE_MS: '1000',
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  };
  const server = spawnRollcall('serve', env);
  children.push(server);
  await waitHealthy(base, server);
  if (onPostgres) {
    children.push(spawnRollcall('worker', env));
  }
  const token = (await api(base, null, 'POST', '/api/v1/auth/tokens', { email: 'admin@example.org', password: 'admin-password' })).json.token as string;
  assert.equal((await api(base, token, 'POST', '/api/v1/projects', { name: 'pf', defaultCountry: 'UG' })).status, 201);
  const gw = await api(base, token, 'POST', '/api/v1/projects/pf/gateways', { name: 'vendor', type: 'http', config: httpGatewayConfig(vendor.url, TIMEOUT_MS), ratePerSecond: 1000 });
  assert.equal(gw.status, 201, JSON.stringify(gw.json));
  assert.equal((await api(base, token, 'PUT', '/api/v1/projects/pf/gateway-routes', [{ prefix: '*', gateway: 'VENDOR' }])).status, 200);

  const ids = new Map<string, string>();
  let k = 0;
  for (const text of Object.keys(scripts)) {
    const m = await api(base, token, 'POST', '/api/v1/projects/pf/messages', { recipient: { phoneNumber: `+2567720000${String(k++).padStart(2, '0')}` }, text });
    assert.equal(m.status, 201, JSON.stringify(m.json));
    ids.set(text, m.json.id as string);
  }

  // While calls hang, the server answers /healthz and reads at once.
  await waitFor('a hung vendor call', async () => vendor?.calls.some((c) => c.outcome === 'hang'), 20_000, 20);
  for (let i = 0; i < 5; i++) {
    for (const url of ['/healthz', '/api/v1/projects/pf/messages?limit=5']) {
      const t0 = performance.now();
      const res = await fetch(base + url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
      await res.text();
      const ms = performance.now() - t0;
      assert.equal(res.status, 200);
      assert.ok(ms < 500, `${url} took ${ms.toFixed(0)} ms while the vendor hangs`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const final = async (text: string) => (await api(base, token, 'GET', `/api/v1/projects/pf/messages/${ids.get(text)}`)).json;
  await waitFor(
    'every message to end',
    async () => {
      for (const text of ids.keys()) {
        if (!['sent', 'failed'].includes((await final(text)).status)) {
          return false;
        }
      }
      return true;
    },
    60_000,
    250,
  );
  const callsOf = (text: string) => vendor?.callsFor(ids.get(text) ?? '') ?? [];
  const outcomes = (text: string) => callsOf(text).map((c) => c.outcome);

  // Recovered: sent, with the id of the call that was answered.
  for (const [text, expected] of [
    ['hang-recover', ['client-gone', 200]],
    ['5xx-recover', [500, 503, 200]],
    ['reset-recover', ['reset', 200]],
    ['slow', [200]],
  ] as const) {
    const m = await final(text);
    assert.equal(m.status, 'sent', `${text}: ${JSON.stringify(m)}`);
    assert.deepEqual(
      outcomes(text).map((o) => (o === 'hang' ? 'client-gone' : o)),
      expected,
      `${text}: vendor saw ${JSON.stringify(outcomes(text))}`,
    );
    assert.equal(m.providerMessageId, `v-${ids.get(text)}-${expected.length}`);
  }
  // Backoff: the retries of 5xx-recover wait RETRY_BASE_MS, then twice that.
  const [c1, c2, c3] = callsOf('5xx-recover').map((c) => c.at) as [number, number, number];
  assert.ok(c2 - c1 >= RETRY_BASE_MS - 50, `first retry after ${c2 - c1} ms`);
  assert.ok(c3 - c2 >= 2 * RETRY_BASE_MS - 50, `second retry after ${c3 - c2} ms`);
  // A hung call is abandoned at the timeout, then retried.
  const [h1, h2] = callsOf('hang-recover').map((c) => c.at) as [number, number];
  assert.ok(h2 - h1 >= TIMEOUT_MS, `retried ${h2 - h1} ms after the hung call`);

  // Never recovered: GATEWAY_ERROR after 3 attempts, the reason in plain words.
  for (const [text, words] of [
    ['hang-always', /no answer within 1500 ms/],
    ['503-always', /HTTP 503: .*overloaded/],
    ['reset-always', /could not be reached \(network error/],
  ] as const) {
    const m = await final(text);
    assert.equal(m.status, 'failed', `${text}: ${JSON.stringify(m)}`);
    assert.equal(m.errorCode, 'GATEWAY_ERROR');
    assert.match(m.errorDetail, words, text);
    assert.match(m.errorDetail, /gave up after 3 attempts/, text);
    assert.equal(callsOf(text).length, 3, `${text}: ${JSON.stringify(outcomes(text))}`);
  }
  // A 4xx is final at once: one call, no retry.
  const refused = await final('refused');
  assert.equal(refused.status, 'failed');
  assert.equal(refused.errorCode, 'GATEWAY_ERROR');
  assert.match(refused.errorDetail, /HTTP 400: .*invalid destination/);
  assert.equal(callsOf('refused').length, 1);
  // Every failure carries the catalogue's plain description of its code.
  const catalogue = (await api(base, null, 'GET', '/api/v1/errors')).json as Array<{ code: string; description: string }>;
  const description = catalogue.find((e) => e.code === 'GATEWAY_ERROR')?.description;
  assert.ok(description);
  for (const text of ['hang-always', '503-always', 'reset-always', 'refused']) {
    assert.equal((await final(text)).errorDescription, description, text);
  }
  await kill(server, 'SIGTERM');
});
