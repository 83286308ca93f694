// summary.json: per variant, per metric, a mean with its 95% interval and the number of values.
// Accepted shapes, all normalized to SummaryRow[]:
//   { "variants": [ { "variant", "<rate>": Estimate, "pass_at_k": { "pass@1": Estimate },
//                     "metrics": { "<field>": Estimate }, "outcomes": { "<outcome>": count } } ] }
//     (written by `nir score` and `nir eval`; estimates are read from the variant object and
//     from its `pass_at_k` and `metrics` objects)
//   { "variants": { "<variant>": { "<metric>": { "n", "mean", "low", "high" }, ... } } }
//   { "<variant>": { "<metric>": { ... } } }
//   [ { "variant", "metric", "n", "mean", "low", "high" } ]
// An estimate may also name its interval `ci: [low, high]` or `ci_low`/`ci_high`, and a bare
// number is a mean without interval.

import { InputError } from '../util/errors.js';
import { checkName, compareVariants } from './variants.js';

export interface Estimate {
  n: number | null;
  mean: number | null;
  low: number | null;
  high: number | null;
}

export interface SummaryRow {
  variant: string;
  metric: string;
  estimate: Estimate;
}

/** Variant-level keys that describe the variant instead of being a metric. */
const VARIANT_FIELDS = new Set(['n', 'count', 'tasks', 'samples', 'variant', 'name', 'label', 'outcomes', 'samples_per_task']);
/** Objects inside a variant entry whose members are estimates of further metrics. */
const NESTED_ESTIMATES = ['pass_at_k', 'metrics'];

/** Outcome counts per variant, e.g. { L10: { passed: 40, failed: 52 } }. */
export type OutcomeCounts = Record<string, Record<string, number>>;

/** Paired test of a variant against orig on one figure, as `nir eval` writes it. */
export interface PairedTest {
  test: string;
  pValue: number;
  n: number | null;
}

export function parseSummary(data: unknown, source: string): SummaryRow[] {
  const rows: SummaryRow[] = [];
  if (isObject(data) && Array.isArray(data.variants)) {
    data.variants.forEach((entry, index) => {
      const where = `${source} variants[${index}]`;
      if (!isObject(entry)) throw new InputError(`${where}: expected an object with a "variant" name`, { source: where });
      const variant = checkName(entry.variant, 'variant', where);
      const containers = [entry, ...NESTED_ESTIMATES.map((key) => entry[key]).filter(isObject)];
      for (const container of containers) {
        for (const [metric, value] of Object.entries(container)) {
          // Bare numbers at this level are counts (samples, tasks), not figures.
          if (VARIANT_FIELDS.has(metric) || NESTED_ESTIMATES.includes(metric) || !isObject(value)) continue;
          const estimate = toEstimate(value, `${where}.${metric}`);
          if (estimate) rows.push({ variant, metric: checkName(metric, 'metric', where), estimate });
        }
      }
    });
  } else if (Array.isArray(data)) {
    data.forEach((item, index) => {
      const where = `${source}[${index}]`;
      if (!isObject(item)) throw new InputError(`${where}: expected an object with variant, metric and mean`, { source: where });
      const estimate = toEstimate(item, where);
      if (!estimate) throw new InputError(`${where}: expected a numeric "mean"`, { source: where, found: JSON.stringify(item).slice(0, 120) });
      rows.push({ variant: checkName(item.variant, 'variant', where), metric: checkName(item.metric, 'metric', where), estimate });
    });
  } else if (isObject(data)) {
    const variants = isObject(data.variants) ? data.variants : data;
    for (const [variant, metrics] of Object.entries(variants)) {
      if (!isObject(metrics)) continue;
      const where = `${source} variant ${variant}`;
      checkName(variant, 'variant', source);
      const defaultN = typeof metrics.n === 'number' ? metrics.n : null;
      for (const [metric, value] of Object.entries(metrics)) {
        if (VARIANT_FIELDS.has(metric)) continue;
        const estimate = toEstimate(value, `${where} metric ${metric}`);
        if (!estimate) continue;
        rows.push({ variant, metric: checkName(metric, 'metric', where), estimate: { ...estimate, n: estimate.n ?? defaultN } });
      }
    }
  } else {
    throw new InputError(`${source}: expected an object of variants or an array of rows`, { source, found: typeof data });
  }
  if (rows.length === 0) throw new InputError(`${source}: no variant has any metric with a numeric mean`, { source, hint: 'check that the run finished scoring' });
  return rows;
}

/** Returns the variants of the rows, sorted by depth. */
/** Returns the outcome counts per variant from a summary written by `nir score` or `nir eval`, or {} when it has none. */
export function parseOutcomeCounts(data: unknown): OutcomeCounts {
  const counts: OutcomeCounts = {};
  if (!isObject(data) || !Array.isArray(data.variants)) return counts;
  for (const entry of data.variants) {
    if (!isObject(entry) || typeof entry.variant !== 'string' || !isObject(entry.outcomes)) continue;
    const variantCounts: Record<string, number> = {};
    for (const [outcome, count] of Object.entries(entry.outcomes)) {
      if (typeof count === 'number' && Number.isFinite(count) && count >= 0) variantCounts[outcome.slice(0, 40)] = count;
    }
    counts[entry.variant] = variantCounts;
  }
  return counts;
}

/** Returns the paired tests against orig by variant and figure (`paired` of an eval summary), or {} when absent. */
export function parsePairedTests(data: unknown): Record<string, Record<string, PairedTest>> {
  const tests: Record<string, Record<string, PairedTest>> = {};
  if (!isObject(data) || !isObject(data.paired)) return tests;
  for (const [variant, figures] of Object.entries(data.paired)) {
    if (!isObject(figures)) continue;
    tests[variant] = {};
    for (const [figure, test] of Object.entries(figures)) {
      if (!isObject(test) || typeof test.pValue !== 'number' || !Number.isFinite(test.pValue)) continue;
      tests[variant][figure] = { test: typeof test.test === 'string' ? test.test : 'test', pValue: test.pValue, n: typeof test.n === 'number' ? test.n : null };
    }
  }
  return tests;
}

export function summaryVariants(rows: SummaryRow[]): string[] {
  return [...new Set(rows.map((row) => row.variant))].sort(compareVariants);
}

/** Returns the metrics of the rows in the order they first appear. */
export function summaryMetrics(rows: SummaryRow[]): string[] {
  return [...new Set(rows.map((row) => row.metric))];
}

/** Code metrics shown up front: those `nir eval` tests against orig. Other metrics go under "more". */
const KEY_CODE_METRICS = ['characters', 'lines', 'cc_total', 'cc_mean', 'mi', 'halstead_volume', 'halstead_difficulty', 'halstead_effort'];

/**
 * Splits the metrics into key ones (rates, pass@k and KEY_CODE_METRICS) and the rest, keeping
 * the summary's order. Metrics without any mean go to the rest. When no metric is a key one,
 * all are.
 */
export function splitMetrics(rows: SummaryRow[]): { key: string[]; more: string[] } {
  const metrics = summaryMetrics(rows);
  const hasMean = (metric: string) => rows.some((row) => row.metric === metric && row.estimate.mean !== null);
  const isKey = (metric: string) => /_rate$|^pass@\d+$/.test(metric) || KEY_CODE_METRICS.includes(metric);
  const key = metrics.filter((metric) => isKey(metric) && hasMean(metric));
  if (key.length === 0) return { key: metrics, more: [] };
  return { key, more: metrics.filter((metric) => !key.includes(metric)) };
}

export function findEstimate(rows: SummaryRow[], variant: string, metric: string): Estimate | undefined {
  return rows.find((row) => row.variant === variant && row.metric === metric)?.estimate;
}

function toEstimate(value: unknown, where: string): Estimate | null {
  if (typeof value === 'number') return { n: null, mean: value, low: null, high: null };
  if (!isObject(value)) return null;
  const mean = value.mean ?? value.rate ?? value.value;
  if (!('mean' in value || 'rate' in value || 'value' in value)) return null;
  const interval = Array.isArray(value.ci) ? value.ci : Array.isArray(value.ci95) ? value.ci95 : [];
  return {
    n: numberOrNull(value.n, `${where}.n`),
    mean: numberOrNull(mean, `${where}.mean`),
    low: numberOrNull(value.low ?? value.ci_low ?? value.lower ?? interval[0], `${where}.low`),
    high: numberOrNull(value.high ?? value.ci_high ?? value.upper ?? interval[1], `${where}.high`),
  };
}

function numberOrNull(value: unknown, where: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError(`${where}: expected a finite number or null, found ${JSON.stringify(value)}`, { source: where });
  }
  return value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
