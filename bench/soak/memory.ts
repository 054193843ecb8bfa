/**
 * Memory of the soak's processes every 10 s: resident memory from /proc/<pid>/status (VmRSS) and the
 * heap gauges from each process's /metrics (a server's API port, a worker's status port; see
 * src/lib/metrics.ts renderMemory).
 *
 * Verdict (judgeMemory): after a warm-up, on what a leak moves and heap sizing does not: the live
 * heap (heap used right after the latest full GC) and the memory outside the JavaScript heap (RSS
 * minus the heap V8 has reserved). Not on RSS: under the soak's load V8 lets a worker's heap grow to
 * three or four times its live size before a full GC, so its RSS swings by 100 MiB and more (about
 * 135 to 240 MiB, peaks near 300) with a flat live heap, and a comparison of RSS means only says where
 * in that cycle the last minute fell (2026-12-04: every 10-minute run at 300/s "failed" so; docs/operations.md "Soak test" has
 * the figures). A leak of even 25 KiB/s still shows: 10 MiB of live heap over the 7 minutes judged.
 */
import fs from 'node:fs';

import { METRICS_TOKEN, type SoakProcess } from './cluster.ts';

/** A process's heap figures from its /metrics (MiB), or null when it did not answer. */
export interface HeapFigures {
  /** rollcall_process_heap_used_bytes: in use now, uncollected garbage included. */
  usedMiB: number;
  /** rollcall_process_heap_used_after_gc_bytes: in use right after the latest full GC (the live heap). */
  afterGcMiB: number;
  /** rollcall_process_heap_total_bytes: what V8 has reserved for the heap. */
  totalMiB: number;
  /** rollcall_process_external_bytes: Buffers and other memory outside the heap. */
  externalMiB: number;
}

export interface MemorySample {
  t: number;
  rssMiB: Record<string, number | null>;
  heap: Record<string, HeapFigures | null>;
}

export interface MemoryVerdict {
  name: string;
  /** RSS: mean of the first and last minutes (thirds for runs under 3 minutes), peak, growth. */
  firstMiB: number;
  lastMiB: number;
  peakMiB: number;
  growthPct: number;
  /** Live heap (heap used after the latest full GC), after warm-up and at the end; null without heap figures. */
  liveHeap: Judged | null;
  /** RSS minus the heap V8 has reserved, after warm-up and at the end; null without heap figures. */
  outsideHeap: Judged | null;
  /** What grew too much, in words (empty: pass). */
  failures: string[];
  pass: boolean;
}

export function rssMiB(pid: number | undefined): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round((kb / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** The heap gauges in a /metrics answer (src/lib/metrics.ts renderMemory), or null when one is missing. */
export function heapFromMetrics(text: string): HeapFigures | null {
  const read = (name: string) => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : NaN;
  };
  const f = {
    usedMiB: mib(read('rollcall_process_heap_used_bytes')),
    afterGcMiB: mib(read('rollcall_process_heap_used_after_gc_bytes')),
    totalMiB: mib(read('rollcall_process_heap_total_bytes')),
    externalMiB: mib(read('rollcall_process_external_bytes')),
  };
  return Object.values(f).every(Number.isFinite) ? f : null;
}

async function heapOf(p: SoakProcess): Promise<HeapFigures | null> {
  try {
    const res = await fetch(p.metricsUrl, { headers: { authorization: `Bearer ${METRICS_TOKEN}` }, signal: AbortSignal.timeout(5_000) });
    return res.ok ? heapFromMetrics(await res.text()) : null;
  } catch {
    return null;
  }
}

/** Every 10 s: each process's RSS (from /proc, at once) and its heap gauges (from its /metrics). */
export function startMemorySampler(procs: SoakProcess[], everyMs = 10_000): { samples: MemorySample[]; stop(): Promise<void> } {
  const samples: MemorySample[] = [];
  const pending = new Set<Promise<void>>();
  const t0 = Date.now();
  const take = () => {
    const sample: MemorySample = { t: Math.round((Date.now() - t0) / 1000), rssMiB: Object.fromEntries(procs.map((p) => [p.name, rssMiB(p.child.proc.pid)])), heap: {} };
    samples.push(sample);
    const p = Promise.all(procs.map(async (proc) => void (sample.heap[proc.name] = await heapOf(proc)))).then(() => undefined);
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    async stop() {
      clearInterval(timer);
      await Promise.all([...pending]);
    },
  };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

function median(xs: number[]): number | null {
  if (xs.length === 0) {
    return null;
  }
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The two windows compared: one right after the warm-up (10 s to 1 minute, starting after the
 * first fifth of the run, at most 2 minutes in) and the last one of the same length. For 10
 * minutes: 120–180 s against 540–600 s.
 */
export function memoryWindows(end: number): { base: [number, number]; last: [number, number] } {
  const span = Math.min(60, Math.max(10, end / 5));
  const warm = Math.min(120, end / 5);
  return { base: [warm, warm + span], last: [Math.max(0, end - span), end] };
}

/** Growth bounds: a figure fails when it grows by more than `pct` % AND by more than `mib` MiB. */
export const LIVE_HEAP_BOUND = { pct: 25, mib: 10 };
export const OUTSIDE_HEAP_BOUND = { pct: 25, mib: 30 };
/** Used only when a process's heap figures are missing (its /metrics did not answer): the old RSS rule. */
export const RSS_BOUND = { pct: 25, mib: 50 };

export interface Judged {
  baseMiB: number;
  lastMiB: number;
  growthPct: number;
  pass: boolean;
}

function judged(base: number | null, last: number | null, bound: { pct: number; mib: number }): Judged | null {
  if (base === null || last === null) {
    return null;
  }
  const growthPct = base > 0 ? ((last - base) / base) * 100 : 0;
  return { baseMiB: Math.round(base * 10) / 10, lastMiB: Math.round(last * 10) / 10, growthPct: Math.round(growthPct * 10) / 10, pass: !(growthPct > bound.pct && last - base > bound.mib) };
}

/**
 * Verdict per process (docs/operations.md "Soak test" has the figures behind it). What is judged is
 * what a leak moves, not what V8's heap sizing moves:
 * - the live heap: the median of "heap used after the latest full GC" in each window (a leak of
 *   JavaScript objects raises it; garbage waiting for the next full GC does not);
 * - memory outside the JavaScript heap: the median of RSS minus the heap V8 has reserved (a leak of
 *   Buffers or native memory raises it; V8 growing or shrinking its heap does not).
 * Medians, because the two figures of a sample are read a few ms apart and a full GC in between
 * (RSS already down, the reservation not yet) makes a low outlier.
 * RSS itself swings by 100 MiB and more between full GCs under load (V8 lets the old generation grow
 * to a multiple of the live heap before collecting), so its first and last minutes are reported but
 * not judged, unless the heap figures are missing: then the old rule applies to RSS.
 */
export function judgeMemory(samples: MemorySample[], names: string[]): MemoryVerdict[] {
  const end = samples.at(-1)?.t ?? 0;
  const { base, last } = memoryWindows(end);
  const rssWindow = end >= 180 ? 60 : Math.max(10, end / 3);
  const inWindow = ([from, to]: [number, number]) => samples.filter((s) => s.t >= from && s.t <= to);
  return names.map((name) => {
    const rss = (s: MemorySample) => s.rssMiB[name] ?? null;
    const values = (xs: MemorySample[], f: (s: MemorySample) => number | null) => xs.map(f).filter((v): v is number => v !== null);
    const first = values(samples.filter((s) => s.t <= rssWindow), rss);
    const lastRss = values(samples.filter((s) => s.t >= end - rssWindow), rss);
    const all = values(samples, rss);
    const f = mean(first);
    const l = mean(lastRss);
    const live = (s: MemorySample) => s.heap[name]?.afterGcMiB ?? null;
    const outside = (s: MemorySample) => {
      const h = s.heap[name];
      const r = rss(s);
      return h && r !== null ? r - h.totalMiB : null;
    };
    const liveHeap = judged(median(values(inWindow(base), live)), median(values(inWindow(last), live)), LIVE_HEAP_BOUND);
    const outsideHeap = judged(median(values(inWindow(base), outside)), median(values(inWindow(last), outside)), OUTSIDE_HEAP_BOUND);
    const rssJudged = judged(f, l, RSS_BOUND);
    const failures: string[] = [];
    if (liveHeap && !liveHeap.pass) {
      failures.push(`live heap ${liveHeap.baseMiB} → ${liveHeap.lastMiB} MiB (+${liveHeap.growthPct} %)`);
    }
    if (outsideHeap && !outsideHeap.pass) {
      failures.push(`outside the heap ${outsideHeap.baseMiB} → ${outsideHeap.lastMiB} MiB (+${outsideHeap.growthPct} %)`);
    }
    if (!liveHeap || !outsideHeap) {
      if (all.length === 0) {
        failures.push('no memory figures');
      } else if (rssJudged && !rssJudged.pass) {
        failures.push(`no heap figures, and RSS ${Math.round(f)} → ${Math.round(l)} MiB (+${rssJudged.growthPct} %)`);
      }
    }
    return {
      name,
      firstMiB: Math.round(f),
      lastMiB: Math.round(l),
      peakMiB: Math.round(Math.max(0, ...all)),
      growthPct: rssJudged?.growthPct ?? 0,
      liveHeap,
      outsideHeap,
      failures,
      pass: failures.length === 0,
    };
  });
}

/** One line for the invariant's detail: each process's live heap after warm-up → at the end, else its RSS. */
export function memorySummary(verdicts: MemoryVerdict[]): string {
  return (
    'live heap after warm-up → at the end: ' +
    verdicts.map((v) => (v.liveHeap ? `${v.name} ${Math.round(v.liveHeap.baseMiB)} → ${Math.round(v.liveHeap.lastMiB)} MiB` : `${v.name} (no heap figures; RSS ${v.firstMiB} → ${v.lastMiB} MiB)`)).join(', ')
  );
}
