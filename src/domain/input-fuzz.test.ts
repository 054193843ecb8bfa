/**
 * Fuzz tests of what strangers control: the phone parser (every import cell and API field) and the
 * keyword matcher (every inbound SMS). Random input from a fixed seed, so a failure repeats: no
 * throw, only the documented results, and bounded time even for huge or hostile input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DEFAULT_OPT_IN, DEFAULT_OPT_OUT, foldText, HELP_WORDS, isVerificationReply, keywordMeaning, parseJoin } from './keywords.ts';
import { parsePhoneNumber } from './phone-number.ts';

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POOLS = [
  '0123456789',
  '0123456789 +-().',
  '+00 ()-./\t\n',
  'abcXYZ',
  '٠١٢٣٤٥٦٧٨٩', // Arabic-Indic digits
  '０１２３４５６７８９＋', // full-width
  '\u200b\u200e\u202e\ufeff\u0000', // zero-width, direction marks, BOM, NUL
  'éß漢😀\ud800', // accents, CJK, emoji, a lone surrogate
  'eE.,;:%$#@!*&^~`"\'\\<>{}[]|?=',
];

function randomText(rand: () => number): string {
  const length = rand() < 0.05 ? Math.floor(rand() * 5000) : Math.floor(rand() * 24);
  const pools = POOLS.filter(() => rand() < 0.5);
  const chars = (pools.length ? pools : [POOLS[0] as string]).join('');
  let out = rand() < 0.3 ? '+' : '';
  for (let i = 0; i < length; i++) {
    out += chars[Math.floor(rand() * chars.length)];
  }
  return out;
}

function randomValue(rand: () => number): unknown {
  const r = rand();
  if (r < 0.75) {
    return randomText(rand);
  }
  if (r < 0.9) {
    const specials = [Number.NaN, Infinity, -Infinity, -0, 1e300, 2.54712345678e11, 12068130912, -12068130912, 0.5, Number.MAX_SAFE_INTEGER + 2];
    return rand() < 0.5 ? (specials[Math.floor(rand() * specials.length)] as number) : Math.floor(rand() * 1e15);
  }
  const others = [true, false, {}, [], ['+254712345678'], { toString: () => '+254712345678' }, Symbol('x'), 10n];
  return others[Math.floor(rand() * others.length)];
}

const COUNTRIES = [null, 'KE', 'US', 'IN', 'GB', 'ZZ', 'ke', ''];
// E.164: a country code and at most 15 digits in all ('possible' mode accepts short test numbers).
const E164 = /^\+[1-9]\d{3,14}$/;

test('the phone parser never throws and only answers none, a valid E.164 number that parses to itself, or invalid with words', () => {
  const rand = prng(20261201);
  const started = performance.now();
  for (let i = 0; i < 20_000; i++) {
    const input = randomValue(rand);
    const options = { defaultCountry: COUNTRIES[i % COUNTRIES.length], validation: i % 3 === 0 ? ('possible' as const) : ('strict' as const) };
    let result: ReturnType<typeof parsePhoneNumber>;
    try {
      result = parsePhoneNumber(input, options);
    } catch (err) {
      assert.fail(`threw for ${JSON.stringify(String(input)).slice(0, 80)}: ${String(err)}`);
    }
    if (result.kind === 'valid') {
      assert.match(result.e164, E164, `valid result for ${String(input).slice(0, 40)}`);
      const again = parsePhoneNumber(result.e164, options);
      assert.equal(again.kind === 'valid' ? again.e164 : again.kind, result.e164, `an E.164 result parses to itself (input ${JSON.stringify(String(input))}, ${JSON.stringify(options)})`);
    } else if (result.kind === 'invalid') {
      assert.ok(result.message.length > 0 && result.reason.length > 0);
    } else {
      assert.equal(result.kind, 'none');
    }
  }
  // Generous bound (about 100 times the usual): a pathological input must not make parsing crawl.
  assert.ok(performance.now() - started < 60_000, 'fuzzing finished in bounded time');
});

test('huge inputs are refused as too long; surrounding white space is only trimmed', () => {
  for (const input of ['1'.repeat(1_000_000), '+' + '9'.repeat(100_000), '('.repeat(200_000), '+254 ' + '7'.repeat(70)]) {
    const r = parsePhoneNumber(input, { defaultCountry: 'KE' });
    assert.equal(r.kind === 'invalid' ? r.reason : r.kind, 'TOO_LONG');
  }
  const padded = parsePhoneNumber(' '.repeat(1_000_000) + '254712345678', { defaultCountry: 'KE' });
  assert.equal(padded.kind === 'valid' ? padded.e164 : padded.kind, '+254712345678');
});

test('the keyword matcher never throws; a word means something only when the whole folded message is that word', () => {
  const rand = prng(42);
  const gateway = { optIn: ['OUI'], optOut: ['ARRET'] };
  const optOut = new Set<string>([...DEFAULT_OPT_OUT, ...gateway.optOut]);
  const optIn = new Set<string>([...DEFAULT_OPT_IN, ...gateway.optIn]);
  const words = [...optOut, ...optIn, ...HELP_WORDS, 'YES', '123', 'join alpha', 'join alpha worker bob'];
  for (let i = 0; i < 20_000; i++) {
    // Half random text, half real words with random case, padding and noise around them.
    let text = randomText(rand);
    if (rand() < 0.5) {
      const w = words[Math.floor(rand() * words.length)] as string;
      const cased = [...w].map((c) => (rand() < 0.5 ? c.toLowerCase() : c)).join('');
      text = rand() < 0.5 ? ` \t${cased}\n ` : rand() < 0.5 ? `${cased} please` : cased;
    }
    const optedOut = rand() < 0.5;
    const meaning = keywordMeaning(text, gateway, optedOut);
    const folded = foldText(text);
    const expected = optOut.has(folded)
      ? 'opt-out'
      : optIn.has(folded) || (optedOut && folded === 'YES')
        ? 'opt-in'
        : (HELP_WORDS as readonly string[]).includes(folded)
          ? 'help'
          : null;
    assert.equal(meaning, expected, JSON.stringify(text));
    const join = parseJoin(text);
    if (join) {
      assert.match(folded, /^JOIN \S+/);
      assert.match(join.project, /^\S+$/);
    }
    assert.equal(isVerificationReply(text), text.trim() === '123');
  }
});

test('hostile long messages are matched in bounded time', () => {
  const started = performance.now();
  for (const text of ['join ' + 'a '.repeat(100_000), 'STOP'.repeat(100_000), ' '.repeat(500_000) + 'stop', 'join\t'.repeat(50_000) + 'x worker']) {
    keywordMeaning(text, { optIn: [], optOut: [] }, true);
    parseJoin(text);
  }
  assert.equal(keywordMeaning(' '.repeat(500_000) + 'stop', { optIn: [], optOut: [] }, false), 'opt-out');
  assert.ok(performance.now() - started < 30_000, 'no catastrophic backtracking');
});
