import assert from 'node:assert/strict';
import { test } from 'node:test';

import { escapeHtml, formatDifference, formatInterval, formatNumber } from '../../src/report/format.js';
import { compareVariants, variantDepth } from '../../src/report/variants.js';

test('formatNumber cases', () => {
  const cases: [number | null, string][] = [
    [1 / 3, '0.333'],
    [2, '2'],
    [0, '0'],
    [1234.5678, '1234.6'],
    [-0.5, '-0.500'],
    [99.9996, '100.000'],
    [null, '–'],
    [Number.NaN, '–'],
    [Number.POSITIVE_INFINITY, '∞'],
  ];
  for (const [value, expected] of cases) assert.equal(formatNumber(value), expected, String(value));
});

test('differences and intervals', () => {
  assert.equal(formatDifference(0.125), '+0.125');
  assert.equal(formatDifference(-3.25), '−3.250');
  assert.equal(formatDifference(0), '0');
  assert.equal(formatDifference(null), '–');
  assert.equal(formatInterval(0.1, 0.25), '[0.100, 0.250]');
  assert.equal(formatInterval(null, 1), '–');
});

test('escapeHtml escapes markup', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('variant depth order', () => {
  assert.deepEqual(variantDepth('L10'), { layer: 10, captureLayer: 10 });
  assert.deepEqual(variantDepth('L1c23'), { layer: 1, captureLayer: 23 });
  assert.equal(variantDepth('orig'), null);
  assert.deepEqual(['L23', 'other', 'L1c10', 'orig', 'L10', 'L1'].sort(compareVariants), ['orig', 'L1', 'L1c10', 'L10', 'L23', 'other']);
});
