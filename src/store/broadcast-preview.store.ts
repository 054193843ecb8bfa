/**
 * @module store/broadcast-preview.store — the broadcast composer's recipient count, set-based: the
 * cases a broadcast would reach, grouped by what decides whether each can be sent to
 * (services/broadcast-preview.service.ts turns the groups into reasons). No case leaves the database.
 *
 * Two statements, so the big one stays cheap enough for a million cases in well under a second:
 * 1. every case, grouped by narrow columns only — closed, no number, the stored readings of the
 *    contact properties and the number's prefix (migration 0014: prop_language, prop_gateway,
 *    prop_consent, prop_phone_blank, phone_prefix) and two yes/no tests of the number (routed; may
 *    need consent). The planner knows these have few values, so it scans in parallel and hashes
 *    partial groups; no join.
 * 2. the cases whose number is opted out or held for review (an open possible opt-out): driven from
 *    those numbers (few) through the cases' number index, grouped the same way; the caller takes
 *    them out of their groups of (1).
 * A third reads the consent candidates of some prefixes number by number, when the caller cannot
 * decide consent for a whole prefix (`exact`).
 * `cases.phone_number` is the number as every case write (and the re-check after a settings change)
 * normalised it under the project's rules; null when the property is missing or invalid.
 */
import { type RawBuilder, sql } from 'kysely';

import type { Db, Trx } from './database.ts';

export type PreviewSource = { caseType: string; where: Record<string, string> } | { caseIds: readonly string[] };

export interface PreviewOptions {
  /** The digit prefixes of the SMS routes (a number starting with one is routed); true: every number (a `*` route); false: none. */
  routed: readonly string[] | boolean;
  /** Calling codes shared with a consent country: a case without consent whose number starts with one is a consent candidate. */
  consentCodes: readonly string[];
}

/** One group of cases that the checks treat alike. */
export interface PreviewGroup {
  closed: boolean;
  /** No valid number (`blank`: the property is missing, blank or "0", so none at all). */
  noNumber: boolean;
  blank: boolean;
  /** The language and gateway properties as read (lower- and upper-cased; null: none). */
  language: string | null;
  gateway: string | null;
  routed: boolean;
  /** A consent candidate: its number's first five characters (or, read exactly, the number), with the first and last number of the group. */
  consentKey: string | null;
  minNumber: string | null;
  maxNumber: string | null;
  optedOut: boolean;
  held: boolean;
  n: number;
}

function sourceFilter(source: PreviewSource): RawBuilder<unknown> {
  if ('caseIds' in source) {
    return sql`c.id = any(${[...source.caseIds]}::uuid[])`;
  }
  return Object.keys(source.where).length
    ? sql`c.case_type = ${source.caseType} and c.closed = false and c.properties @> ${JSON.stringify(source.where)}::jsonb`
    : sql`c.case_type = ${source.caseType} and c.closed = false`;
}

function routedExpr(routed: PreviewOptions['routed']): RawBuilder<unknown> {
  return typeof routed === 'boolean' ? sql`${routed}::boolean` : sql`coalesce(c.phone_number like any(${routed.map((p) => `+${p}%`)}::text[]), false)`;
}

/**
 * Whether a case is a consent candidate: open, no consent, a number with a consent calling code.
 * Written over phone_prefix (not phone_number), so the planner counts its groups from that column's
 * statistics: a handful, not one per case.
 */
function candidateExpr(opts: PreviewOptions): RawBuilder<unknown> {
  if (opts.consentCodes.length === 0) {
    return sql`false`;
  }
  return sql`coalesce(not c.closed and not c.prop_consent and c.phone_prefix like any(${opts.consentCodes.map((code) => `+${code}%`)}::text[]), false)`;
}

type Row = { closed: boolean; no_number: boolean; blank: boolean; language: string | null; gateway: string | null; routed: boolean; consent_key: string | null; min_number?: string | null; max_number?: string | null; opted_out?: boolean; held?: boolean; n: string };

function toGroup(r: Row, n = Number(r.n)): PreviewGroup {
  return {
    closed: r.closed,
    noNumber: r.no_number,
    blank: r.blank,
    language: r.language,
    gateway: r.gateway,
    routed: r.routed,
    consentKey: r.consent_key,
    minNumber: r.min_number ?? null,
    maxNumber: r.max_number ?? null,
    optedOut: r.opted_out ?? false,
    held: r.held ?? false,
    n,
  };
}

async function inTransaction<T>(db: Db, run: (trx: Trx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    // Should the planner still guess many groups, hashing them beats sorting a million rows; and a
    // JIT compile costs more than it saves here.
    await sql`set local enable_sort = off`.execute(trx);
    await sql`set local jit = off`.execute(trx);
    return run(trx);
  });
}

const sigOf = (r: Row) => [r.closed, r.no_number, r.blank, r.language, r.gateway, r.routed, r.consent_key].join('\u0000');

/**
 * The groups of the recipients: consent candidates by the first five characters of their number,
 * except those of the `exact` prefixes, number by number. `found` is how many cases they are.
 */
export async function previewGroups(db: Db, projectId: string, source: PreviewSource, opts: PreviewOptions, exact: readonly string[] = []): Promise<{ groups: PreviewGroup[]; found: number }> {
  const filter = sourceFilter(source);
  const routed = routedExpr(opts.routed);
  const candidate = candidateExpr(opts);
  // Grouped by position (1–7): an expression with parameters written twice would not match itself.
  const select = sql`c.closed as closed, c.phone_number is null as no_number, c.prop_phone_blank as blank, c.prop_language as language, c.prop_gateway as gateway, ${routed} as routed,
    case when ${candidate} then c.phone_prefix end as consent_key`;
  return inTransaction(db, async (trx) => {
    const all = await sql<Row>`
      select ${select}, count(*) as n, min(c.phone_number) as min_number, max(c.phone_number) as max_number
      from cases c
      where c.project_id = ${projectId} and c.deleted_at is null and ${filter}
      group by 1, 2, 3, 4, 5, 6, 7
    `.execute(trx);
    const flagged = await sql<Row>`
      select ${select}, o.number is not null as opted_out, o.number is null and h.number is not null as held, count(*) as n,
        min(c.phone_number) as min_number, max(c.phone_number) as max_number
      from (select number from opt_outs where opted_out union select number from possible_opt_outs where project_id = ${projectId} and status = 'open') as f(number)
      join cases c on c.project_id = ${projectId} and c.phone_number = f.number
      left join opt_outs o on o.number = c.phone_number and o.opted_out
      left join (select distinct number from possible_opt_outs where project_id = ${projectId} and status = 'open') h on h.number = c.phone_number
      where c.deleted_at is null and not c.closed and ${filter}
      group by 1, 2, 3, 4, 5, 6, 7, 8, 9
    `.execute(trx);
    const exactSet = new Set(exact);
    const numbers = exact.length
      ? await sql<Row>`
          select ${select}, o.number is not null as opted_out, o.number is null and h.number is not null as held, count(*) as n, c.phone_number as min_number
          from cases c
          left join opt_outs o on o.number = c.phone_number and o.opted_out
          left join (select distinct number from possible_opt_outs where project_id = ${projectId} and status = 'open') h on h.number = c.phone_number
          where c.project_id = ${projectId} and c.deleted_at is null and ${filter} and ${candidate} and c.phone_prefix = any(${[...exact]}::text[])
          group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 11
        `.execute(trx)
      : { rows: [] as Row[] };
    // Every case once: each group less its flagged cases, then the flagged cases.
    const less = new Map<string, number>();
    for (const r of flagged.rows) {
      less.set(sigOf(r), (less.get(sigOf(r)) ?? 0) + Number(r.n));
    }
    const groups: PreviewGroup[] = [];
    let found = 0;
    for (const r of all.rows) {
      found += Number(r.n);
      if (r.consent_key !== null && exactSet.has(r.consent_key)) {
        continue;
      }
      const n = Number(r.n) - (less.get(sigOf(r)) ?? 0);
      if (n > 0) {
        groups.push(toGroup(r, n));
      }
    }
    for (const r of flagged.rows) {
      if (r.consent_key !== null && exactSet.has(r.consent_key)) {
        continue;
      }
      groups.push(toGroup(r));
    }
    groups.push(...numbers.rows.map((r) => toGroup({ ...r, consent_key: r.min_number ?? r.consent_key, max_number: r.min_number ?? null })));
    return { groups, found };
  });
}
