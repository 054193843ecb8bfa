import assert from 'node:assert/strict';
import { test } from 'node:test';

import { foldText, keywordKey, keywordMeaning, parseJoin, wordLanguages } from './keywords.ts';

const plain = { optIn: [], optOut: [] };

test('opt keywords: whole message, trimmed, any case; defaults always on', () => {
  for (const t of ['STOP', ' stop ', 'Stop', 'STOP ALL', 'stop   all', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT', 'OPT OUT', 'opt-out']) {
    assert.equal(keywordMeaning(t, plain, false), 'opt-out', t);
  }
  for (const t of ['STOP please', 'please stop', 'STOPP', '']) {
    assert.equal(keywordMeaning(t, plain, false), null, t);
  }
  assert.equal(keywordMeaning('start', plain, true), 'opt-in');
  assert.equal(keywordMeaning('UNSTOP', plain, false), 'opt-in');
  assert.equal(keywordMeaning('yes', plain, false), null);
  assert.equal(keywordMeaning('yes', plain, true), 'opt-in');
  assert.equal(keywordMeaning('info', plain, false), 'help');
  assert.equal(keywordMeaning('ARRET', { optIn: [], optOut: ['ARRET'] }, false), 'opt-out');
  assert.equal(keywordMeaning('STOP', { optIn: [], optOut: ['ARRET'] }, false), 'opt-out');
});

test('keywords ignore surrounding punctuation, emoji, quotes and accents; inner words still count', () => {
  for (const t of ['Stop.', 'STOP!', 'stop 🙏', '"STOP"', 'STOP!!!', '¡stop!', '«stop»', '...stop...', '🛑STOP🛑', 'ＳＴＯＰ', '\u200bstop\u200b', 'stop\u00a0']) {
    assert.equal(keywordMeaning(t, plain, false), 'opt-out', JSON.stringify(t));
  }
  assert.equal(keywordMeaning('  Start. ', plain, false), 'opt-in');
  assert.equal(keywordMeaning('Help?', plain, false), 'help');
  assert.equal(keywordMeaning('Yes!', plain, true), 'opt-in');
  for (const t of ['STOP please', 'STOP. please', 'stop 2', 'S T O P', 'STOP-ALL', '¿?', '🙏']) {
    assert.equal(keywordMeaning(t, plain, false), null, JSON.stringify(t));
  }
});

test('other languages count when the project has them; English always does', () => {
  for (const t of ['arrêt', 'ARRÊT', 'arret', 'Arrêt.', 'ARRÊT 🙏']) {
    assert.equal(keywordMeaning(t, plain, false, ['fr']), 'opt-out', t);
    assert.equal(keywordMeaning(t, plain, false), null, `${t} without French`);
  }
  assert.equal(keywordMeaning('STOP', plain, false, ['fr']), 'opt-out');
  assert.equal(keywordMeaning('STOP', plain, false, []), 'opt-out');
  assert.equal(keywordMeaning('Baja', plain, false, ['es']), 'opt-out');
  assert.equal(keywordMeaning('ayuda', plain, false, ['es-MX']), 'help');
  assert.equal(keywordMeaning('Sair!', plain, false, ['pt-BR']), 'opt-out');
  assert.equal(keywordMeaning('Msaada', plain, false, ['sw']), 'help');
  assert.equal(keywordMeaning('acha', plain, false, ['en', 'sw']), 'opt-out');
  assert.equal(keywordMeaning('Arrêt', { optIn: [], optOut: ['ARRET'] }, false), 'opt-out', 'a gateway word, accent-folded');
  assert.deepEqual(wordLanguages(['fr-CA', 'PT', 'xx', 'sw']), ['en', 'fr', 'pt', 'sw']);
});

test('keywordKey: accent-folded, upper case, edges trimmed, inner white space folded; foldText is unchanged', () => {
  assert.equal(keywordKey('  Arrêtez,  SVP !! '), 'ARRETEZ, SVP');
  assert.equal(keywordKey('número equivocado 🙏'), 'NUMERO EQUIVOCADO');
  assert.equal(keywordKey('🙏'), '');
  assert.equal(keywordKey('a\u{20000}!'), 'A\u{20000}', 'a letter outside the BMP is kept whole');
  assert.equal(foldText('  stop. '), 'STOP.');
});

test('join: project, worker, optional username, any case', () => {
  assert.deepEqual(parseJoin('JOIN Demo'), { kind: 'case', project: 'demo' });
  assert.deepEqual(parseJoin(' join  demo  worker  Bob '), { kind: 'worker', project: 'demo', username: 'Bob' });
  assert.deepEqual(parseJoin('join demo worker'), { kind: 'worker', project: 'demo', username: null });
  assert.equal(parseJoin('join'), null);
  assert.equal(parseJoin('joined demo'), null);
  assert.equal(parseJoin('join demo now please'), null);
});
