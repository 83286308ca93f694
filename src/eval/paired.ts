// Paired comparison of one variant against `orig` over the same tasks.
//
// Continuous metrics: paired t-test on per-task differences (two-sided).
// Binary outcomes (pass, syntax, response): exact McNemar test on the discordant pairs (two-sided).

import { logGamma, studentTCdf } from '../score/stats.js';

export interface PairedContinuous {
  readonly test: 'paired-t';
  readonly n: number;
  readonly meanDifference: number;
  readonly t: number;
  readonly pValue: number;
}

export interface PairedBinary {
  readonly test: 'mcnemar-exact';
  readonly n: number;
  /** Tasks where the variant succeeded and orig failed. */
  readonly variantOnly: number;
  /** Tasks where orig succeeded and the variant failed. */
  readonly origOnly: number;
  readonly pValue: number;
}

export function pairedT(variant: readonly number[], orig: readonly number[]): PairedContinuous | null {
  if (variant.length !== orig.length) throw new Error(`paired samples differ in length: ${variant.length} and ${orig.length}`);
  const n = variant.length;
  if (n < 2) return null;
  const diffs = variant.map((value, i) => value - orig[i]);
  const mean = diffs.reduce((a, b) => a + b, 0) / n;
  const variance = diffs.reduce((a, d) => a + (d - mean) ** 2, 0) / (n - 1);
  if (variance === 0) return { test: 'paired-t', n, meanDifference: mean, t: mean === 0 ? 0 : Infinity, pValue: mean === 0 ? 1 : 0 };
  const t = mean / Math.sqrt(variance / n);
  return { test: 'paired-t', n, meanDifference: mean, t, pValue: 2 * (1 - studentTCdf(Math.abs(t), n - 1)) };
}

export function mcnemarExact(variant: readonly boolean[], orig: readonly boolean[]): PairedBinary {
  if (variant.length !== orig.length) throw new Error(`paired samples differ in length: ${variant.length} and ${orig.length}`);
  let variantOnly = 0;
  let origOnly = 0;
  for (let i = 0; i < variant.length; i++) {
    if (variant[i] && !orig[i]) variantOnly++;
    if (!variant[i] && orig[i]) origOnly++;
  }
  const discordant = variantOnly + origOnly;
  const k = Math.min(variantOnly, origOnly);
  // Two-sided binomial test with p = 1/2 on the discordant pairs.
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(discordant, i) - discordant * Math.LN2);
  return { test: 'mcnemar-exact', n: variant.length, variantOnly, origOnly, pValue: discordant === 0 ? 1 : Math.min(1, 2 * tail) };
}

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}
