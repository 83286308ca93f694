// summary.json: per variant, per metric, a mean with its 95% interval and the number of values.
// Accepted shapes, all normalized to SummaryRow[]:
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
const VARIANT_FIELDS = new Set(['n', 'count', 'tasks', 'samples', 'variant', 'name', 'label']);

export function parseSummary(data: unknown, source: string): SummaryRow[] {
  const rows: SummaryRow[] = [];
  if (Array.isArray(data)) {
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
export function summaryVariants(rows: SummaryRow[]): string[] {
  return [...new Set(rows.map((row) => row.variant))].sort(compareVariants);
}

/** Returns the metrics of the rows in the order they first appear. */
export function summaryMetrics(rows: SummaryRow[]): string[] {
  return [...new Set(rows.map((row) => row.metric))];
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
