import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultLayers, FIRST_RELEASE_PAIRS, parseVariants } from '../../src/eval/depths.js';
import { InputError } from '../../src/util/errors.js';

test('defaultLayers on a 32-layer model', () => {
  assert.deepEqual(defaultLayers(32), [1, 10, 23]);
});

test('defaultLayers scales to 8 and 16 layers', () => {
  assert.deepEqual(defaultLayers(8), [0, 3, 6]);
  assert.deepEqual(defaultLayers(16), [1, 5, 12]);
});

test('parseVariants default adds orig last', () => {
  const names = parseVariants(32).map((v) => v.name);
  assert.deepEqual(names, ['L1', 'L10', 'L23', 'orig']);
});

test('parseVariants reads first-release pairs', () => {
  const variants = parseVariants(32, undefined, FIRST_RELEASE_PAIRS + ',orig');
  assert.deepEqual(
    variants.map((v) => ('captureLayer' in v ? [v.captureLayer, v.integrationLayer] : v.name)),
    [[10, 1], [23, 10], [1, 23], 'orig'],
  );
});

test('parseVariants rejects out-of-range layer', () => {
  assert.throws(() => parseVariants(8, '9'), (error: unknown) => error instanceof InputError && /0 to 8/.test(error.message));
  assert.throws(() => parseVariants(8, 'x'), InputError);
  assert.throws(() => parseVariants(8, undefined, '3-1'), /CAPTURE:INTEGRATION/);
});
