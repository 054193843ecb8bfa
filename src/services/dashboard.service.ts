/**
 * @module services/dashboard.service — the project dashboard (UI.md Overview; issue 24): contacts
 * by phone status, messages per local day for 30 days, top failure codes, recent opt-outs,
 * self-registrations and imports. The same figures serve the page and the API.
 *
 * How it stays fast on a million cases and ten million messages (docs/architecture.md "Dashboard
 * figures"):
 * - message figures come from per-15-minute counts kept by statement-level triggers (migration
 *   0013) and folded by `dashboardMaintenanceStep`; a read sums counts and unfolded deltas, so it
 *   is exact at once, loop or not;
 * - contact figures of a small project (at most `LIVE_CONTACTS_LIMIT` cases when last counted)
 *   are counted on every load; those of a larger one are read from the last background count and
 *   shown with its time.
 */
import { Temporal } from 'temporal-polyfill';

import type { Project } from '../domain/project.ts';
import { describeKnownCode } from '../errors.ts';
import {
  type ContactCounts,
  countContactsChunk,
  emptyContactCounts,
  foldMessageDeltas,
  hasAnyGateway,
  messagesPerDay,
  readContactCounts,
  recentImports,
  recentOptOuts,
  recentRegistrations,
  saveContactCounts,
  staleContactCounts,
  type StoredContactCounts,
  topFailureCodes,
} from '../store/dashboard.store.ts';
import type { Db } from '../store/database.ts';
import type { ServiceDeps } from './deps.ts';

/** Days in the chart, today included. */
export const CHART_DAYS = 30;
/** A project with at most this many cases (when last counted) has its contacts counted on every load. */
export const LIVE_CONTACTS_LIMIT = 5_000;
/** How old the stored contact counts of a larger project may get before the background loop counts again. */
export const CONTACT_COUNTS_MAX_AGE_MS = 5 * 60_000;
/** Cases per counting statement: the background count yields to requests between chunks. */
const CONTACT_CHUNK = 10_000;
const RECENT = 5;
const TOP_FAILURES = 5;

export interface DayFigures {
  /** The local day, YYYY-MM-DD in the project's time zone. */
  day: string;
  sent: number;
  failed: number;
  received: number;
}

export interface FailureFigure {
  code: string;
  /** The catalogue's description (null for a code the catalogue does not know). */
  description: string | null;
  count: number;
}

export interface DashboardView {
  project: string;
  timeZone: string;
  generatedAt: string;
  contacts: ContactCounts & {
    /** When these were counted; null when counted for this answer. */
    asOf: string | null;
  };
  messages: {
    /** CHART_DAYS local days, oldest first, today last. */
    days: DayFigures[];
    totals: { sent: number; failed: number; received: number };
  };
  /** The most frequent failure codes of the same 30 days, most first. */
  failures: FailureFigure[];
  recent: {
    optOuts: Array<{ at: string; number: string | null; email: string | null; method: string; gateway: string | null; contact: { type: 'case' | 'mobile-worker'; id: string; name: string } | null }>;
    registrations: Array<{ at: string; type: 'case' | 'mobile-worker'; number: string | null; contact: { id: string; name: string } | null }>;
    imports: Array<{
      id: string;
      fileName: string;
      status: 'uploaded' | 'running' | 'done' | 'failed';
      rows: number;
      created: number;
      updated: number;
      skipped: number;
      failed: number;
      createdAt: string;
      finishedAt: string | null;
    }>;
  };
  /** Whether any gateway (the project's or a global one) exists: without one nothing can be sent. */
  hasGateway: boolean;
}

/** The local days of the chart and the instants they span: [from, to). */
export function chartDays(now: Date, zone: string, days = CHART_DAYS): { days: string[]; from: Date; to: Date } {
  const today = Temporal.Instant.fromEpochMilliseconds(now.getTime()).toZonedDateTimeISO(zone).toPlainDate();
  const first = today.subtract({ days: days - 1 });
  const list: string[] = [];
  for (let d = first; Temporal.PlainDate.compare(d, today) <= 0; d = d.add({ days: 1 })) {
    list.push(d.toString());
  }
  const start = (d: Temporal.PlainDate) => new Date(d.toZonedDateTime({ timeZone: zone }).epochMilliseconds);
  return { days: list, from: start(first), to: start(today.add({ days: 1 })) };
}

/** Counts a project's contacts now, chunk by chunk. */
export async function countContacts(db: Db, projectId: string, chunk = CONTACT_CHUNK): Promise<ContactCounts> {
  const total = emptyContactCounts();
  const types = new Map<string, number>();
  let after = '0';
  for (;;) {
    const part = await countContactsChunk(db, projectId, after, chunk);
    for (const [caseType, c] of part.byType) {
      total.total += c.total;
      total.twoWay += c.twoWay;
      total.oneWay += c.oneWay;
      total.invalid += c.invalid;
      total.none += c.none;
      total.optedOut += c.optedOut;
      total.noConsent += c.noConsent;
      types.set(caseType, (types.get(caseType) ?? 0) + c.total);
    }
    if (part.lastSeq === null || part.rows < chunk) {
      break;
    }
    after = part.lastSeq;
  }
  total.caseTypes = [...types].map(([caseType, n]) => ({ caseType, total: n })).sort((a, b) => b.total - a.total || a.caseType.localeCompare(b.caseType));
  return total;
}

/** Counts a project's contacts and stores the result (the background loop; tests call it to refresh at once). */
export async function refreshContactCounts(deps: ServiceDeps, projectId: string): Promise<StoredContactCounts> {
  const started = performance.now();
  const counts = await countContacts(deps.db, projectId);
  const stored = { counts, computedAt: deps.clock(), tookMs: performance.now() - started };
  await saveContactCounts(deps.db, projectId, stored);
  return stored;
}

/** The contact figures for a load: live for a small project, else the stored ones. */
async function contactFigures(deps: ServiceDeps, project: Project, liveLimit: number): Promise<DashboardView['contacts']> {
  const stored = await readContactCounts(deps.db, project.id);
  if (stored && stored.counts.total > liveLimit) {
    return { ...stored.counts, asOf: stored.computedAt.toISOString() };
  }
  const counts = await countContacts(deps.db, project.id);
  // Stored when first counted, and once the project outgrows live counting (later loads read it).
  if (!stored || counts.total > liveLimit) {
    await saveContactCounts(deps.db, project.id, { counts, computedAt: deps.clock(), tookMs: 0 });
  }
  return { ...counts, asOf: null };
}

export interface DashboardOptions {
  /** Default LIVE_CONTACTS_LIMIT. */
  liveContactsLimit?: number;
}

export async function getDashboard(deps: ServiceDeps, project: Project, options: DashboardOptions = {}): Promise<DashboardView> {
  const now = deps.clock();
  const zone = project.timeZone;
  const range = chartDays(now, zone);
  const db = deps.db;
  const [contacts, perDay, failures, optOuts, registrations, imports, hasGateway] = await Promise.all([
    contactFigures(deps, project, options.liveContactsLimit ?? LIVE_CONTACTS_LIMIT),
    messagesPerDay(db, project.id, zone, range.from, range.to),
    topFailureCodes(db, project.id, range.from, range.to, TOP_FAILURES),
    recentOptOuts(db, project.id, RECENT),
    recentRegistrations(db, project.id, RECENT),
    recentImports(db, project.id, RECENT),
    hasAnyGateway(db, project.id),
  ]);
  const byDay = new Map(range.days.map((day) => [day, { day, sent: 0, failed: 0, received: 0 }]));
  for (const r of perDay) {
    const d = byDay.get(r.day);
    if (d) {
      d[r.kind] += r.n;
    }
  }
  const days = [...byDay.values()];
  const totals = days.reduce((t, d) => ({ sent: t.sent + d.sent, failed: t.failed + d.failed, received: t.received + d.received }), { sent: 0, failed: 0, received: 0 });
  return {
    project: project.name,
    timeZone: zone,
    generatedAt: now.toISOString(),
    contacts,
    messages: { days, totals },
    failures: failures.map((f) => ({ code: f.code, description: describeKnownCode(f.code), count: f.n })),
    recent: {
      optOuts: optOuts.map((o) => ({ at: o.at.toISOString(), number: o.number, email: o.email, method: o.method, gateway: o.gatewayName, contact: o.contact })),
      registrations: registrations.map((r) => ({ at: r.at.toISOString(), type: r.type, number: r.number, contact: r.contact })),
      imports: imports.map((i) => ({
        id: i.id,
        fileName: i.fileName,
        status: i.status,
        rows: i.rowCount,
        created: i.created,
        updated: i.updated,
        skipped: i.skipped,
        failed: i.failed,
        createdAt: i.createdAt.toISOString(),
        finishedAt: i.finishedAt ? i.finishedAt.toISOString() : null,
      })),
    },
    hasGateway,
  };
}

/** Folds the message deltas into the counts now (the loop does it every few seconds). */
export async function foldDashboardCounts(deps: ServiceDeps): Promise<number> {
  return foldMessageDeltas(deps.db);
}

/** How often the background loop runs a step (Default: every 10 s). */
export const DASHBOARD_LOOP_MS = 10_000;

/**
 * One step of the background loop: fold the message deltas, then count the contacts of the
 * stalest large project whose counts are older than CONTACT_COUNTS_MAX_AGE_MS. Returns 1 when it
 * counted a project (more may be waiting), else 0.
 */
export async function dashboardMaintenanceStep(deps: ServiceDeps): Promise<number> {
  await foldMessageDeltas(deps.db);
  const [projectId] = await staleContactCounts(deps.db, new Date(deps.clock().getTime() - CONTACT_COUNTS_MAX_AGE_MS), LIVE_CONTACTS_LIMIT, 1);
  if (!projectId) {
    return 0;
  }
  await refreshContactCounts(deps, projectId);
  return 1;
}
