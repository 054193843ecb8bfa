/**
 * @module store/columns — the columns a prepared statement reads, named one by one.
 *
 * A statement prepared by name (store/prepared-statements.ts) keeps its result's shape for the
 * connection's life. If it read `*`, a migration that adds a column would make every connection of
 * a process still running the old version fail it with "cached plan must not change result type"
 * until that process restarts — a rolling upgrade would break. So prepared statements list their
 * columns, and the lists below are checked complete against the table types at compile time: a
 * column added to a table type and not here fails the typecheck.
 */
import { type RawBuilder, sql } from 'kysely';

type Missing<T, K extends readonly string[]> = Exclude<keyof T & string, K[number]>;

/** Every column of table type T, in the given order; the compiler names any that is missing. */
export function everyColumnOf<T>() {
  return <const K extends readonly (keyof T & string)[]>(columns: K & ([Missing<T, K>] extends [never] ? unknown : { missing: Missing<T, K> })): K => columns;
}

/** `a.c1, a.c2, …` (or unqualified without an alias) for raw SQL. */
export function columnList(columns: readonly string[], alias?: string): RawBuilder<unknown> {
  return sql.join(columns.map((c) => sql.ref(alias ? `${alias}.${c}` : c)));
}
