/**
 * @module domain/name — the rule for names people give things (case names and case types, survey
 * names; project, gateway and mobile worker names already allow only ASCII letters, digits and a
 * few marks). A name may not hold a bidirectional embedding, override or isolate control
 * (U+202A–U+202E, U+2066–U+2069): shown in a list, such a character reorders the text around it,
 * so "Alice\u202Egnp.exe" reads as "Aliceexe.png" and one name can pass for another. Right-to-left
 * scripts need none of them: Arabic and Hebrew names display correctly on their own.
 */
import { AppError } from '../errors.ts';

/** Bidirectional embedding and override (U+202A–U+202E) and isolate (U+2066–U+2069) controls. */
export const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;

/** Null when `value` is acceptable as a name; otherwise what is wrong, worded to follow the field's name. */
export function nameProblem(value: string): string | null {
  const found = BIDI_CONTROL.exec(value)?.[0];
  if (found === undefined) {
    return null;
  }
  const codePoint = `U+${(found.codePointAt(0) ?? 0).toString(16).toUpperCase()}`;
  return `contains the invisible direction control ${codePoint}, which can make a name display as a different one; remove it (names may not contain U+202A–U+202E or U+2066–U+2069).`;
}

/** Throws VALIDATION_ERROR naming `field` (also as details.field) when `value` breaks the name rule. */
export function checkName(field: string, value: string): void {
  const problem = nameProblem(value);
  if (problem !== null) {
    throw new AppError('VALIDATION_ERROR', `${field} ${problem}`, { details: { field } });
  }
}
