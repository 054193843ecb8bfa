/**
 * The soak's "Memory flat" verdict (bench/soak/memory.ts) on made-up samples: it judges the live
 * heap (heap used after the latest full GC) and the memory outside the heap (RSS minus the heap V8
 * has reserved) after warm-up, so V8 growing its heap between full GCs passes and a leak of
 * objects or of native memory fails. Also: the windows, and the heap gauges read back from the
 * text src/lib/metrics.ts renders.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { heapFromMetrics, judgeMemory, type MemorySample, memoryWindows } from '../bench/soak/memory.ts';
import { renderMemory } from '../src/lib/metrics.ts';

/** 10 minutes of samples every 10 s for one process `p`, from a function of t (s). */
function run(figures: (t: number) => { rss: number; live: number; used: number; total: number } | { rss: number; heap: null }): MemorySample[] {
  const samples: MemorySample[] = [];
  for (let t = 0; t <= 600; t += 10) {
    const f = figures(t);
    samples.push({ t, rssMiB: { p: f.rss }, heap: { p: 'heap' in f ? null : { afterGcMiB: f.live, usedMiB: f.used, totalMiB: f.total, externalMiB: 4 } } });
  }
  return samples;
}

/**
 * What the workers did at 300 actions/s: the first minute warming up from 117 MiB, then a flat live
 * heap while the reservation climbs to a full GC every 100 s or so.
 */
const sawtooth = (t: number) => {
  if (t <= 60) {
    return { rss: 117 + t, live: 34, used: 40 + t / 2, total: 51 + t * 0.7 };
  }
  const phase = (t % 100) / 100;
  const total = 83 + 70 * phase;
  return { rss: total + 80, live: 38, used: 45 + 80 * phase, total };
};

test('V8 growing its heap between full GCs passes, though RSS ends more than 50 MiB and 25 % above the first minute (the old rule failed it)', () => {
  // The last minute lands on the high part of the sawtooth: the old rule (RSS means) failed this.
  const samples = run((t) => (t >= 540 ? { ...sawtooth(t), rss: 83 + 70 * 0.9 + 80, total: 83 + 70 * 0.9 } : sawtooth(t)));
  const [v] = judgeMemory(samples, ['p']);
  assert.ok(v);
  assert.ok(v.lastMiB - v.firstMiB > 50 && v.growthPct > 25, `RSS ${v.firstMiB} → ${v.lastMiB}`);
  assert.equal(v.pass, true, v.failures.join('; '));
  assert.deepEqual(v.failures, []);
  assert.equal(v.liveHeap?.baseMiB, 38);
  assert.equal(v.liveHeap?.lastMiB, 38);
  assert.equal(v.outsideHeap?.lastMiB, 80);
});

test('a leak of objects fails: the live heap grows 40 KiB a second', () => {
  const samples = run((t) => {
    const s = sawtooth(t);
    return { ...s, live: s.live + (t * 40) / 1024 };
  });
  const [v] = judgeMemory(samples, ['p']);
  assert.equal(v?.pass, false);
  assert.match(v?.failures.join('; ') ?? '', /^live heap 43\.9 → 60\.3 MiB \(\+37\.4 %\)$/);
});

test('a leak outside the heap fails: RSS grows 100 KiB a second while the reservation does not', () => {
  const samples = run((t) => {
    const s = sawtooth(t);
    return { ...s, rss: s.rss + (t * 100) / 1024 };
  });
  const [v] = judgeMemory(samples, ['p']);
  assert.equal(v?.pass, false);
  assert.equal(v?.liveHeap?.pass, true);
  assert.match(v?.failures.join('; ') ?? '', /^outside the heap \d+(\.\d)? → \d+(\.\d)? MiB/);
});

test('a sample read across a full GC (RSS already down, the reservation not yet) does not move the medians', () => {
  const samples = run((t) => (t === 550 || t === 570 ? { rss: 130, live: 38, used: 40, total: 120 } : sawtooth(t)));
  const [v] = judgeMemory(samples, ['p']);
  assert.equal(v?.pass, true, v?.failures.join('; '));
});

test('without heap figures (its /metrics did not answer) a process is judged on RSS as before', () => {
  const flat = judgeMemory(run(() => ({ rss: 170, heap: null })), ['p'])[0];
  assert.equal(flat?.pass, true);
  assert.equal(flat?.liveHeap, null);
  const growing = judgeMemory(run((t) => ({ rss: 160 + t / 6, heap: null })), ['p'])[0];
  assert.equal(growing?.pass, false);
  assert.match(growing?.failures[0] ?? '', /^no heap figures, and RSS 165 → 255 MiB/);
  const none = judgeMemory([{ t: 0, rssMiB: {}, heap: {} }], ['p'])[0];
  assert.deepEqual(none?.failures, ['no memory figures']);
});

test('the windows: 120–180 s against the last minute for 10 minutes; fifths for short runs', () => {
  assert.deepEqual(memoryWindows(600), { base: [120, 180], last: [540, 600] });
  assert.deepEqual(memoryWindows(180), { base: [36, 72], last: [144, 180] });
  assert.deepEqual(memoryWindows(20), { base: [4, 14], last: [10, 20] });
});

test('the heap figures are read back from the gauges src/lib/metrics.ts renders', () => {
  const MiB = 2 ** 20;
  const text = renderMemory({ rss: 200 * MiB, heapTotal: 120 * MiB, heapUsed: 90 * MiB, heapUsedAfterGc: 38.5 * MiB, external: 4 * MiB, arrayBuffers: MiB }).join('\n') + '\n';
  assert.deepEqual(heapFromMetrics(text), { usedMiB: 90, afterGcMiB: 38.5, totalMiB: 120, externalMiB: 4 });
  assert.equal(heapFromMetrics('rollcall_process_heap_used_bytes 1\n'), null);
});
