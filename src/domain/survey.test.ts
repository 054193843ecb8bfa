import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseAnswer, questionText, type SurveyQuestion } from './survey.ts';

const choice: SurveyQuestion = { id: 'c', text: 'Pick', type: 'choice', saveAs: 'c', choices: [{ value: 'yes', label: 'Agree', translations: { fr: "D'accord" } }, { value: 'no', label: 'Disagree' }] };

test('choice answers: number first, then value, then label or a translated label, any case', () => {
  assert.deepEqual(parseAnswer(choice, '1', 'en'), { ok: true, value: 'yes' });
  assert.deepEqual(parseAnswer(choice, ' 2) ', 'en'), { ok: true, value: 'no' });
  assert.deepEqual(parseAnswer(choice, 'NO', 'en'), { ok: true, value: 'no' });
  assert.deepEqual(parseAnswer(choice, 'agree', 'en'), { ok: true, value: 'yes' });
  assert.deepEqual(parseAnswer(choice, "d'accord", 'en'), { ok: true, value: 'yes' });
  assert.equal(parseAnswer(choice, '3', 'en').ok, false);
  assert.equal(parseAnswer(choice, 'maybe', 'en').ok, false);
});

test('number answers: sign, decimal point or comma, range', () => {
  const q: SurveyQuestion = { id: 'n', text: 'N', type: 'number', saveAs: 'n', min: -5, max: 10 };
  assert.deepEqual(parseAnswer(q, '2,5', 'en'), { ok: true, value: '2.5' });
  assert.deepEqual(parseAnswer(q, '+3', 'en'), { ok: true, value: '3' });
  assert.deepEqual(parseAnswer(q, '-5', 'en'), { ok: true, value: '-5' });
  assert.deepEqual(parseAnswer(q, '11', 'en'), { ok: false, hint: 'Please reply with a number from -5 to 10.' });
  assert.equal(parseAnswer(q, '1e3', 'en').ok, false);
});

test('skip only for optional questions; the hints and texts follow project overrides', () => {
  const optional: SurveyQuestion = { id: 't', text: 'Nickname?', type: 'text', saveAs: 't', required: false };
  assert.deepEqual(parseAnswer(optional, 'Skip', 'en'), { ok: true, value: null });
  assert.deepEqual(parseAnswer({ ...optional, required: true }, '-', 'fr', { fr: { surveyRequired: 'Merci de répondre.' } }), { ok: false, hint: 'Merci de répondre.' });
  assert.equal(questionText(optional, 'fr', 'en', { fr: { surveySkip: 'Répondez SKIP pour passer.' } }), 'Nickname?\nRépondez SKIP pour passer.');
});
