import assert from 'node:assert/strict';
import { test } from 'node:test';

import { nonGsmCharacters, smsLength } from './sms-segments.ts';

test('GSM-7: 160 in one part, 161 in two of 153', () => {
  assert.deepEqual(smsLength(''), { encoding: 'GSM-7', characters: 0, segments: 0, perSegment: 160 });
  assert.deepEqual(smsLength('Clinic day is Monday'), { encoding: 'GSM-7', characters: 20, segments: 1, perSegment: 160 });
  assert.deepEqual(smsLength('a'.repeat(160)), { encoding: 'GSM-7', characters: 160, segments: 1, perSegment: 160 });
  assert.deepEqual(smsLength('a'.repeat(161)), { encoding: 'GSM-7', characters: 161, segments: 2, perSegment: 153 });
  assert.deepEqual(smsLength('a'.repeat(306)), { encoding: 'GSM-7', characters: 306, segments: 2, perSegment: 153 });
  assert.deepEqual(smsLength('a'.repeat(307)), { encoding: 'GSM-7', characters: 307, segments: 3, perSegment: 153 });
});

test('GSM-7 basic table letters (é, ñ, Δ, £) stay GSM-7; the extension table counts 2', () => {
  assert.equal(smsLength('Café £5 Δ ñ ¿Ü?').encoding, 'GSM-7');
  assert.deepEqual(smsLength('€'), { encoding: 'GSM-7', characters: 2, segments: 1, perSegment: 160 });
  assert.equal(smsLength('[]{}|^~\\€').characters, 18);
  // 159 + one extension character = 161 septets: two parts.
  assert.deepEqual(smsLength(`${'a'.repeat(159)}€`), { encoding: 'GSM-7', characters: 161, segments: 2, perSegment: 153 });
  // 152 + € cannot fit the escape pair in the first part of 153: it moves to the second.
  assert.equal(smsLength(`${'a'.repeat(152)}€${'a'.repeat(152)}`).segments, 3);
  assert.equal(smsLength(`${'a'.repeat(151)}€${'a'.repeat(153)}`).segments, 2);
});

test('any other character makes it UCS-2: 70 in one part, 67 per part after', () => {
  assert.deepEqual(smsLength('Habari — karibu'), { encoding: 'UCS-2', characters: 15, segments: 1, perSegment: 70 });
  assert.deepEqual(smsLength('ç'.repeat(70)), { encoding: 'UCS-2', characters: 70, segments: 1, perSegment: 70 }); // ç (small) is not in GSM-7, only Ç
  assert.deepEqual(smsLength('ç'.repeat(71)), { encoding: 'UCS-2', characters: 71, segments: 2, perSegment: 67 });
  assert.equal(smsLength('ç'.repeat(134)).segments, 2);
  assert.equal(smsLength('ç'.repeat(135)).segments, 3);
  assert.equal(smsLength('नमस्ते').encoding, 'UCS-2');
  assert.deepEqual(nonGsmCharacters('Hi — 😀 ok —'), ['—', '😀']);
  assert.deepEqual(nonGsmCharacters('Hello €'), []);
});

test('UCS-2 counts UTF-16 code units; a surrogate pair is never split', () => {
  assert.deepEqual(smsLength('😀'), { encoding: 'UCS-2', characters: 2, segments: 1, perSegment: 70 });
  assert.deepEqual(smsLength('😀'.repeat(35)), { encoding: 'UCS-2', characters: 70, segments: 1, perSegment: 70 });
  // 66 units + an emoji: 68 in the first part would split the pair, so the emoji starts part 2.
  assert.equal(smsLength(`${'ç'.repeat(66)}😀${'ç'.repeat(66)}`).segments, 3);
  assert.equal(smsLength(`${'ç'.repeat(65)}😀${'ç'.repeat(67)}`).segments, 2);
});
