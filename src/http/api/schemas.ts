/**
 * @module http/api/schemas — zod pieces shared by the API routes.
 */
import { z } from 'zod';

import { isRealDate } from '../../domain/schedule.ts';

export const text = (max: number) => z.string().max(max);
export const nonBlank = (max: number) => z.string().trim().min(1).max(max);

/**
 * The body of an action that takes none: nothing, or an empty object (anything else is a mistake).
 * Fastify passes a missing body as null; a JSON `null` body never gets here (json-body.ts refuses it).
 */
export const noBody = z.strictObject({}).nullish();

export const projectParams = z.object({ project: z.string().max(63) });

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(100).optional(),
});

/** Property names start with a letter (so never __proto__); values are text, numbers, booleans or null. */
export const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,99}$/;

export const propertyValue = z.union([z.string().max(10_000), z.number().finite(), z.boolean(), z.null()]);

export const properties = z
  .record(z.string().regex(PROPERTY_NAME, 'property names are 1–100 letters, digits, _ or -, starting with a letter'), propertyValue)
  .refine((p) => Object.keys(p).length <= 500, 'at most 500 properties');

export const roleSchema = z.enum(['admin', 'member']);

/**
 * A date or date-time in a query (2027-01-15, 2027-01-15T09:00:00Z). An impossible calendar date such
 * as 2027-02-30 is refused, not rolled over to 2 March as JavaScript's Date would.
 */
export const dateQuery = z
  .string()
  .max(64)
  .refine(isRealDate, 'not a real date or date-time: use a date such as 2027-01-15 or an instant such as 2027-01-15T09:00:00Z')
  .transform((v) => new Date(v));
