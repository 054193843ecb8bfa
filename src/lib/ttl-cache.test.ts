import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TtlCache } from './ttl-cache.ts';

test('entries expire after the ttl; the oldest goes when full', () => {
  const c = new TtlCache<number>(100, 2);
  c.set('a', 1, 0);
  assert.equal(c.get('a', 50), 1);
  assert.equal(c.get('a', 100), undefined);
  c.set('a', 1, 0);
  c.set('b', 2, 0);
  c.set('c', 3, 0);
  assert.equal(c.get('a', 1), undefined);
  assert.equal(c.get('c', 1), 3);
  c.delete('c');
  assert.equal(c.get('c', 1), undefined);
});
