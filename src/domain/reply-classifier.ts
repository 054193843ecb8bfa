/**
 * @module domain/reply-classifier — what an inbound SMS means for consent (DESIGN.md §6,
 * docs/opt-out-words.md): an exact keyword (acted on), a possible opt-out (held for a person to
 * review: FCC 47 CFR 64.1200(a)(10) lets people revoke consent "by any reasonable means", but a
 * guess must not silently unsubscribe someone who was answering a survey), or nothing.
 *
 * Possible opt-outs come from the phrase table in opt-out-words.ts: a few word patterns per
 * language matched on whole words, with bounded gaps, in time linear in the message (no regex
 * over the message, so no catastrophic backtracking).
 */
import { exactKeyword, keywordKey } from './keywords.ts';
import { OPT_OUT_WORDS, type LanguageWords } from './opt-out-words.ts';

export type ReplyMeaning = 'opt-out' | 'opt-in' | 'help' | 'possible-opt-out' | null;

export interface ReplyContext {
  /** The project's languages; English keywords are always active. */
  languages: readonly string[];
  /** Words the project or gateway adds (they never remove the defaults). */
  extraOptOut?: readonly string[];
  extraOptIn?: readonly string[];
  optedOut: boolean;
  /** The sender has an open survey session: only exact keywords and strong phrases count. */
  inSurvey?: boolean;
}

/** Phrases are looked for in the first 2,000 characters: more than ten SMS segments, and bounded work for a hostile message. */
const PHRASE_SCAN_LIMIT = 2000;
/** A "stop please" style message is short: past this many words it is a sentence, not a keyword. */
const FILLER_MESSAGE_WORDS = 12;

type Slot = { gap: number } | { exact: Set<string>; prefixes: string[] };
interface Phrase {
  slots: Slot[];
  strong: boolean;
  /** Starts with a stop word ("stop sending"): a negator just before it cancels it ("don't stop sending"). */
  negatable: boolean;
  negators: Set<string>;
  source: string;
}

function compileSlot(text: string, lang: LanguageWords): Slot {
  if (/^~\d$/.test(text)) {
    return { gap: Number(text.slice(1)) };
  }
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const add = (alt: string): void => {
    if (alt.startsWith('@')) {
      const cls = lang.classes[alt.slice(1)];
      if (cls === undefined) {
        throw new Error(`opt-out-words: no class ${alt}`);
      }
      cls.split('|').forEach(add);
    } else if (alt.endsWith('*')) {
      prefixes.push(alt.slice(0, -1));
    } else {
      exact.add(alt);
    }
  };
  text.split('|').forEach(add);
  return { exact, prefixes };
}

/** Stop words of every language: true when strong. */
const STEMS = new Map<string, boolean>();
for (const lang of Object.values(OPT_OUT_WORDS)) {
  lang.stems.weak.forEach((w) => STEMS.set(w, STEMS.get(w) ?? false));
  lang.stems.strong.forEach((w) => STEMS.set(w, true));
}

function compile(lang: LanguageWords, pattern: string, strong: boolean): Phrase {
  const slots = pattern.split(' ').map((s) => compileSlot(s, lang));
  const first = slots[0];
  const negatable = !!first && 'exact' in first && [...STEMS.keys()].some((stem) => slotHas(first, stem));
  return { slots, strong, negatable, negators: new Set(lang.negators), source: pattern };
}

const PHRASES: Phrase[] = Object.values(OPT_OUT_WORDS).flatMap((lang) => [
  ...lang.phrases.strong.map((p) => compile(lang, p, true)),
  ...lang.phrases.weak.map((p) => compile(lang, p, false)),
]);
const FILLERS = [...new Set(Object.values(OPT_OUT_WORDS).flatMap((l) => l.fillers))].map((f) => f.split(' ')).sort((a, b) => b.length - a.length);

function slotHas(slot: { exact: Set<string>; prefixes: string[] }, word: string): boolean {
  return slot.exact.has(word) || slot.prefixes.some((p) => word.startsWith(p));
}

/** Whether `slots[s..]` match the words from `i` on; gaps try each length (bounded: few gaps, each ≤ 9). */
function matchFrom(slots: Slot[], s: number, words: string[], i: number): boolean {
  const slot = slots[s];
  if (!slot) {
    return true;
  }
  if ('gap' in slot) {
    for (let k = 0; k <= slot.gap && i + k <= words.length; k++) {
      if (matchFrom(slots, s + 1, words, i + k)) {
        return true;
      }
    }
    return false;
  }
  const word = words[i];
  return word !== undefined && slotHas(slot, word) && matchFrom(slots, s + 1, words, i + 1);
}

function findPhrase(words: string[], strongOnly: boolean): Phrase | null {
  for (const phrase of PHRASES) {
    if (strongOnly && !phrase.strong) {
      continue;
    }
    for (let i = 0; i < words.length; i++) {
      const negated = phrase.negatable && [words[i - 1], words[i - 2]].some((w) => w !== undefined && phrase.negators.has(w));
      if (!negated && matchFrom(phrase.slots, 0, words, i)) {
        return phrase;
      }
    }
  }
  return null;
}

/**
 * "stop please", "ARRÊT merci", "alto por favor": only stop words and polite filler. True when the
 * strongest stop word is strong, false when all are weak, null when the message is not of this shape.
 */
function stopWithFiller(words: string[]): boolean | null {
  if (words.length > FILLER_MESSAGE_WORDS) {
    return null;
  }
  let strongest: boolean | null = null;
  for (let i = 0; i < words.length; ) {
    const stem = STEMS.get(words[i] ?? '');
    if (stem !== undefined) {
      strongest = (strongest ?? false) || stem;
      i++;
      continue;
    }
    const filler = FILLERS.find((f) => f.every((w, k) => words[i + k] === w));
    if (!filler) {
      return null;
    }
    i += filler.length;
  }
  return strongest;
}

const SENTENCE_END = /[.!,;:?]/;

/** A stop word that is a sentence of its own at either end: "Stop! who is this?", "I'm done, stop". */
function stopStandsAlone(words: string[], key: string): boolean {
  const first = words[0] ?? '';
  const last = words[words.length - 1] ?? '';
  const before = key.slice(0, key.length - last.length).trimEnd();
  return (STEMS.has(first) && SENTENCE_END.test(key.charAt(first.length))) || (words.length > 1 && STEMS.has(last) && SENTENCE_END.test(before.charAt(before.length - 1)));
}

/** Why a text is a possible opt-out (the phrase or rule that matched), or null. */
export function possibleOptOutReason(text: string, inSurvey: boolean): string | null {
  const key = keywordKey(text.slice(0, PHRASE_SCAN_LIMIT));
  const words = key.split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');
  const filler = stopWithFiller(words);
  if (filler !== null && (filler || !inSurvey)) {
    return 'stop word with filler';
  }
  const phrase = findPhrase(words, inSurvey);
  if (phrase) {
    return phrase.source;
  }
  // Weak: in a survey "Alto, muy alto" is an answer.
  return !inSurvey && stopStandsAlone(words, key) ? 'stop word as a sentence' : null;
}

/** What an inbound reply means for consent; see the module comment. */
export function classifyReply(text: string, ctx: ReplyContext): ReplyMeaning {
  const keyword = exactKeyword(keywordKey(text), ctx);
  if (keyword) {
    return keyword;
  }
  return possibleOptOutReason(text, ctx.inSurvey ?? false) ? 'possible-opt-out' : null;
}
