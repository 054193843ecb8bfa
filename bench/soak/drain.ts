/**
 * After the load stops: wait (bounded) until nothing is left to do — no outbound message queued,
 * scheduled or being sent, no inbound message unhandled, no broadcast expanding, no import running.
 */
import type pg from 'pg';

export interface DrainResult {
  seconds: number;
  settled: boolean;
  left: Record<string, number>;
}

export async function outstanding(db: pg.Pool): Promise<Record<string, number>> {
  const r = await db.query<{ outbound: string; inbound: string; broadcasts: string; imports: string }>(`
    select
      (select count(*) from messages where direction = 'out' and status in ('queued', 'scheduled', 'sending')) as outbound,
      (select count(*) from inbound_arrivals) as inbound,
      (select count(*) from broadcasts where status in ('pending', 'expanding')) as broadcasts,
      (select count(*) from imports where status = 'running') as imports
  `);
  const row = r.rows[0];
  return { outbound: Number(row?.outbound), inbound: Number(row?.inbound), broadcasts: Number(row?.broadcasts), imports: Number(row?.imports) };
}

export async function drain(db: pg.Pool, maxS: number): Promise<DrainResult> {
  const t0 = Date.now();
  let left = await outstanding(db);
  while (Object.values(left).some((n) => n > 0) && Date.now() - t0 < maxS * 1000) {
    await new Promise((r) => setTimeout(r, 1_000));
    left = await outstanding(db);
  }
  return { seconds: (Date.now() - t0) / 1000, settled: Object.values(left).every((n) => n === 0), left };
}
