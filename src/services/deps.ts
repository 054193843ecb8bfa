/**
 * @module services/deps — what every service receives from the composition root.
 */
import type { Db } from '../store/database.ts';

export interface ServiceDeps {
  db: Db;
  /** The current time; tests may pass a fixed clock. */
  clock: () => Date;
  /** How long a pending verification reserves its number, in ms (Default: 7 days). */
  pendingTtlMs: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids in paths are checked before they reach a uuid column (a bad one is "not found", not a 500). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
