/**
 * Where the soak's time goes: CPU time of each Rollcall process, of PostgreSQL's processes and of
 * the soak itself (the load generator and the fake vendor), read from /proc/<pid>/stat at the start
 * and end of the load; and what PostgreSQL's busy backends of the soak database were doing, sampled
 * from pg_stat_activity every second (a backend running on the CPU has no wait event; one waiting
 * on a lock, on WAL flush or on the client shows what it waits for).
 */
import fs from 'node:fs';

import type pg from 'pg';

import type { SoakProcess } from './cluster.ts';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

function cpuSecondsOf(pid: number | undefined): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return null;
  }
}

/** CPU seconds used so far by the living processes of that name (PostgreSQL's server and backends; PgBouncer). */
function cpuSecondsNamed(name: string): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) {
        total += cpuSecondsOf(Number(entry)) ?? 0;
      }
    } catch {
      // ended meanwhile
    }
  }
  return total;
}

export interface TimeUse {
  seconds: number;
  /** CPU seconds per process over the load, and the share of one core that is. */
  cpu: Array<{ name: string; cpuS: number; corePct: number }>;
  /** What active backends were doing: samples per state, most first. */
  waits: Array<{ what: string; samples: number; pct: number }>;
  /** Active backends seen per sample, on average. */
  meanActive: number;
}

export function startTimeUse(procs: SoakProcess[], db: pg.Pool, dbName: string, everyMs = 1_000): { stop(): Promise<TimeUse> } {
  const t0 = performance.now();
  const own0 = process.cpuUsage();
  const start = new Map(procs.map((p) => [p.name, cpuSecondsOf(p.child.proc.pid) ?? 0]));
  const pg0 = cpuSecondsNamed('postgres');
  const bouncer0 = cpuSecondsNamed('pgbouncer');
  const counts = new Map<string, number>();
  let samples = 0;
  let active = 0;
  let sampling: Promise<void> = Promise.resolve();
  const sample = async () => {
    try {
      const { rows } = await db.query<{ what: string; n: string }>(
        `select coalesce(wait_event_type || ': ' || wait_event, 'on the CPU (no wait event)') as what, count(*) as n
           from pg_stat_activity
          where datname = $1 and state = 'active' and pid <> pg_backend_pid()
          group by 1`,
        [dbName],
      );
      samples++;
      for (const r of rows) {
        counts.set(r.what, (counts.get(r.what) ?? 0) + Number(r.n));
        active += Number(r.n);
      }
    } catch {
      // a sample lost to a busy pool is only a sample
    }
  };
  const timer = setInterval(() => {
    sampling = sampling.then(sample);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await sampling;
      const seconds = (performance.now() - t0) / 1000;
      const own = process.cpuUsage(own0);
      const rows = procs.map((p) => ({ name: p.name, cpuS: (cpuSecondsOf(p.child.proc.pid) ?? 0) - (start.get(p.name) ?? 0) }));
      // Backends that ended during the load take their CPU time with them (a lower bound), and
      // backends of other databases on the same server count too (an upper bound on a shared machine).
      rows.push({ name: 'PostgreSQL (all its processes)', cpuS: cpuSecondsNamed('postgres') - pg0 });
      const bouncer = cpuSecondsNamed('pgbouncer') - bouncer0;
      if (bouncer >= 0.05) {
        rows.push({ name: 'PgBouncer', cpuS: bouncer });
      }
      rows.push({ name: 'soak (load, fake vendor, checks)', cpuS: (own.user + own.system) / 1e6 });
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      return {
        seconds,
        cpu: rows.map((r) => ({ ...r, cpuS: Math.round(r.cpuS * 10) / 10, corePct: Math.round((r.cpuS / seconds) * 1000) / 10 })),
        waits: [...counts.entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([what, n]) => ({ what, samples: n, pct: total ? Math.round((n / total) * 1000) / 10 : 0 })),
        meanActive: samples ? Math.round((active / samples) * 10) / 10 : 0,
      };
    },
  };
}

/** The report's section. */
export function renderTimeUse(t: TimeUse): string[] {
  const cores = t.cpu.reduce((a, r) => a + r.corePct, 0) / 100;
  return [
    '## Where the time goes',
    '',
    `CPU over the ${t.seconds.toFixed(0)} s of load (/proc/<pid>/stat; ${cores.toFixed(2)} cores busy in all, of the machine's cores):`,
    '',
    '| process | CPU s | share of one core |',
    '|---|---|---|',
    ...t.cpu.map((r) => `| ${r.name} | ${r.cpuS} | ${r.corePct} % |`),
    '',
    `PostgreSQL's active backends on the soak database, sampled every second (${t.meanActive} active on average):`,
    '',
    '| doing | samples | share |',
    '|---|---|---|',
    ...t.waits.slice(0, 12).map((w) => `| ${w.what} | ${w.samples} | ${w.pct} % |`),
    '',
  ];
}
