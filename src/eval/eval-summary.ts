// Summary of an eval run: the scorer's per-variant figures, a paired test of each variant against
// `orig`, and a table in the layout of the original study.

import type { Estimate } from '../score/stats.js';
import { summarize, type Summary, type VariantSummary } from '../score/summary.js';
import type { EvalSampleRecord } from './generation.js';
import { mcnemarExact, pairedT, type PairedBinary, type PairedContinuous } from './paired.js';

/** Binary figures compared with McNemar's exact test. */
export const PAIRED_BINARY = ['response', 'syntax_valid', 'passed'] as const;
/** Continuous figures compared with a paired t-test, over tasks where both variants have a value. */
export const PAIRED_CONTINUOUS = ['cc_total', 'lines', 'characters', 'halstead_volume', 'halstead_difficulty', 'halstead_effort', 'mi'] as const;

export interface EvalSummary extends Summary {
  /** Per variant (not orig): figure name -> paired test against orig. */
  paired: Record<string, Record<string, PairedBinary | PairedContinuous | null>>;
  /** Variant order: depths by integration layer, then ctx, then orig. */
  order: string[];
}

function perTaskMean(records: EvalSampleRecord[], field: string): Map<number, number> {
  const sums = new Map<number, { sum: number; count: number }>();
  for (const record of records) {
    const raw = (record as unknown as Record<string, unknown>)[field];
    let value: number;
    if (typeof raw === 'boolean') value = Number(raw);
    else if (typeof raw === 'number' && Number.isFinite(raw)) value = raw;
    else continue;
    const entry = sums.get(record.task_id) ?? { sum: 0, count: 0 };
    entry.sum += value;
    entry.count += 1;
    sums.set(record.task_id, entry);
  }
  return new Map([...sums].map(([task, { sum, count }]) => [task, sum / count]));
}

export function variantOrder(names: readonly string[]): string[] {
  const layerOf = (name: string) => Number(/^L(\d+)/.exec(name)?.[1] ?? Number.MAX_SAFE_INTEGER);
  const RANKS: Record<string, number> = { ctx: 1, orig: 2 };
  const rank = (name: string) => RANKS[name] ?? 0;
  return [...names].sort((a, b) => rank(a) - rank(b) || layerOf(a) - layerOf(b) || a.localeCompare(b));
}

export function summarizeEval(records: EvalSampleRecord[]): EvalSummary {
  const base = summarize(records, [1]);
  const byVariant = new Map<string, EvalSampleRecord[]>();
  for (const record of records) byVariant.set(record.variant, [...(byVariant.get(record.variant) ?? []), record]);
  const orig = byVariant.get('orig');
  const paired: EvalSummary['paired'] = {};
  for (const [variant, list] of byVariant) {
    if (variant === 'orig' || orig === undefined) continue;
    const tests: Record<string, PairedBinary | PairedContinuous | null> = {};
    for (const field of [...PAIRED_BINARY, ...PAIRED_CONTINUOUS]) {
      const mine = perTaskMean(list, field);
      const theirs = perTaskMean(orig, field);
      const tasks = [...mine.keys()].filter((task) => theirs.has(task)).sort((a, b) => a - b);
      const a = tasks.map((task) => mine.get(task)!);
      const b = tasks.map((task) => theirs.get(task)!);
      const binary = (PAIRED_BINARY as readonly string[]).includes(field) && a.every((v) => v === 0 || v === 1) && b.every((v) => v === 0 || v === 1);
      tests[field] = binary ? mcnemarExact(a.map(Boolean), b.map(Boolean)) : pairedT(a, b);
    }
    paired[variant] = tests;
  }
  return { ...base, paired, order: variantOrder(base.variants.map((v) => v.variant)) };
}

function formatEstimate(estimate: Estimate | undefined, percent: boolean): string {
  if (estimate === undefined || estimate.mean === null) return 'n/a';
  const scale = percent ? 100 : 1;
  const digits = percent ? 1 : 2;
  const value = (estimate.mean * scale).toFixed(digits);
  if (estimate.low === null || estimate.high === null) return `${value}${percent ? '%' : ''}`;
  return `${value}${percent ? '%' : ''} [${(estimate.low * scale).toFixed(digits)}, ${(estimate.high * scale).toFixed(digits)}]`;
}

function marker(test: PairedBinary | PairedContinuous | null | undefined): string {
  if (test === null || test === undefined) return '';
  if (test.pValue < 0.01) return ' **';
  if (test.pValue < 0.05) return ' *';
  return '';
}

/** Columns of the study table: label, figure getter, percent or not, paired field. */
const COLUMNS: Array<[string, (v: VariantSummary) => Estimate | undefined, boolean, string]> = [
  ['Response rate', (v) => v.response_rate, true, 'response'],
  ['Syntactic correctness', (v) => v.syntax_rate, true, 'syntax_valid'],
  ['Cyclomatic complexity', (v) => v.metrics.cc_total, false, 'cc_total'],
  ['Lines', (v) => v.metrics.lines, false, 'lines'],
  ['Characters', (v) => v.metrics.characters, false, 'characters'],
  ['Halstead volume', (v) => v.metrics.halstead_volume, false, 'halstead_volume'],
  ['Maintainability', (v) => v.metrics.mi, false, 'mi'],
  ['pass@1', (v) => v.pass_at_k['1'] ?? v.pass_rate, true, 'passed'],
];

/** Markdown table in the layout of the original study, with 95% intervals and paired-test markers. */
export function studyTableMarkdown(summary: EvalSummary): string {
  const lines = [
    `| Depth | n | ${COLUMNS.map(([label]) => label).join(' | ')} |`,
    `|---|---|${COLUMNS.map(() => '---').join('|')}|`,
  ];
  for (const name of summary.order) {
    const variant = summary.variants.find((v) => v.variant === name)!;
    const cells = COLUMNS.map(([, get, percent, field]) => formatEstimate(get(variant), percent) + marker(summary.paired[name]?.[field]));
    lines.push(`| ${name} | ${variant.samples} | ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    'Means with 95% confidence intervals. n counts samples; complexity, Halstead volume and maintainability average only the samples whose code parses (summary.json gives each figure its own n).',
    'Against orig, paired over tasks: * p < 0.05, ** p < 0.01 (McNemar exact for rates, paired t for the rest).',
  );
  return lines.join('\n');
}

export function studyTableCsv(summary: EvalSummary): string {
  const header = ['variant', 'n'];
  for (const [label] of COLUMNS) header.push(label, `${label} low`, `${label} high`, `${label} p vs orig`);
  const rows = [header.map((cell) => JSON.stringify(cell)).join(',')];
  for (const name of summary.order) {
    const variant = summary.variants.find((v) => v.variant === name)!;
    const cells: Array<string | number> = [name, variant.samples];
    for (const [, get, , field] of COLUMNS) {
      const estimate = get(variant);
      cells.push(estimate?.mean ?? '', estimate?.low ?? '', estimate?.high ?? '', summary.paired[name]?.[field]?.pValue ?? '');
    }
    rows.push(cells.map((cell) => (typeof cell === 'string' ? JSON.stringify(cell) : String(cell))).join(','));
  }
  return `${rows.join('\n')}\n`;
}
