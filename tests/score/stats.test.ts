// pass@k against brute-force enumeration; t and Wilson intervals against published values.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logGamma, meanWithInterval, passAtK, rateWithInterval, studentTQuantile } from '../../src/score/stats.js';

/** Fraction of all k-subsets of n samples (c passing) that contain at least one passing sample. */
function bruteForcePassAtK(n: number, c: number, k: number): number {
  let subsets = 0;
  let hits = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let size = 0;
    let hasPass = false;
    for (let bit = 0; bit < n; bit++) {
      if (mask & (1 << bit)) {
        size++;
        if (bit < c) hasPass = true;
      }
    }
    if (size !== k) continue;
    subsets++;
    if (hasPass) hits++;
  }
  return hits / subsets;
}

test('pass@k equals brute-force enumeration', () => {
  for (let n = 1; n <= 10; n++) {
    for (let c = 0; c <= n; c++) {
      for (let k = 1; k <= n; k++) {
        const expected = bruteForcePassAtK(n, c, k);
        assert.ok(Math.abs(passAtK(n, c, k) - expected) < 1e-12, `n=${n} c=${c} k=${k}: ${passAtK(n, c, k)} vs ${expected}`);
      }
    }
  }
});

test('pass@k stays finite for large n', () => {
  const value = passAtK(2000, 3, 100);
  // 1 - C(1997,100)/C(2000,100), computed with exact big integers.
  const exact = 1 - Number((binomial(1997n, 100n) * 10n ** 18n) / binomial(2000n, 100n)) / 1e18;
  assert.ok(Math.abs(value - exact) < 1e-12, `${value} vs ${exact}`);
  assert.equal(passAtK(5, 0, 1), 0);
  assert.equal(passAtK(5, 5, 1), 1);
  assert.ok(Math.abs(passAtK(5, 2, 1) - 0.4) < 1e-15);
});

function binomial(n: bigint, k: bigint): bigint {
  let result = 1n;
  for (let i = 1n; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}

test('pass@k rejects invalid arguments', () => {
  assert.throws(() => passAtK(3, 4, 1), /larger than n/);
  assert.throws(() => passAtK(3, 1, 4), /between 1 and n/);
  assert.throws(() => passAtK(3, 1, 0), /between 1 and n/);
  assert.throws(() => passAtK(2.5, 1, 1), /non-negative integer/);
});

test('t quantiles match published tables', () => {
  // Two-sided 95% critical values of Student's t, computed with mpmath 30-digit betainc and findroot.
  const table: [number, number][] = [
    [1, 12.706204736],
    [2, 4.30265273],
    [5, 2.570581836],
    [10, 2.228138852],
    [30, 2.042272456],
    [100, 1.983971519],
    [1000, 1.962339081],
  ];
  for (const [df, expected] of table) {
    const value = studentTQuantile(0.975, df);
    assert.ok(Math.abs(value - expected) < 1e-7, `df=${df}: ${value} vs ${expected}`);
  }
});

test('log gamma matches factorials', () => {
  assert.ok(Math.abs(logGamma(5) - Math.log(24)) < 1e-12);
  assert.ok(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-12);
});

test('mean interval matches hand computation', () => {
  // Values 1..5: mean 3, sample sd sqrt(2.5), t(0.975, 4) = 2.776445105.
  const estimate = meanWithInterval([1, 2, 3, 4, 5]);
  const half = 2.776445105 * Math.sqrt(2.5 / 5);
  assert.equal(estimate.n, 5);
  assert.equal(estimate.mean, 3);
  assert.ok(Math.abs(estimate.low! - (3 - half)) < 1e-8);
  assert.ok(Math.abs(estimate.high! - (3 + half)) < 1e-8);
  assert.deepEqual(meanWithInterval([]), { n: 0, mean: null, low: null, high: null });
  assert.deepEqual(meanWithInterval([7]), { n: 1, mean: 7, low: null, high: null });
});

test('Wilson interval matches known values', () => {
  // 95% Wilson intervals, from the closed form evaluated in Python with z = 1.959963984540054.
  const cases: [number, number, number, number][] = [
    [5, 10, 0.236593, 0.763407],
    [0, 10, 0, 0.277533],
    [81, 263, 0.255289, 0.36621],
  ];
  for (const [successes, n, low, high] of cases) {
    const estimate = rateWithInterval(successes, n);
    assert.ok(Math.abs(estimate.low! - low) < 1e-5, `${successes}/${n} low ${estimate.low}`);
    assert.ok(Math.abs(estimate.high! - high) < 1e-5, `${successes}/${n} high ${estimate.high}`);
    assert.equal(estimate.mean, successes / n);
  }
  assert.deepEqual(rateWithInterval(0, 0), { n: 0, mean: null, low: null, high: null });
});

test('meanWithInterval cuts interval to range', () => {
  // pass@1 of three tasks, one passed: the plain t interval is [-0.77, 2.10].
  const unbounded = meanWithInterval([0, 0, 1]);
  assert.ok(unbounded.low! < 0, `t interval low ${unbounded.low}`);
  assert.ok(unbounded.high! > 1, `t interval high ${unbounded.high}`);
  const bounded = meanWithInterval([0, 0, 1], [0, 1]);
  assert.equal(bounded.low, 0);
  assert.equal(bounded.high, 1);
  assert.equal(bounded.mean, unbounded.mean);
});
