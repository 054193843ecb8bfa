/**
 * Resident memory of the soak's processes, read from /proc/<pid>/status (VmRSS) every 10 s.
 * Verdict: a process fails when its mean RSS over the last minute exceeds its mean over the first
 * minute by more than 25 % AND by more than 50 MiB. Both conditions, because a Node process's RSS
 * moves by tens of MiB with heap growth and GC timing alone (a 150 MiB process going to 190 MiB
 * after JIT warm-up and pool fill is not a leak), while a real leak under steady load keeps
 * growing: over 10 minutes a leak of even 100 KiB/s shows as 60 MiB. The first minute includes
 * warm-up (module loading, connection pools, caches filling), so the comparison is conservative.
 * Runs shorter than 3 minutes compare the first and last third instead of minutes.
 */
import fs from 'node:fs';

import type { SoakProcess } from './cluster.ts';

export interface MemorySample {
  t: number;
  rssMiB: Record<string, number | null>;
}

export interface MemoryVerdict {
  name: string;
  firstMiB: number;
  lastMiB: number;
  peakMiB: number;
  growthPct: number;
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

export function startMemorySampler(procs: SoakProcess[], everyMs = 10_000): { samples: MemorySample[]; stop(): void } {
  const samples: MemorySample[] = [];
  const t0 = Date.now();
  const take = () => samples.push({ t: Math.round((Date.now() - t0) / 1000), rssMiB: Object.fromEntries(procs.map((p) => [p.name, rssMiB(p.child.proc.pid)])) });
  take();
  const timer = setInterval(take, everyMs);
  return { samples, stop: () => clearInterval(timer) };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export function judgeMemory(samples: MemorySample[], names: string[]): MemoryVerdict[] {
  const end = samples.at(-1)?.t ?? 0;
  const window = end >= 180 ? 60 : Math.max(10, end / 3);
  return names.map((name) => {
    const at = (s: MemorySample) => s.rssMiB[name];
    const first = samples.filter((s) => s.t <= window).map(at).filter((v): v is number => v !== null);
    const last = samples.filter((s) => s.t >= end - window).map(at).filter((v): v is number => v !== null);
    const all = samples.map(at).filter((v): v is number => v !== null);
    const f = mean(first);
    const l = mean(last);
    const growth = f > 0 ? ((l - f) / f) * 100 : 0;
    return {
      name,
      firstMiB: Math.round(f),
      lastMiB: Math.round(l),
      peakMiB: Math.round(Math.max(0, ...all)),
      growthPct: Math.round(growth * 10) / 10,
      pass: all.length > 0 && !(growth > 25 && l - f > 50),
    };
  });
}
