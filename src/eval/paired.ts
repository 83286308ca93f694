// Paired comparison of one variant against `orig` over the same tasks.
//
// Continuous metrics: paired t-test on per-task differences (two-sided).
// Binary outcomes (pass, syntax, response): exact McNemar test on the discordant pairs (two-sided).

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

/** Lanczos approximation of ln Γ(x) for x > 0 (g = 7, 9 coefficients; about 15 significant digits). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0];
  for (let i = 1; i < 9; i++) sum += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Regularized incomplete beta I_x(a, b) by Lentz's continued fraction. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - (logGamma(a) + logGamma(b) - logGamma(a + b))) / a;
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = Math.floor(i / 2);
    let numerator: number;
    if (i === 0) numerator = 1;
    else if (i % 2 === 0) numerator = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    else numerator = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + numerator * d;
    if (Math.abs(d) < tiny) d = tiny;
    d = 1 / d;
    c = 1 + numerator / c;
    if (Math.abs(c) < tiny) c = tiny;
    const step = c * d;
    f *= step;
    if (Math.abs(1 - step) < 1e-14) break;
  }
  return front * (f - 1);
}

/** Cumulative distribution function of Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}
