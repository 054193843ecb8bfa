/**
 * Invariants about contacts and the coarse jobs:
 * - at most one two-way (or pending) holder per number in the whole database, and through the API
 *   for every number two contacts claimed at once: exactly one of two consenting cases is two-way;
 *   of two workers verifying at once exactly one got `started`, and after the 123 reply exactly one
 *   is two-way;
 * - every worker number whose 123 reply was acknowledged ends two-way;
 * - every broadcast is done and its total matches the messages it queued;
 * - every import is done, and the cases it created exist.
 */
import type pg from 'pg';

import { check, type Check } from './check.ts';
import type { SoakClient } from './client.ts';
import { PROJECT } from './setup.ts';
import type { SoakState } from './state.ts';

const P = `/api/v1/projects/${PROJECT}`;

export async function checkTwoWay(db: pg.Pool, client: SoakClient, state: SoakState): Promise<Check[]> {
  const doubles = await db.query<{ number: string; n: string }>(`select number, count(*) as n from phone_entries where state in ('two-way', 'pending') group by number having count(*) > 1`);
  const bad = doubles.rows.map((r) => `${r.number}: ${r.n} two-way/pending holders in the database`);
  let i = 0;
  for (const c of state.contested) {
    const a = await client.call('check', i++, 'GET', `${P}/phone-numbers/${c.number.slice(1)}`, undefined, [200]);
    const entries = (a.json?.entries ?? []) as Array<{ state: string }>;
    const twoWay = entries.filter((e) => e.state === 'two-way').length;
    const holding = entries.filter((e) => e.state === 'two-way' || e.state === 'pending').length;
    if (holding > 1) {
      bad.push(`${c.number} (${c.kind}s): ${holding} holders through the API`);
    }
    if (c.ids.length === 2 && twoWay !== 1) {
      bad.push(`${c.number} (${c.kind}s): ${twoWay} two-way holders, expected exactly 1 (${entries.map((e) => e.state).join(', ')})`);
    }
    if (c.kind === 'worker' && c.ids.length === 2 && [...c.results].sort().join(',') !== 'already_in_use,started') {
      bad.push(`${c.number}: verify results ${c.results.join(', ')}`);
    }
  }
  const workerNums = state.workerNumbers.map((w) => w.number);
  const verified = await db.query<{ number: string }>(`select number from phone_entries where owner_type = 'mobile-worker' and state = 'two-way' and number = any($1)`, [workerNums]);
  const two = new Set(verified.rows.map((r) => r.number));
  const unverified = workerNums.filter((n) => !two.has(n)).map((n) => `${n}: not two-way after its 123 reply`);
  return [
    check('At most one two-way owner per number', bad, `${state.contested.length} numbers claimed by two contacts at once (${state.contested.filter((c) => c.kind === 'case').length} case pairs, ${state.contested.filter((c) => c.kind === 'worker').length} worker pairs); database-wide duplicate holders: ${doubles.rows.length}`),
    check('Every worker number verified by its 123 reply', unverified, `${two.size} of ${workerNums.length} worker numbers two-way`),
  ];
}

export async function checkJobs(db: pg.Pool, client: SoakClient, state: SoakState): Promise<Check[]> {
  const bad: string[] = [];
  for (const id of state.broadcasts) {
    const a = await client.call('check', 0, 'GET', `${P}/broadcasts/${id}`, undefined, [200]);
    const n = await db.query<{ n: string }>(`select count(*) as n from messages where broadcast_id = $1`, [id]);
    if (a.json?.status !== 'done' || Number(a.json?.total) !== Number(n.rows[0]?.n)) {
      bad.push(`${id}: ${a.json?.status}, total ${a.json?.total}, ${n.rows[0]?.n} messages`);
    }
  }
  const importsBad: string[] = [];
  for (const imp of state.imports) {
    if (imp.status !== 'done' || imp.created !== imp.rows || imp.failed !== 0) {
      importsBad.push(`${imp.id || '(no id)'}: ${imp.status}, ${imp.created} of ${imp.rows} created, ${imp.failed} failed`);
    }
  }
  const created = await db.query<{ n: string }>(`select count(*) as n from cases where case_type = 'imported'`);
  const want = state.imports.reduce((s, i) => s + i.created, 0);
  if (Number(created.rows[0]?.n) !== want) {
    importsBad.push(`${created.rows[0]?.n} imported cases in the database, the imports reported ${want}`);
  }
  if (state.imports.length === 0) {
    importsBad.push('no import ran');
  }
  return [
    check('Every broadcast done, its total queued', bad, `${state.broadcasts.length} broadcasts`),
    check('Every import done, every row created', importsBad, `${state.imports.length} imports of ${state.imports.map((i) => i.rows).join(', ')} rows`),
  ];
}
