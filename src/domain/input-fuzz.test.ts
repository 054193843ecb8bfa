/**
 * Fuzz tests of what strangers control: the phone parser (every import cell and API field), the
 * keyword matcher (every inbound SMS), sendAt (every scheduled message) and the name rule (every
 * case and survey name). Random input from a fixed seed, so a failure repeats: no
 * throw, only the documented results, and bounded time even for huge or hostile input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Temporal } from 'temporal-polyfill';

import { DEFAULT_OPT_IN, DEFAULT_OPT_OUT, foldText, HELP_WORDS, isVerificationReply, keywordMeaning, parseJoin } from './keywords.ts';
import { BIDI_CONTROL, nameProblem } from './name.ts';
import { parsePhoneNumber } from './phone-number.ts';
import { isRealDate, resolveSendAt, sendAtProblem } from './schedule.ts';

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

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A sendAt-shaped string whose parts are often out of range (month 13, day 31 of April, hour 25, offset +24:00). */
function randomSendAt(rand: () => number): string {
  const pick = (max: number) => Math.floor(rand() * max);
  const date = `${pad(rand() < 0.1 ? pick(10_000) : 2020 + pick(20), 4)}-${pad(pick(15))}-${pad(pick(34))}`;
  let time = `T${pad(pick(27))}:${pad(pick(62))}`;
  if (rand() < 0.4) {
    time += `:${pad(pick(62))}${rand() < 0.3 ? `.${pick(1000)}` : ''}`;
  }
  const zone = rand() < 0.5 ? '' : rand() < 0.4 ? 'Z' : `${rand() < 0.5 ? '+' : '-'}${pad(pick(27))}:${pad(pick(62))}`;
  const text = `${date}${time}${zone}`;
  // Now and then a mangled one: a character dropped, swapped or added.
  if (rand() < 0.1) {
    const at = pick(text.length);
    return text.slice(0, at) + (rand() < 0.5 ? '' : randomText(rand).slice(0, 2)) + text.slice(at + 1);
  }
  return text;
}

test('sendAt: never throws; accepted exactly when it names a real moment, which every zone can resolve; refusals say why', () => {
  const rand = prng(20270230);
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const value = rand() < 0.9 ? randomSendAt(rand) : randomText(rand);
    const problem = sendAtProblem(value);
    const [, y, mo, d, h, mi] = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value) ?? [];
    if (problem === null) {
      accepted++;
      for (const zone of ['UTC', 'Africa/Nairobi', 'America/New_York', 'Pacific/Kiritimati']) {
        assert.ok(resolveSendAt(value, zone), `${value} resolves in ${zone}`);
      }
      // The calendar parts are real: the month has that day, the hour and minute exist.
      const date = Temporal.PlainDate.from({ year: Number(y), month: Number(mo), day: Number(d) }, { overflow: 'reject' });
      assert.equal(date.toString().slice(-5), `${mo}-${d}`, value);
      assert.ok(Number(h) <= 23 && Number(mi) <= 59, value);
    } else {
      assert.ok(problem.length > 0);
      assert.equal(resolveSendAt(value, 'UTC'), null, `${value} is refused, so it must not resolve either`);
    }
  }
  assert.ok(accepted > 1000, `a fair share of the generated values were real (${accepted})`);
});

test('date filters: an impossible calendar date is never rolled over to the next month', () => {
  const rand = prng(7);
  for (let i = 0; i < 5000; i++) {
    const value = `${2020 + Math.floor(rand() * 10)}-${pad(Math.floor(rand() * 14))}-${pad(Math.floor(rand() * 33))}`;
    const [y, m, d] = value.split('-').map(Number) as [number, number, number];
    const real = m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
    assert.equal(isRealDate(value), real, value);
    assert.equal(isRealDate(`${value}T12:00:00Z`), real, value);
  }
});

test('names: refused exactly when they hold a bidirectional control, with the code point named; never throws', () => {
  const rand = prng(0x202e);
  const controls = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];
  // Neighbours that are fine: direction marks, Arabic letter mark, zero-width joiners, other format characters.
  const fine = ['\u200e', '\u200f', '\u061c', '\u200d', '\u2060', '\u2029', '\u206a', '\u2065', 'أمينة', 'אמינה'];
  for (let i = 0; i < 20_000; i++) {
    let name = randomText(rand);
    const extras = rand() < 0.5 ? fine : controls;
    if (rand() < 0.5) {
      const at = Math.floor(rand() * (name.length + 1));
      name = name.slice(0, at) + (extras[Math.floor(rand() * extras.length)] as string) + name.slice(at);
    }
    const problem = nameProblem(name);
    const found = controls.find((c) => name.includes(c));
    assert.equal(problem !== null, found !== undefined, JSON.stringify(name));
    assert.equal(BIDI_CONTROL.test(name), found !== undefined);
    if (problem !== null) {
      assert.match(problem, /U\+20(2[A-E]|6[6-9])/);
    }
  }
  assert.equal(nameProblem('a'.repeat(1_000_000) + '\u2069'), 'contains the invisible direction control U+2069, which can make a name display as a different one; remove it (names may not contain U+202A–U+202E or U+2066–U+2069).');
});
