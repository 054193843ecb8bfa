/**
 * @module domain/language — SMS language codes (BCP 47 style: 'en', 'fr', 'sw', 'pt-BR').
 */

const CODE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

export function isLanguageCode(code: string): boolean {
  return CODE.test(code);
}

/** Finds `raw` among the project languages, ignoring case and surrounding space. */
export function matchLanguage(raw: string, languages: readonly string[]): string | null {
  const wanted = raw.trim().toLowerCase();
  return languages.find((l) => l.toLowerCase() === wanted) ?? null;
}
