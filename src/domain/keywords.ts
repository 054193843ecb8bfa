/**
 * @module domain/keywords — what an inbound text means before anything else (DESIGN.md §6, §7, §8).
 * A keyword is the whole message, compared on its `keywordKey`: case, surrounding white space,
 * punctuation and emoji, and accents do not count ("Stop.", "stop 🙏", "arrêt" = "ARRET"), inner
 * words do ("STOP please" is not STOP; reply-classifier.ts holds it as a possible opt-out).
 * STOP always works on every gateway: English words are always active, other languages' words
 * (opt-out-words.ts) when the project has the language; a gateway or project may add words, never
 * remove the defaults.
 */
import { ENGLISH_HELP, ENGLISH_OPT_IN, ENGLISH_OPT_OUT, OPT_OUT_WORDS, type WordLanguage } from './opt-out-words.ts';

export const DEFAULT_OPT_OUT = ENGLISH_OPT_OUT;
export const DEFAULT_OPT_IN = ENGLISH_OPT_IN;
export const HELP_WORDS = ENGLISH_HELP;
export const VERIFICATION_REPLY = '123';

export type KeywordMeaning = 'opt-out' | 'opt-in' | 'help' | null;

/** Trimmed, inner white space folded, upper case: how the ledger and survey answers see a text. */
export function foldText(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toUpperCase();
}

const WORD_CHAR = /^[\p{L}\p{N}]$/u;

/** Whether the code point at `i` (ending at `i` when scanning backwards) is a letter or digit, and its width. */
function wordAt(s: string, i: number, backwards: boolean): [boolean, number] {
  let cp = s.codePointAt(i) ?? 0;
  let width = cp > 0xffff ? 2 : 1;
  const code = s.charCodeAt(i);
  if (backwards && code >= 0xdc00 && code <= 0xdfff && i > 0) {
    const high = s.charCodeAt(i - 1);
    [cp, width] = high >= 0xd800 && high <= 0xdbff ? [s.codePointAt(i - 1) ?? 0, 2] : [code, 1];
  }
  return [WORD_CHAR.test(String.fromCodePoint(cp)), width];
}

/**
 * The form keywords are compared on. NFKD (not only NFD) so full-width letters from some phone
 * keyboards fold too; the edges are trimmed by a scan, not a regex, so a hostile message of
 * half a million spaces or emoji costs linear time.
 */
export function keywordKey(text: string): string {
  const s = text.normalize('NFKD').replace(/\p{M}+/gu, '').toUpperCase();
  let start = 0;
  let end = s.length;
  while (start < end) {
    const [word, width] = wordAt(s, start, false);
    if (word) {
      break;
    }
    start += width;
  }
  while (end > start) {
    const [word, width] = wordAt(s, end - 1, true);
    if (word) {
      break;
    }
    end -= width;
  }
  return s.slice(start, end).replace(/\s+/g, ' ');
}

/** 'pt-BR' → 'pt'; languages without a word table give nothing. */
export function wordLanguages(languages: readonly string[]): WordLanguage[] {
  const out = new Set<WordLanguage>(['en']);
  for (const code of languages) {
    const base = code.trim().toLowerCase().split('-')[0] ?? '';
    if (Object.hasOwn(OPT_OUT_WORDS, base)) {
      out.add(base as WordLanguage);
    }
  }
  return [...out];
}

const keySet = (words: readonly string[]) => new Set(words.map(keywordKey));
const TABLES = Object.fromEntries(
  Object.entries(OPT_OUT_WORDS).map(([lang, w]) => [lang, { optOut: keySet(w.optOut), optIn: keySet(w.optIn), help: keySet(w.help) }]),
) as Record<WordLanguage, { optOut: Set<string>; optIn: Set<string>; help: Set<string> }>;

export interface KeywordContext {
  languages: readonly string[];
  extraOptOut?: readonly string[];
  extraOptIn?: readonly string[];
  optedOut: boolean;
}

/** The keyword `key` (a `keywordKey`) is, if any. Opt-out first: an added opt-in word cannot shadow STOP. */
export function exactKeyword(key: string, ctx: KeywordContext): KeywordMeaning {
  if (key === '') {
    return null;
  }
  const langs = wordLanguages(ctx.languages).map((l) => TABLES[l]);
  if (langs.some((t) => t.optOut.has(key)) || ctx.extraOptOut?.some((w) => keywordKey(w) === key)) {
    return 'opt-out';
  }
  if (langs.some((t) => t.optIn.has(key)) || ctx.extraOptIn?.some((w) => keywordKey(w) === key) || (ctx.optedOut && key === 'YES')) {
    return 'opt-in';
  }
  return langs.some((t) => t.help.has(key)) ? 'help' : null;
}

export interface GatewayKeywords {
  optIn: readonly string[];
  optOut: readonly string[];
}

/** `YES` opts in only a number that is opted out; otherwise it is an ordinary reply. */
export function keywordMeaning(text: string, gateway: GatewayKeywords, optedOut: boolean, languages: readonly string[] = ['en']): KeywordMeaning {
  return exactKeyword(keywordKey(text), { languages, extraOptOut: gateway.optOut, extraOptIn: gateway.optIn, optedOut });
}

/** The words a confirmation names: the defaults, which work on every gateway. */
export const OPT_IN_WORD = 'START';
export const OPT_OUT_WORD = 'STOP';

export type JoinRequest = { kind: 'case'; project: string } | { kind: 'worker'; project: string; username: string | null };

/** `join <project>` or `join <project> worker [username]`, any case. */
export function parseJoin(text: string): JoinRequest | null {
  const m = /^join\s+(\S+)(?:\s+(worker)(?:\s+(\S+))?)?$/i.exec(text.trim().replace(/\s+/g, ' '));
  if (!m?.[1]) {
    return null;
  }
  const project = m[1].toLowerCase();
  return m[2] ? { kind: 'worker', project, username: m[3] ?? null } : { kind: 'case', project };
}

export function isVerificationReply(text: string): boolean {
  return text.trim() === VERIFICATION_REPLY;
}
