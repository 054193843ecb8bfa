import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Project } from '../../domain/project.ts';
import { applyOp, draftFromForm, inputOf } from './survey-draft.ts';

const project = { languages: ['en', 'fr'], defaultLanguage: 'en' } as unknown as Project;

test('the posted editor form becomes a survey: choices one per line with translated labels, numbers only for number questions', () => {
  const draft = draftFromForm(
    {
      name: 'Consent',
      count: '2',
      'q.0.id': 'consent',
      'q.0.type': 'choice',
      'q.0.text': 'Agree?',
      'q.0.tr.fr': 'D’accord ?',
      'q.0.saveAs': 'contact_phone_number_is_verified',
      'q.0.required': '1',
      'q.0.min': '3',
      'q.0.choices': '1 | Yes | fr: Oui\n\n2 | No | fr: Non\nmaybe',
      'q.1.id': 'age',
      'q.1.type': 'number',
      'q.1.text': 'Age?',
      'q.1.saveAs': 'age',
      'q.1.min': '0',
      'q.1.max': '',
      asksConsent: '1',
      timeoutMinutes: '',
      reminderMinutes: '30',
    },
    project,
  );
  const input = inputOf(draft);
  assert.equal(input.asksConsent, true);
  assert.equal(input.timeoutMinutes, undefined, 'blank: the default');
  assert.equal(input.reminderMinutes, 30);
  const [consent, age] = input.questions;
  assert.deepEqual(consent?.translations, { fr: 'D’accord ?' });
  assert.deepEqual(consent?.choices, [
    { value: '1', label: 'Yes', translations: { fr: 'Oui' } },
    { value: '2', label: 'No', translations: { fr: 'Non' } },
    { value: 'maybe', label: 'maybe' },
  ]);
  assert.equal(consent?.min, undefined, 'min only on number questions');
  assert.equal(age?.min, 0);
  assert.equal(age?.max, undefined);
  assert.equal(age?.required, false, 'an unticked box is optional');
});

test('the editor buttons: add, move up and down, remove', () => {
  const d = draftFromForm({ name: 'x', count: '2', 'q.0.id': 'a', 'q.1.id': 'b' }, project);
  assert.deepEqual(applyOp(d, 'add').questions.map((q) => q.id), ['a', 'b', 'q3']);
  assert.deepEqual(applyOp(d, 'up-1').questions.map((q) => q.id), ['b', 'a']);
  assert.deepEqual(applyOp(d, 'down-0').questions.map((q) => q.id), ['b', 'a']);
  assert.deepEqual(applyOp(d, 'up-0').questions.map((q) => q.id), ['a', 'b'], 'the first cannot move up');
  assert.deepEqual(applyOp(d, 'remove-0').questions.map((q) => q.id), ['b']);
  assert.deepEqual(applyOp(d, 'nonsense').questions.map((q) => q.id), ['a', 'b']);
});
