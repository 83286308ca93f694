import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mcnemarExact, pairedT } from '../../src/eval/paired.js';

test('pairedT on a worked example', () => {
  // Differences 1, 2, 3, 4: mean 2.5, sd sqrt(5/3), t = 2.5 / (sd / 2) = 3.873, df 3.
  const result = pairedT([1, 2, 3, 4], [0, 0, 0, 0]);
  assert.ok(result);
  assert.equal(result.n, 4);
  assert.equal(result.meanDifference, 2.5);
  assert.ok(Math.abs(result.t - 3.8729833) < 1e-6);
  // From the t table: t_{0.975,3} = 3.182 and t_{0.99,3} = 4.541, so 0.02 < p < 0.05.
  assert.ok(result.pValue > 0.02, `p = ${result.pValue}`);
  assert.ok(result.pValue < 0.05, `p = ${result.pValue}`);
});

test('pairedT with identical samples', () => {
  const result = pairedT([3, 4, 5], [3, 4, 5]);
  assert.ok(result);
  assert.equal(result.pValue, 1);
  assert.equal(pairedT([1], [2]), null);
});

test('mcnemarExact counts discordant pairs', () => {
  const variant = [true, true, true, true, true, false, true];
  const orig = [false, false, false, false, false, false, true];
  const result = mcnemarExact(variant, orig);
  assert.equal(result.variantOnly, 5);
  assert.equal(result.origOnly, 0);
  // Binomial(5, 1/2): P(X = 0) = 1/32, two-sided 1/16.
  assert.ok(Math.abs(result.pValue - 1 / 16) < 1e-12);
});

test('mcnemarExact without discordant pairs', () => {
  assert.equal(mcnemarExact([true, false], [true, false]).pValue, 1);
});
