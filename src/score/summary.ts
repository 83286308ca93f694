// Per-variant summary of scored samples: every figure with its 95% interval and the n behind it.

import { HALSTEAD_FIELDS, RAW_FIELDS, type SampleRecord } from './sample.js';
import { meanWithInterval, passAtK, rateWithInterval, type Estimate } from './stats.js';

/** Sample fields averaged over samples whose program parses (t interval). */
export const MEAN_FIELDS = [
  'cc_total', 'cc_mean', 'cc_max', 'mi', ...HALSTEAD_FIELDS.map((name) => `halstead_${name}` as const), ...RAW_FIELDS,
] as const;

/** Sample fields averaged over samples with a response, parsed or not (t interval). */
export const RESPONSE_MEAN_FIELDS = ['lines', 'characters'] as const;

export interface VariantSummary {
  variant: string;
  samples: number;
  tasks: number;
  /** Samples per task: the smallest and largest count. */
  samples_per_task: { min: number; max: number };
  outcomes: Record<string, number>;
  /** Rates (Wilson interval): response over all samples, syntax over all samples and over responses. */
  response_rate: Estimate;
  syntax_rate: Estimate;
  syntax_rate_of_responses: Estimate;
  /** Over responses to tasks whose first assert calls a function. */
  name_match_rate: Estimate;
  /** Samples that passed every assert, over samples whose asserts ran or had no program (Wilson). */
  pass_rate: Estimate;
  /**
   * Mean over tasks of the unbiased pass@k, with a t interval across tasks, for each k up to the fewest
   * samples of a task. Tasks with a sample whose asserts did not run are left out.
   */
  pass_at_k: Record<string, Estimate>;
  /** Samples of tasks with challenge asserts that passed all of them (Wilson). */
  challenge_pass_rate: Estimate;
  metrics: Record<string, Estimate>;
}

export interface Summary {
  created: string;
  variants: VariantSummary[];
}

/** Summarizes records per variant; `ks` are the pass@k values wanted (those above a task's sample count are left out). */
export function summarize(records: SampleRecord[], ks: number[] = [1, 10, 100]): Summary {
  const byVariant = new Map<string, SampleRecord[]>();
  for (const record of records) {
    const list = byVariant.get(record.variant) ?? [];
    list.push(record);
    byVariant.set(record.variant, list);
  }
  const variants = [...byVariant.keys()].sort().map((variant) => summarizeVariant(variant, byVariant.get(variant)!, ks));
  return { created: new Date().toISOString(), variants };
}

function summarizeVariant(variant: string, records: SampleRecord[], ks: number[]): VariantSummary {
  const byTask = new Map<number, SampleRecord[]>();
  for (const record of records) byTask.set(record.task_id, [...(byTask.get(record.task_id) ?? []), record]);
  const counts = [...byTask.values()].map((list) => list.length);
  const fewest = Math.min(...counts);

  const outcomes: Record<string, number> = {};
  for (const record of records) outcomes[record.outcome] = (outcomes[record.outcome] ?? 0) + 1;

  const responses = records.filter((record) => record.response);
  const parsed = records.filter((record) => record.syntax_valid);
  const named = responses.filter((record) => record.name_match !== null);
  const tested = records.filter((record) => record.outcome !== 'not_run');
  const challenged = tested.filter((record) => record.challenge_total > 0);
  const count = (list: SampleRecord[], test: (record: SampleRecord) => boolean) => list.filter(test).length;

  const passAtKs: Record<string, Estimate> = {};
  const testedTasks = [...byTask.values()].filter((list) => list.every((record) => record.outcome !== 'not_run'));
  for (const k of ks) {
    if (k > fewest || testedTasks.length === 0) continue;
    const perTask = testedTasks.map((list) => passAtK(list.length, count(list, (record) => record.passed), k));
    passAtKs[`pass@${k}`] = meanWithInterval(perTask, [0, 1]);
  }

  const metrics: Record<string, Estimate> = {};
  for (const field of MEAN_FIELDS) metrics[field] = meanWithInterval(numbers(parsed, field), field === 'mi' ? [0, 100] : [0, Infinity]);
  for (const field of RESPONSE_MEAN_FIELDS) metrics[field] = meanWithInterval(numbers(responses, field), [0, Infinity]);

  return {
    variant,
    samples: records.length,
    tasks: byTask.size,
    samples_per_task: { min: fewest, max: Math.max(...counts) },
    outcomes,
    response_rate: rateWithInterval(responses.length, records.length),
    syntax_rate: rateWithInterval(parsed.length, records.length),
    syntax_rate_of_responses: rateWithInterval(parsed.length, responses.length),
    name_match_rate: rateWithInterval(count(named, (record) => record.name_match === true), named.length),
    pass_rate: rateWithInterval(count(tested, (record) => record.passed), tested.length),
    pass_at_k: passAtKs,
    challenge_pass_rate: rateWithInterval(
      count(challenged, (record) => record.challenge_passed === record.challenge_total),
      challenged.length,
    ),
    metrics,
  };
}

function numbers(records: SampleRecord[], field: string): number[] {
  const values: number[] = [];
  for (const record of records) {
    const value = (record as unknown as Record<string, unknown>)[field];
    if (typeof value === 'number' && Number.isFinite(value)) values.push(value);
  }
  return values;
}

/** Flattens a summary to rows of variant, figure, n, mean, low, high. */
export function summaryRows(summary: Summary): { variant: string; figure: string; estimate: Estimate }[] {
  const rows: { variant: string; figure: string; estimate: Estimate }[] = [];
  for (const item of summary.variants) {
    const add = (figure: string, estimate: Estimate) => rows.push({ variant: item.variant, figure, estimate });
    add('response_rate', item.response_rate);
    add('syntax_rate', item.syntax_rate);
    add('syntax_rate_of_responses', item.syntax_rate_of_responses);
    add('name_match_rate', item.name_match_rate);
    add('pass_rate', item.pass_rate);
    for (const [name, estimate] of Object.entries(item.pass_at_k)) add(name, estimate);
    add('challenge_pass_rate', item.challenge_pass_rate);
    for (const [name, estimate] of Object.entries(item.metrics)) add(name, estimate);
  }
  return rows;
}

function formatNumber(value: number | null, digits: number): string {
  return value === null ? '' : Number(value.toFixed(digits)).toString();
}

/** CSV with a header: variant,figure,n,mean,low,high (empty cells for undefined values). */
export function summaryCsv(summary: Summary): string {
  const lines = ['variant,figure,n,mean,low,high'];
  for (const row of summaryRows(summary)) {
    const { n, mean, low, high } = row.estimate;
    const variant = /[",\n]/.test(row.variant) ? `"${row.variant.replace(/"/g, '""')}"` : row.variant;
    lines.push([variant, row.figure, n, formatNumber(mean, 10), formatNumber(low, 10), formatNumber(high, 10)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Markdown: one table per variant with mean, 95% interval and n. */
export function summaryMarkdown(summary: Summary): string {
  const parts = ['# Score summary', '', `Created ${summary.created}. Intervals are 95%: Wilson for rates, Student t for means.`];
  for (const item of summary.variants) {
    parts.push('', `## Variant \`${item.variant}\``, '');
    const outcomes = Object.entries(item.outcomes).map(([name, value]) => `${name} ${value}`).join(', ');
    parts.push(`${item.samples} samples of ${item.tasks} tasks. Outcomes: ${outcomes}.`, '');
    parts.push('| figure | mean | 95% interval | n |', '|---|---|---|---|');
    for (const row of summaryRows({ created: summary.created, variants: [item] })) {
      const { n, mean, low, high } = row.estimate;
      const interval = low === null || high === null ? '' : `${formatNumber(low, 4)} to ${formatNumber(high, 4)}`;
      parts.push(`| ${row.figure} | ${formatNumber(mean, 4)} | ${interval} | ${n} |`);
    }
  }
  return `${parts.join('\n')}\n`;
}
