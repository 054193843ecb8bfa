/**
 * GET /metrics: Prometheus text with the queue gauges from the database and this process's
 * counters and memory gauges; superusers or the metrics token only.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';

import { ProcessMetrics, renderMemory } from '../src/lib/metrics.ts';
import { dispatchOnce } from '../src/services/dispatch.service.ts';
import { runRemindersUntilIdle } from '../src/services/reminder-loop.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

const METRICS_TOKEN = 'scraper-token-0123456789';
let t: TestApp;
let inbound = '';
before(async () => {
  t = await createTestApp({ config: { metricsToken: METRICS_TOKEN } });
  await t.createProject('metrics', { defaultCountry: 'KE' });
  const gw = await t.request('POST', '/api/v1/projects/metrics/gateways', { body: { name: 'sms', type: 'test' } });
  inbound = new URL(gw.json().inboundUrl).pathname;
  await t.request('PUT', '/api/v1/projects/metrics/gateway-routes', { body: [{ prefix: '*', gateway: 'SMS' }] });
});
after(() => t.close());

/** The value of one sample line, e.g. value(body, 'rollcall_messages_waiting{status="queued"}'). */
function value(body: string, series: string): number | null {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
}

test('only a superuser token or the metrics token may read it', async () => {
  assert.equal((await t.request('GET', '/metrics', { token: null })).statusCode, 401);
  assert.equal((await t.request('GET', '/metrics', { token: 'not-the-token-at-all' })).statusCode, 401);
  const member = await t.createMember('metrics', 'admin');
  const forbidden = await t.request('GET', '/metrics', { token: member });
  assert.equal(forbidden.statusCode, 403);
  assert.equal(forbidden.json().error.code, 'FORBIDDEN');
  const scraper = await t.request('GET', '/metrics', { token: METRICS_TOKEN });
  assert.equal(scraper.statusCode, 200);
  assert.match(String(scraper.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.equal((await t.request('GET', '/metrics')).statusCode, 200);
});

test('queue depth, unhandled inbound, dispatch results by code and webhook latency', async () => {
  const send = (body: Record<string, unknown>) => t.request('POST', '/api/v1/projects/metrics/messages', { body: { recipient: { phoneNumber: '+254712000001' }, text: 'hello', ...body } });
  assert.equal((await send({})).statusCode, 201);
  assert.equal((await send({ sendAt: '2099-01-01T09:00' })).statusCode, 201);
  let body = (await t.request('GET', '/metrics')).body;
  assert.equal(value(body, 'rollcall_messages_waiting{status="queued"}'), 1);
  assert.equal(value(body, 'rollcall_messages_waiting{status="scheduled"}'), 1);
  assert.ok((value(body, 'rollcall_messages_oldest_due_seconds') ?? -1) >= 0);
  assert.match(body, /# TYPE rollcall_messages_waiting gauge/);

  await dispatchOnce(t.deps, { batchSize: 10, leaseMs: 60_000 });
  const hook = await t.request('POST', inbound, { token: null, body: { from: '+254712000002', text: 'hi', messageId: 'm-1' } });
  assert.equal(hook.statusCode, 200);
  body = (await t.request('GET', '/metrics')).body;
  assert.equal(value(body, 'rollcall_messages_waiting{status="queued"}'), 0);
  assert.equal(value(body, 'rollcall_dispatch_results_total{status="sent",code=""}'), 1);
  assert.equal(value(body, 'rollcall_inbound_unhandled'), 1);
  assert.equal(value(body, 'rollcall_webhook_requests_total{kind="inbound",status="200"}'), 1);
  assert.equal(value(body, 'rollcall_webhook_duration_seconds_count{kind="inbound"}'), 1);
  assert.equal(value(body, 'rollcall_webhook_duration_seconds_bucket{kind="inbound",le="+Inf"}'), 1);
  // Every sample line is `name{labels} number`.
  for (const line of body.split('\n').filter((l) => l && !l.startsWith('#'))) {
    assert.match(line, /^[a-z_]+(\{[^}]*\})? -?[0-9.e+-]+$/, line);
  }
});

test('cases waiting for their reminder rules: written cases count until the reminder loop has evaluated them', async () => {
  const rule = await t.request('POST', '/api/v1/projects/metrics/reminder-rules', {
    body: { name: 'Visit', caseType: 'visit', conditions: [{ property: 'visit_date', op: 'set' }], content: { translations: { en: 'Visit on {visit_date}' } }, schedule: { type: 'offsets', startProperty: 'visit_date', offsets: [{ days: -1, time: '09:00' }] } },
  });
  assert.equal(rule.statusCode, 201);
  await runRemindersUntilIdle(t.deps);
  for (const n of [1, 2]) {
    const made = await t.request('POST', '/api/v1/projects/metrics/cases', { body: { caseType: 'visit', name: `Visitor ${n}`, properties: { visit_date: '2099-03-01' } } });
    assert.equal(made.statusCode, 201);
  }
  let body = (await t.request('GET', '/metrics')).body;
  assert.equal(value(body, 'rollcall_reminder_cases_waiting'), 2);
  await runRemindersUntilIdle(t.deps);
  body = (await t.request('GET', '/metrics')).body;
  assert.equal(value(body, 'rollcall_reminder_cases_waiting'), 0);
});

const MEMORY_GAUGES = [
  'rollcall_process_rss_bytes',
  'rollcall_process_heap_total_bytes',
  'rollcall_process_heap_used_bytes',
  'rollcall_process_heap_used_after_gc_bytes',
  'rollcall_process_external_bytes',
  'rollcall_process_array_buffers_bytes',
];

test('process memory: RSS, heap reserved, heap used now and after the latest full GC, external, as gauges', async () => {
  const body = (await t.request('GET', '/metrics', { token: METRICS_TOKEN })).body;
  for (const name of MEMORY_GAUGES) {
    assert.match(body, new RegExp(`# TYPE ${name} gauge\n${name} \\d+\n`), name);
    assert.ok((value(body, name) ?? 0) > 0, name);
  }
  const v = (name: string) => value(body, name) as number;
  assert.ok(v('rollcall_process_rss_bytes') > v('rollcall_process_heap_used_bytes'), 'RSS holds the heap in use');
  assert.ok(v('rollcall_process_heap_total_bytes') >= v('rollcall_process_heap_used_bytes'));
  assert.ok(v('rollcall_process_external_bytes') >= v('rollcall_process_array_buffers_bytes'));
  // Rendered from given figures as they are.
  const lines = renderMemory({ rss: 5, heapTotal: 4, heapUsed: 3, heapUsedAfterGc: 2, external: 1, arrayBuffers: 0 }).filter((l) => !l.startsWith('#'));
  assert.deepEqual(lines, ['rollcall_process_rss_bytes 5', 'rollcall_process_heap_total_bytes 4', 'rollcall_process_heap_used_bytes 3', 'rollcall_process_heap_used_after_gc_bytes 2', 'rollcall_process_external_bytes 1', 'rollcall_process_array_buffers_bytes 0']);
});

test('heap used after the latest full GC follows the live heap: up by what is held, down once it is let go', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  // The figure is taken when the app's GC observer runs, just after the collection.
  const metrics = t.deps.metrics;
  const afterFullGc = async () => {
    gc();
    await sleep(100);
    return metrics.readMemory().heapUsedAfterGc;
  };
  const MiB = 2 ** 20;
  const base = await afterFullGc();
  let held: Array<{ i: number; s: string }> | null = Array.from({ length: 300_000 }, (_, i) => ({ i, s: `held item ${i}` }));
  const holding = await afterFullGc();
  assert.ok(holding - base > 10 * MiB, `holding 300,000 objects: ${((holding - base) / MiB).toFixed(1)} MiB more`);
  assert.equal(held.length, 300_000);
  held = null;
  const released = await afterFullGc();
  assert.ok(holding - released > 10 * MiB, `let go: ${((holding - released) / MiB).toFixed(1)} MiB less`);
  // Garbage made since then does not raise it (a full GC it may cause collects that garbage).
  const garbage = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `garbage ${i}` })).length;
  assert.equal(garbage, 200_000);
  assert.ok(Math.abs(metrics.readMemory().heapUsedAfterGc - released) < 5 * MiB);
});

test('each ProcessMetrics watches GCs until closed: after close() its heap after GC stays put', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const MiB = 2 ** 20;
  const metrics = new ProcessMetrics();
  gc();
  await sleep(100);
  const before = metrics.readMemory().heapUsedAfterGc;
  metrics.close();
  const held = Array.from({ length: 300_000 }, (_, i) => ({ i, s: `held item ${i}` }));
  gc();
  await sleep(100);
  assert.equal(held.length, 300_000);
  assert.equal(metrics.readMemory().heapUsedAfterGc, before, 'no longer moved by full GCs');
  assert.ok(t.deps.metrics.readMemory().heapUsedAfterGc - before > 10 * MiB, "the app's own instance still watches");
  metrics.close(); // idempotent
});
