/**
 * @module store/database-errors — what PostgreSQL's (and pg's) error codes mean for a caller: the one
 * table from SQLSTATE to an error code of the catalogue. The HTTP layer answers with it; workers
 * and the CLI can tell a database that went away from a bug the same way.
 */
import { type ErrorCode, errorCatalogue } from '../errors.ts';

export interface DatabaseErrorMeaning {
  code: ErrorCode;
  message: string;
  details?: { retryAfterSeconds: number };
}

/** SQLSTATEs (and pg's socket errors) of a database that went away: a restart, a failover, the network. */
function isUnavailable(code: unknown, message: string): boolean {
  return (
    (typeof code === 'string' && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === 'ECONNREFUSED' || code === 'ECONNRESET')) ||
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)
  );
}

/** The meaning of a database error, or null when it is not one this table knows. */
export function meaningOfDatabaseError(err: unknown): DatabaseErrorMeaning | null {
  const code = (err as { code?: unknown } | null)?.code;
  // 53100: disk full.
  if (code === '53100') {
    return { code: 'STORAGE_FULL', message: errorCatalogue.STORAGE_FULL };
  }
  // The request did nothing; the caller may retry.
  if (isUnavailable(code, (err as Error | null)?.message ?? '')) {
    return { code: 'SERVICE_UNAVAILABLE', message: 'The database is unreachable right now (it may be restarting); nothing was saved. Try again shortly.', details: { retryAfterSeconds: 2 } };
  }
  if (code === '23505') {
    return { code: 'CONFLICT', message: 'This conflicts with an existing record.' };
  }
  // 54000 too large, 22001 string too long, 22P05 untranslatable, 22021: a NUL byte (or other invalid
  // byte) in a text value, e.g. a filter in a query string.
  if (code === '54000' || code === '22001' || code === '22P05' || code === '22021') {
    return { code: 'VALIDATION_ERROR', message: 'A value is too large or cannot be stored.' };
  }
  return null;
}
