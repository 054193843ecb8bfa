/**
 * @module store/js-trim — JavaScript's String.prototype.trim() whitespace as one SQL literal for
 * btrim, so that what SQL reads from a case's properties (generated columns, expression indexes,
 * filters) trims as domain/case-contact.ts does. An expression index is used only by a query that
 * spells its expression the same way: both take it from here.
 */
export const JS_TRIM = "E' \\t\\n\\u000b\\f\\r\\u00a0\\u1680\\u2000\\u2001\\u2002\\u2003\\u2004\\u2005\\u2006\\u2007\\u2008\\u2009\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff'";

