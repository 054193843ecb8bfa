/**
 * @module lib/metrics — counters and histograms of this process, rendered in the Prometheus
 * text format (version 0.0.4) by GET /metrics together with gauges read from the database at
 * scrape time. Per-process figures follow Prometheus practice: each process is scraped on its own
 * and the sums are taken by the query. The process memory gauges (RSS, heap, heap after the last
 * full GC, external) are read at scrape time.
 */

import { constants as perfConstants, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
}

function keyOf(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

export class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = keyOf(labels);
    const v = this.values.get(key);
    if (v) {
      v.value += by;
    } else {
      this.values.set(key, { labels, value: by });
    }
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) {
      lines.push(`${this.name}${formatLabels(labels)} ${value}`);
    }
    return lines;
  }
}

export class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds in seconds, ascending. */
    readonly buckets: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  ) {}

  observe(seconds: number, labels: Labels = {}): void {
    const key = keyOf(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    this.buckets.forEach((b, i) => {
      if (seconds <= b) {
        (s.counts[i] as number) += 1;
      }
    });
    s.sum += seconds;
    s.count += 1;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${formatLabels({ ...s.labels, le: String(b) })} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${formatLabels({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${formatLabels(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${formatLabels(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

/** What the memory gauges are read from: process.memoryUsage() and the heap used after the last full GC. */
export interface MemoryFigures {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** V8's used heap right after the most recent full (mark-sweep-compact) GC; before the first, the heap used now. */
  heapUsedAfterGc: number;
}

/** This process's memory now, given the used heap after the latest full GC (null: none seen yet, the heap used now stands in). */
function memoryNow(heapAfterLastFullGc: number | null): MemoryFigures {
  const m = process.memoryUsage();
  return { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, heapUsedAfterGc: heapAfterLastFullGc ?? m.heapUsed };
}

function memoryGauge(name: string, help: string, value: number): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`];
}

/** The process memory gauges in the Prometheus text format (ProcessMetrics.readMemory() gives the figures of this process). */
export function renderMemory(m: MemoryFigures): string[] {
  return [
    ...memoryGauge('rollcall_process_rss_bytes', 'Resident memory of this process (RSS).', m.rss),
    ...memoryGauge('rollcall_process_heap_total_bytes', 'Memory V8 has reserved for its JavaScript heap.', m.heapTotal),
    ...memoryGauge('rollcall_process_heap_used_bytes', 'JavaScript heap in use now, garbage not yet collected included.', m.heapUsed),
    ...memoryGauge('rollcall_process_heap_used_after_gc_bytes', 'JavaScript heap in use right after the latest full GC: the live heap (before the first full GC: the heap used now).', m.heapUsedAfterGc),
    ...memoryGauge('rollcall_process_external_bytes', 'Memory of C++ objects bound to JavaScript objects (Buffers and ArrayBuffers included).', m.external),
    ...memoryGauge('rollcall_process_array_buffers_bytes', 'Memory of ArrayBuffers and Buffers (part of external).', m.arrayBuffers),
  ];
}

/**
 * The metrics this process keeps; created once by the composition root (serviceDeps in main.ts),
 * closed by its owner (close() stops watching GCs).
 */
export class ProcessMetrics {
  readonly dispatched = new Counter('rollcall_dispatch_results_total', 'Outbound messages finished by the dispatch workers of this process, by status and error code.');
  readonly webhookRequests = new Counter('rollcall_webhook_requests_total', 'Gateway webhook requests answered by this process, by kind (inbound, status) and HTTP status.');
  readonly webhookSeconds = new Histogram('rollcall_webhook_duration_seconds', 'Time from a gateway webhook request to its answer (inbound: after the message is committed).');

  /** V8's used heap just after the latest full GC this instance saw; null before the first. */
  private heapAfterLastFullGc: number | null = null;
  /**
   * Watches this process's full GCs and keeps the used heap just after the latest: the live heap,
   * without the garbage `heapUsed` carries between collections. That is the figure that tells a
   * leak (it climbs) from V8 sizing its heap (RSS moves, it stays flat). The observer costs one
   * entry per GC; only full GCs read the heap. It does not keep the process alive.
   */
  private readonly gcObserver = new PerformanceObserver((list) => {
    if (list.getEntries().some((e) => (e as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR)) {
      this.heapAfterLastFullGc = v8.getHeapStatistics().used_heap_size;
    }
  });

  constructor() {
    this.gcObserver.observe({ entryTypes: ['gc'] });
  }

  /** This process's memory now (one process.memoryUsage() call: cheap enough for every scrape). */
  readMemory(): MemoryFigures {
    return memoryNow(this.heapAfterLastFullGc);
  }

  render(): string[] {
    return [...this.dispatched.render(), ...this.webhookRequests.render(), ...this.webhookSeconds.render(), ...renderMemory(this.readMemory())];
  }

  /** Stops watching GCs (idempotent). The figures stay readable; the heap after GC no longer moves. */
  close(): void {
    this.gcObserver.disconnect();
  }
}
