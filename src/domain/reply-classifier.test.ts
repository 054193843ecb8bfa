import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { keywordKey } from './keywords.ts';
import { OPT_OUT_WORDS } from './opt-out-words.ts';
import { classifyReply, possibleOptOutReason, type ReplyContext } from './reply-classifier.ts';

const CLASSES = ['opt-out', 'opt-in', 'help', 'possible-opt-out', 'none'] as const;
type Class = (typeof CLASSES)[number];
interface Line {
  expected: Class;
  language: string;
  inSurvey: boolean;
  text: string;
  lineNo: number;
}

/** The corpus is read here, in the test: src/domain does no I/O. */
function readCorpus(): Line[] {
  const raw = readFileSync(new URL('../../test/fixtures/reply-corpus.tsv', import.meta.url), 'utf8');
  return raw.split('\n').flatMap((row, i) => {
    if (row === '' || row.startsWith('#')) {
      return [];
    }
    const [expected, language, survey, text] = row.replace(/\r$/, '').split('\t');
    assert.ok(CLASSES.includes(expected as Class) && language && (survey === '0' || survey === '1') && text !== undefined, `corpus line ${i + 1} is malformed: ${row}`);
    return [{ expected: expected as Class, language, inSurvey: survey === '1', text, lineNo: i + 1 }];
  });
}

const classify = (l: Line): Class => classifyReply(l.text, { languages: [l.language], optedOut: false, inSurvey: l.inSurvey }) ?? 'none';

function confusion(lines: Line[], got: Class[]): string {
  const count = (e: Class, g: Class) => lines.filter((l, i) => l.expected === e && got[i] === g).length;
  const w = 17;
  const out = ['expected \\ got'.padEnd(w) + CLASSES.map((c) => c.padStart(w)).join('')];
  for (const e of CLASSES) {
    out.push(e.padEnd(w) + CLASSES.map((g) => String(count(e, g)).padStart(w)).join(''));
  }
  out.push('', 'class'.padEnd(w) + 'precision'.padStart(w) + 'recall'.padStart(w) + 'lines'.padStart(w));
  for (const c of CLASSES) {
    const tp = count(c, c);
    const predicted = got.filter((g) => g === c).length;
    const actual = lines.filter((l) => l.expected === c).length;
    const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)} %`);
    out.push(c.padEnd(w) + pct(tp, predicted).padStart(w) + pct(tp, actual).padStart(w) + String(actual).padStart(w));
  }
  return out.join('\n');
}

test('reply corpus: keywords exact, no ordinary reply opted out, survey answers never held, accuracy ≥ 97 %', () => {
  const lines = readCorpus();
  assert.ok(lines.length >= 220, `corpus has ${lines.length} lines`);
  const got = lines.map(classify);
  const correct = got.filter((g, i) => g === lines[i]?.expected).length;
  const misses = lines.flatMap((l, i) => (got[i] === l.expected ? [] : [`  line ${l.lineNo} [${l.language}${l.inSurvey ? ', survey' : ''}] expected ${l.expected}, got ${got[i]}: ${JSON.stringify(l.text)}`]));
  const report = `${confusion(lines, got)}\n\naccuracy ${correct}/${lines.length} = ${((100 * correct) / lines.length).toFixed(1)} %\nmisses:\n${misses.join('\n') || '  none'}`;
  console.log(report);

  lines.forEach((l, i) => {
    if (l.expected === 'opt-out' || l.expected === 'opt-in' || l.expected === 'help') {
      assert.equal(got[i], l.expected, `keyword line ${l.lineNo}: ${JSON.stringify(l.text)}`);
    }
    if (l.expected === 'none') {
      assert.notEqual(got[i], 'opt-out', `line ${l.lineNo} is an ordinary reply: ${JSON.stringify(l.text)}`);
    }
    if (l.expected === 'none' && l.inSurvey) {
      assert.ok(got[i] !== 'opt-out' && got[i] !== 'possible-opt-out', `line ${l.lineNo} is a survey answer: ${JSON.stringify(l.text)}`);
    }
  });
  assert.ok(correct / lines.length >= 0.97, `accuracy ${correct}/${lines.length}`);
});

const en: ReplyContext = { languages: ['en'], optedOut: false };

test('classifyReply: keywords first, then possible opt-outs, else null', () => {
  const cases: [string, ReplyContext, ReturnType<typeof classifyReply>][] = [
    ['Stop.', en, 'opt-out'],
    ['  Start. ', en, 'opt-in'],
    ['help?', en, 'help'],
    ['STOP please', en, 'possible-opt-out'],
    ['please stop texting me', en, 'possible-opt-out'],
    ['the bus stop', en, null],
    ['yes', en, null],
    ['Yes!', { ...en, optedOut: true }, 'opt-in'],
    ['ARRÊT', { languages: ['fr'], optedOut: false }, 'opt-out'],
    ['ARRÊT', { languages: ['fr-CA'], optedOut: false }, 'opt-out'],
    ['aide', { languages: ['FR'], optedOut: false }, 'help'],
    // Not a keyword where French is not a project language, but a person should look at it.
    ['ARRÊT', en, 'possible-opt-out'],
    ['ARRÊT', { ...en, inSurvey: true }, 'possible-opt-out'],
    ['Baja', en, 'possible-opt-out'],
    ['Baja', { ...en, inSurvey: true }, null],
    ['Baja', { languages: ['es'], optedOut: false, inSurvey: true }, 'opt-out'],
    ['Sair', { languages: ['pt-BR'], optedOut: false }, 'opt-out'],
    ['Sitisha', { languages: ['sw'], optedOut: false }, 'opt-out'],
    ['aide', en, null],
    // Project and gateway words add to the defaults; an added opt-in word never shadows an opt-out.
    ['Enough', { ...en, extraOptOut: ['enough'] }, 'opt-out'],
    ['Rejoin!', { ...en, extraOptIn: ['REJOIN'] }, 'opt-in'],
    ['STOP', { ...en, extraOptIn: ['STOP'] }, 'opt-out'],
    ['', en, null],
    ['   ', en, null],
    ['🙏', en, null],
  ];
  for (const [text, ctx, want] of cases) {
    assert.equal(classifyReply(text, ctx), want, `${JSON.stringify(text)} ${JSON.stringify(ctx)}`);
  }
});

test('in a survey only exact keywords and strong phrases count', () => {
  const survey = { ...en, inSurvey: true };
  for (const text of ['stop texting me', 'Stop please', 'unsubscribe me', 'wrong number', 'no more messages']) {
    assert.equal(classifyReply(text, survey), 'possible-opt-out', text);
  }
  for (const text of ['Not interested', 'cancel please', 'Stop! who is this', 'who gave you my number', 'No', 'Hapana', 'Non', '2']) {
    assert.equal(classifyReply(text, survey), null, text);
    assert.notEqual(classifyReply(text, en), 'opt-out', text);
  }
});

test('a negation before a stop phrase cancels it; a phrase that is itself negative is kept', () => {
  assert.equal(classifyReply("Don't stop sending the reminders", en), null);
  assert.equal(classifyReply('please do not stop the messages', en), null);
  assert.equal(classifyReply('No dejen de enviar los mensajes', en), null);
  assert.equal(classifyReply("Don't text me", en), 'possible-opt-out');
  assert.equal(classifyReply('No, no me envíen más mensajes', en), 'possible-opt-out');
  assert.equal(classifyReply('This is not Mary, wrong number', en), 'possible-opt-out');
});

test('possibleOptOutReason names the phrase that matched', () => {
  assert.equal(possibleOptOutReason('please stop texting me', false), 'STOP|QUIT @SEND');
  assert.equal(possibleOptOutReason('Stop please', false), 'stop word with filler');
  assert.equal(possibleOptOutReason('Thanks!', false), null);
});

test('hostile messages are classified in bounded time', () => {
  const started = performance.now();
  const texts = [
    'stop '.repeat(200_000),
    'a' + ' '.repeat(500_000) + 'b',
    '🙏'.repeat(300_000) + 'STOP' + '!'.repeat(300_000),
    'do not '.repeat(100_000) + 'send',
    'STOP ' + 'me '.repeat(300_000) + 'messages',
    '\u0301'.repeat(200_000) + 'stop',
  ];
  for (const text of texts) {
    classifyReply(text, { languages: ['en', 'fr', 'es', 'pt', 'sw'], optedOut: true, inSurvey: false });
  }
  assert.equal(classifyReply('🙏'.repeat(300_000) + 'STOP' + '!'.repeat(300_000), en), 'opt-out');
  assert.ok(performance.now() - started < 10_000, 'linear, no catastrophic backtracking');
});

test('word tables: every keyword has a source, keys are distinct per meaning, English is the DESIGN.md §6 list', () => {
  for (const [lang, words] of Object.entries(OPT_OUT_WORDS)) {
    const sourced = new Set(words.sources.flatMap((s) => s.words.map(keywordKey)));
    for (const w of [...words.optOut, ...words.optIn, ...words.help]) {
      assert.ok(sourced.has(keywordKey(w)), `${lang}: ${w} has no source`);
    }
    assert.ok(words.optOut.length > 0 && words.help.length > 0, lang);
    const optOut = new Set(words.optOut.map(keywordKey));
    assert.ok(![...words.optIn, ...words.help].some((w) => optOut.has(keywordKey(w))), `${lang}: a word with two meanings`);
  }
  assert.deepEqual([...OPT_OUT_WORDS.en.optOut], ['STOP', 'STOPALL', 'STOP ALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT', 'OPT OUT', 'OPT-OUT']);
});
