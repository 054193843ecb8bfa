/**
 * @module store/prepared-statements — named prepared statements for the hottest fixed statements.
 *
 * pg sends every query as an unnamed statement, which the database parses and plans on each
 * execution. For the one-statement case creation (store/new-case.store.ts) planning was most of
 * the work: 1,390 statements/s unnamed against 2,475/s prepared with 8 clients on this 2-core
 * machine (pgbench -M simple / -M prepared). A statement marked with PREPARED_MARK is sent under a
 * name derived from its text, so each connection parses and plans it once.
 *
 * Only statements whose text is fixed get the mark (never one with a variable-length `in (…)`
 * list): every distinct text stays prepared on each connection for the connection's life.
 */
import { createHash } from 'node:crypto';

import type { CompiledQuery, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

import type { Db, Trx } from './database.ts';

export const PREPARED_MARK = '/* prepared */ ';

const names = new Map<string, string>();

/** The statement's name: a digest of its text (the same text, the same name, on every connection). */
function nameOf(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `rc_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/** Runs a compiled query as a named prepared statement. */
export async function runPrepared<R>(db: Db | Trx, query: CompiledQuery<R>): Promise<R[]> {
  const result = await db.executeQuery<R>({ ...query, sql: PREPARED_MARK + query.sql });
  return result.rows;
}

/**
 * A named statement that another server connection prepared (26000 "does not exist") or that this
 * one already has (42P05) means a transaction pooler hands out server connections per transaction:
 * the error says which setting is missing.
 */
function explainPoolerError(err: unknown): never {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === '26000' || code === '42P05') {
    (err as Error).message += ' (is Rollcall behind a transaction-mode pooler such as PgBouncer? Set ROLLCALL_DB_POOLER=transaction: docs/operations.md)';
  }
  throw err;
}

/**
 * The pool Kysely uses: statements that start with PREPARED_MARK are sent by name, unless `named`
 * is false (a transaction pooler: PgBouncer 1.18 cannot follow named statements across the server
 * connections it hands out), when they go unnamed like every other statement.
 */
export function preparingPool(pool: pg.Pool, options: { named: boolean }): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      return {
        query: ((textOrCursor: unknown, values?: readonly unknown[]) => {
          if (options.named && typeof textOrCursor === 'string' && textOrCursor.startsWith(PREPARED_MARK)) {
            return (client.query({ name: nameOf(textOrCursor), text: textOrCursor, values: values as unknown[] }) as Promise<PostgresQueryResult<unknown>>).catch(explainPoolerError);
          }
          return (client.query as (a: unknown, b?: unknown) => unknown)(textOrCursor, values);
        }) as PostgresPoolClient['query'],
        release: () => client.release(),
      };
    },
    end: () => pool.end(),
  };
}
