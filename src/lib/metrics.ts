/**
 * @module lib/metrics — counters and histograms of this process, rendered in the Prometheus
 * text format (version 0.0.4) by GET /metrics together with gauges read from the database at
 * scrape time. Per-process figures follow Prometheus practice: each process is scraped on its own
 * and the sums are taken by the query.
 */

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

/** The metrics this process keeps; created once by the composition root. */
export class ProcessMetrics {
  readonly dispatched = new Counter('rollcall_dispatch_results_total', 'Outbound messages finished by the dispatch workers of this process, by status and error code.');
  readonly webhookRequests = new Counter('rollcall_webhook_requests_total', 'Gateway webhook requests answered by this process, by kind (inbound, status) and HTTP status.');
  readonly webhookSeconds = new Histogram('rollcall_webhook_duration_seconds', 'Time from a gateway webhook request to its answer (inbound: after the message is committed).');

  render(): string[] {
    return [...this.dispatched.render(), ...this.webhookRequests.render(), ...this.webhookSeconds.render()];
  }
}
