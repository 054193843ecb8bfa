/**
 * The soak report in Markdown: what ran, requests by kind with rates and latencies, outcomes,
 * invariant verdicts, memory samples and log line counts.
 */
import os from 'node:os';

import type { Check } from './check.ts';
import type { OptOutFigures } from './check-messages.ts';
import type { RequestRecord } from './client.ts';
import type { LogCounts } from './cluster.ts';
import type { DrainResult } from './drain.ts';
import { type Judged, LIVE_HEAP_BOUND, type MemorySample, type MemoryVerdict, memoryWindows, OUTSIDE_HEAP_BOUND } from './memory.ts';
import type { TrafficSummary } from './traffic.ts';
import { renderTimeUse, type TimeUse } from './time-use.ts';
import { percentile } from '../support/stats.ts';

export interface ReportInput {
  startedAt: Date;
  command: string;
  durationS: number;
  rate: number;
  pgVersion: string;
  traffic: TrafficSummary;
  records: RequestRecord[];
  drain: DrainResult;
  checks: Check[];
  byStatus: Map<string, number>;
  optOut: OptOutFigures;
  memory: { samples: MemorySample[]; verdicts: MemoryVerdict[] };
  logs: LogCounts;
  processes: string[];
  timeUse: TimeUse;
}

const ms = (v: number) => (v < 10 ? v.toFixed(1) : String(Math.round(v)));

function requestTable(records: RequestRecord[], seconds: number): string[] {
  const kinds = new Map<string, RequestRecord[]>();
  for (const r of records) {
    kinds.set(r.kind, [...(kinds.get(r.kind) ?? []), r]);
  }
  const lines = ['| kind | requests | per s | p50 ms | p99 ms | max ms | answers |', '|---|---:|---:|---:|---:|---:|---|'];
  const row = (kind: string, rs: RequestRecord[]) => {
    const lat = rs.map((r) => r.ms).sort((a, b) => a - b);
    const statuses = new Map<number, number>();
    for (const r of rs) {
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    const answers = [...statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s === 0 ? 'no answer' : s}: ${n}`).join(', ');
    lines.push(`| ${kind} | ${rs.length} | ${(rs.length / seconds).toFixed(1)} | ${ms(percentile(lat, 50, { empty: 0 }))} | ${ms(percentile(lat, 99, { empty: 0 }))} | ${ms(lat.at(-1) ?? 0)} | ${answers} |`);
  };
  for (const [kind, rs] of [...kinds.entries()].sort((a, b) => b[1].length - a[1].length)) {
    row(kind, rs);
  }
  row('**all**', records);
  return lines;
}

const mib = (v: number | undefined) => (v === undefined ? '–' : String(Math.round(v)));
const growth = (j: Judged | null) => (j ? ` (${j.growthPct >= 0 ? '+' : ''}${j.growthPct} %)` : '');

function memoryIntro(samples: MemorySample[]): string[] {
  const { base, last } = memoryWindows(samples.at(-1)?.t ?? 0);
  const s = ([a, b]: [number, number]) => `${Math.round(a)}–${Math.round(b)} s`;
  return [
    `Judged on what a leak moves (bench/soak/memory.ts; docs/operations.md "Soak test"): the **live heap** (heap used right after the latest full GC) and the memory **outside the heap** (RSS minus the heap V8 has reserved), medians over ${s(base)} (after warm-up) and ${s(last)} (the end). Each fails when it grows by more than ${LIVE_HEAP_BOUND.pct} % and ${LIVE_HEAP_BOUND.mib} MiB (live heap) or ${OUTSIDE_HEAP_BOUND.pct} % and ${OUTSIDE_HEAP_BOUND.mib} MiB (outside). RSS itself is shown, not judged: between full GCs V8 lets the heap grow to a multiple of the live heap, so RSS swings by 100 MiB under load without a leak.`,
  ];
}

function memoryCell(s: MemorySample, name: string): string {
  const h = s.heap[name];
  const rss = s.rssMiB[name];
  return `${rss === null || rss === undefined ? '–' : Math.round(rss)}${h ? ` / ${Math.round(h.afterGcMiB)} / ${Math.round(h.usedMiB)} / ${Math.round(h.totalMiB)}` : ''}`;
}

export function renderReport(r: ReportInput): string {
  const failed = r.checks.filter((c) => !c.pass);
  const effect = [...r.optOut.effectMs].sort((a, b) => a - b);
  const steady = r.records.filter((x) => x.kind !== 'setup' && x.kind !== 'check');
  const out = [
    `# Soak test — ${failed.length === 0 ? 'PASS' : `FAIL (${failed.length} invariant${failed.length > 1 ? 's' : ''})`}`,
    '',
    `- Date: ${r.startedAt.toISOString()}; command: \`${r.command}\``,
    `- Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${r.pgVersion}; shared with other work, so latencies are noisy`,
    `- System: ${r.processes.join(', ')} on one fresh PostgreSQL database; gateway \`http\` to a fake vendor in the soak process (1 call in 40 refused with 503, retried after 1 s, 2 s)`,
    `- Load: ${r.traffic.seconds.toFixed(0)} s at ${r.rate} actions/s (${r.traffic.ticks} ticks, ${(r.traffic.ticks / r.traffic.seconds).toFixed(1)}/s; ${r.traffic.skipped} skipped at 40 in flight), then drain ${r.drain.seconds.toFixed(0)} s (${r.drain.settled ? 'settled' : `NOT settled: ${JSON.stringify(r.drain.left)}`})`,
    `- Requests: ${steady.length} (${(steady.length / r.traffic.seconds).toFixed(1)}/s) over both servers: ${[0, 1].map((s) => `server ${s + 1}: ${steady.filter((x) => x.server === s).length}`).join(', ')}`,
    '',
    '## Invariants',
    '',
    '| invariant | result | detail |',
    '|---|---|---|',
    ...r.checks.map((c) => `| ${c.name} | ${c.pass ? 'pass' : '**FAIL**'} | ${c.detail.join('<br>').replace(/\|/g, '\\|')} |`),
    '',
    '## Requests by kind',
    '',
    ...requestTable(steady, r.traffic.seconds),
    '',
    '## Outcomes',
    '',
    `- Outbound messages by final status: ${[...r.byStatus.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `- STOP acknowledged → handled (opt-out in effect): ${effect.length} STOPs, p50 ${ms(percentile(effect, 50, { empty: 0 }))} ms, p99 ${ms(percentile(effect, 99, { empty: 0 }))} ms, max ${ms(effect.at(-1) ?? 0)} ms`,
    `- Sends to a number after its STOP was acknowledged but within 1 s of the opt-out taking effect (in flight): ${r.optOut.sendsInGrace}; later: ${r.optOut.sendsAfterGrace}`,
    `- Log lines at warn: ${r.logs.warn}, at error or fatal: ${r.logs.error}, not JSON: ${r.logs.other}`,
    ...[...r.logs.errors.entries()].map(([k, n]) => `  - error ×${n}: ${k}`),
    ...[...r.logs.warnings.entries()].slice(0, 10).map(([k, n]) => `  - warn ×${n}: ${k}`),
    '',
    ...renderTimeUse(r.timeUse),
    '## Memory (MiB)',
    '',
    ...memoryIntro(r.memory.samples),
    '',
    '| process | live heap after warm-up | live heap at the end | outside the heap after warm-up | outside the heap at the end | RSS first minute | RSS last minute | RSS peak | result |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...r.memory.verdicts.map(
      (v) =>
        `| ${v.name} | ${mib(v.liveHeap?.baseMiB)} | ${mib(v.liveHeap?.lastMiB)}${growth(v.liveHeap)} | ${mib(v.outsideHeap?.baseMiB)} | ${mib(v.outsideHeap?.lastMiB)}${growth(v.outsideHeap)} | ${v.firstMiB} | ${v.lastMiB} | ${v.peakMiB} | ${v.pass ? 'pass' : `**FAIL**: ${v.failures.join('; ')}`} |`,
    ),
    '',
    `Samples every 10 s${r.memory.samples.length > 40 ? ' (every 6th shown)' : ''}: RSS / heap used after the latest full GC / heap used now / heap reserved (heap total), MiB:`,
    '',
    `| t (s) | ${r.memory.verdicts.map((v) => v.name).join(' | ')} |`,
    `|---:|${r.memory.verdicts.map(() => '---:').join('|')}|`,
    ...r.memory.samples
      .filter((_, i, all) => all.length <= 40 || i % 6 === 0 || i === all.length - 1)
      .map((s) => `| ${s.t} | ${r.memory.verdicts.map((v) => memoryCell(s, v.name)).join(' | ')} |`),
    '',
  ];
  return out.join('\n');
}
