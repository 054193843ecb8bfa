/**
 * @module services/pagination — opaque cursors over a monotonically increasing sequence column.
 */
import { AppError } from '../errors.ts';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(seq: string): string {
  return Buffer.from(`s:${seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^s:(\d{1,19})$/.exec(text);
  if (!match?.[1]) {
    throw new AppError('VALIDATION_ERROR', 'The cursor is not valid; use the nextCursor of a previous page.', { details: { field: 'cursor' } });
  }
  return match[1];
}
