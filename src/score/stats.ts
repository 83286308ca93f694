// Estimators behind every summary figure: pass@k, mean with a Student t interval, rate with a Wilson interval.

/** Two-sided 95% normal quantile, z(0.975). */
export const Z_975 = 1.959963984540054;

/**
 * Unbiased pass@k from n samples of which c passed: 1 - C(n-c, k) / C(n, k).
 * Computed as a product of ratios, so large n neither overflows nor loses precision.
 */
export function passAtK(n: number, c: number, k: number): number {
  for (const [name, value] of [['n', n], ['c', c], ['k', k]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`pass@k: ${name} must be a non-negative integer, got ${value}`);
  }
  if (c > n) throw new RangeError(`pass@k: c (${c}) is larger than n (${n})`);
  if (k < 1 || k > n) throw new RangeError(`pass@k: k must lie between 1 and n (${n}), got ${k}`);
  if (n - c < k) return 1;
  let allFail = 1;
  for (let i = n - c + 1; i <= n; i++) allFail *= 1 - k / i;
  return 1 - allFail;
}

/** A figure with its 95% interval and the number of values behind it. */
export interface Estimate {
  n: number;
  /** Mean of the values, or the rate for Wilson estimates; null when n is 0. */
  mean: number | null;
  low: number | null;
  high: number | null;
}

/**
 * Mean with a two-sided 95% Student t interval; the interval is null below two values. The
 * interval is cut to `range`, the values the quantity can take (a t interval on few values of a
 * bounded metric can otherwise reach below 0 or above 100).
 */
export function meanWithInterval(values: number[], range: readonly [number, number] = [-Infinity, Infinity]): Estimate {
  const n = values.length;
  if (n === 0) return { n, mean: null, low: null, high: null };
  const mean = values.reduce((sum, value) => sum + value, 0) / n;
  if (n < 2) return { n, mean, low: null, high: null };
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
  const half = studentTQuantile(0.975, n - 1) * Math.sqrt(variance / n);
  return { n, mean, low: Math.max(range[0], mean - half), high: Math.min(range[1], mean + half) };
}

/** Rate of `successes` in `n` trials with its 95% Wilson score interval. */
export function rateWithInterval(successes: number, n: number): Estimate {
  if (n === 0) return { n, mean: null, low: null, high: null };
  if (successes < 0 || successes > n) throw new RangeError(`rate: successes ${successes} outside 0..${n}`);
  const p = successes / n;
  const z2 = Z_975 * Z_975;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const half = (Z_975 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { n, mean: p, low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/** Quantile of Student's t distribution with `df` degrees of freedom, for 0.5 <= p < 1, by bisection on the CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p >= 0.5 && p < 1)) throw new RangeError(`t quantile: p must lie in [0.5, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`t quantile: degrees of freedom must be positive, got ${df}`);
  let low = 0;
  let high = 1;
  while (studentTCdf(high, df) < p) high *= 2;
  for (let step = 0; step < 200 && high - low > 1e-13 * Math.max(1, high); step++) {
    const middle = (low + high) / 2;
    if (studentTCdf(middle, df) < p) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/** CDF of Student's t at t >= 0, through the regularized incomplete beta function. */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  return 1 - 0.5 * regularizedBeta(x, df / 2, 0.5);
}

/** Regularized incomplete beta I_x(a, b), by Lentz's continued fraction (converges fast for x < (a+1)/(a+b+2)). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = a * Math.log(x) + b * Math.log(1 - x) - logBeta(a, b);
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedBeta(1 - x, b, a);
  return (Math.exp(logFront) / a) * betaContinuedFraction(x, a, b);
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let result = d;
  for (let m = 1; m <= 500; m++) {
    // Even and odd terms of the continued fraction.
    for (const numerator of [
      (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)),
      (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1)),
    ]) {
      d = 1 + numerator * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + numerator / c;
      if (Math.abs(c) < tiny) c = tiny;
      result *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return result;
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** ln Γ(x) for x > 0 by the Lanczos approximation (g = 7, nine coefficients), about 15 significant digits. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const shifted = x - 1;
  let sum = coefficients[0];
  for (let i = 1; i < coefficients.length; i++) sum += coefficients[i] / (shifted + i);
  const t = shifted + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(sum);
}
