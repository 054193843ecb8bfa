/**
 * @module store/gateway-rate.store — a token bucket per gateway in the database, so a rate limit
 * holds across every worker process: refilled at `rate` tokens per second up to a burst of `rate`
 * (at least 1), debited atomically under a row lock. Uses the database clock, shared by all workers.
 */
import { sql } from 'kysely';

import type { Db } from './database.ts';

export interface TokenGrant {
  granted: number;
  /** Milliseconds until the next token when the bucket could not give all that was asked. */
  waitMs: number;
}

export async function takeTokens(db: Db, gatewayId: string, rate: number, want: number): Promise<TokenGrant> {
  const burst = Math.max(1, rate);
  await sql`insert into gateway_rate (gateway_id, tokens, refilled_at) values (${gatewayId}, ${burst}, clock_timestamp()) on conflict (gateway_id) do nothing`.execute(db);
  const result = await sql<{ granted: number; avail: number }>`
    with cur as (
      select gateway_id, least(${burst}::float8, tokens + extract(epoch from (clock_timestamp() - refilled_at)) * ${rate}::float8) as avail
      from gateway_rate where gateway_id = ${gatewayId} for update
    )
    update gateway_rate g set tokens = cur.avail - least(floor(cur.avail), ${want}::float8), refilled_at = clock_timestamp()
    from cur where g.gateway_id = cur.gateway_id
    returning least(floor(cur.avail), ${want}::float8)::int as granted, cur.avail::float8 as avail
  `.execute(db);
  const row = result.rows[0];
  const granted = row ? Number(row.granted) : 0;
  const left = row ? Number(row.avail) - granted : 0;
  const waitMs = granted < want ? Math.max(1, Math.ceil(((1 - (left % 1)) / rate) * 1000)) : 0;
  return { granted, waitMs };
}
