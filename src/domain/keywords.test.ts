import assert from 'node:assert/strict';
import { test } from 'node:test';

import { keywordMeaning, parseJoin } from './keywords.ts';

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

test('join: project, worker, optional username, any case', () => {
  assert.deepEqual(parseJoin('JOIN Demo'), { kind: 'case', project: 'demo' });
  assert.deepEqual(parseJoin(' join  demo  worker  Bob '), { kind: 'worker', project: 'demo', username: 'Bob' });
  assert.deepEqual(parseJoin('join demo worker'), { kind: 'worker', project: 'demo', username: null });
  assert.equal(parseJoin('join'), null);
  assert.equal(parseJoin('joined demo'), null);
  assert.equal(parseJoin('join demo now please'), null);
});
