import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AppError } from '../errors.ts';
import { type CaseDraft, decideCaseRow } from './import-row.ts';
import { checkName, nameProblem } from './name.ts';

const CONTROLS = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];

test('every bidirectional embedding, override and isolate control is refused, with its code point', () => {
  for (const c of CONTROLS) {
    const code = `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase()}`;
    assert.match(nameProblem(`Alice${c}gnp.exe`) ?? '', new RegExp(`control ${code.replace('+', '\\+')}\\b`));
  }
});

test('right-to-left names, direction marks and other invisible characters are not the rule’s business', () => {
  for (const name of ['Amina', 'أمينة', 'אמינה', 'Amina\u200F', '\u200Eabc', 'a\u061Cb', 'Zoë-Ann O’Neil', '']) {
    assert.equal(nameProblem(name), null, JSON.stringify(name));
  }
});

test('checkName throws VALIDATION_ERROR naming the field', () => {
  assert.doesNotThrow(() => checkName('name', 'Amina'));
  assert.throws(
    () => checkName('caseType', 'pat\u202Eient'),
    (err: unknown) => err instanceof AppError && err.code === 'VALIDATION_ERROR' && /^caseType contains/.test(err.message) && (err.details as { field: string }).field === 'caseType',
  );
});

test('an import row whose name holds a control fails on the name column, for new and matched cases alike', () => {
  const draft = (name: string | null, key: string | null): CaseDraft => ({ row: 4, key, duplicateOf: null, name, externalId: null, ownerId: null, properties: {}, problems: [] });
  const o = { matchBy: 'external_id' as const, createNew: true, matchColumn: 'ext', nameColumn: 'Case Name' };
  for (const found of [false, true]) {
    const d = decideCaseRow(draft('Evil\u2066name', found ? 'E1' : null), found, o);
    assert.equal(d.action, 'fail');
    assert.deepEqual({ ...d.problem, message: undefined }, { row: 4, column: 'Case Name', code: 'VALIDATION_ERROR', message: undefined });
    assert.match(d.problem?.message ?? '', /U\+2066/);
  }
  assert.equal(decideCaseRow(draft('Fine', null), false, o).action, 'create');
  assert.equal(decideCaseRow(draft(null, 'E1'), true, o).action, 'update');
});
