// Loading of a run folder: summary.json (required), run.json, samples.jsonl and tasks.jsonl
// (optional). Missing optional files leave their part empty, so the page shows what exists.

import { basename, join, resolve } from 'node:path';

import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';
import { parseJsonLines, readRunFile } from './jsonl.js';
import { isObject, parseOutcomeCounts, parsePairedTests, parseSummary, type OutcomeCounts, type PairedTest, type SummaryRow } from './summary.js';
import { checkName } from './variants.js';

/** One scored sample from samples.jsonl. */
export interface SampleRecord {
  task_id: number;
  variant: string;
  sample: number;
  /** Outcome class such as passed, failed, error, timeout or no_code; `unknown` when absent. */
  outcome: string;
  passed: boolean | null;
  /** Numeric and boolean figures, from a `metrics` object or the record's own fields. */
  metrics: Record<string, number | boolean>;
  /** Prompt, model output and extracted program when the record has them (`prompt`, `completion`, `program`). */
  texts: TaskVariantText;
  /** Syntax and test errors of the sample, as one line each. */
  notes: string[];
}

/** Statistics of one task's CRV at one layer: rows (reasoning tokens), norm_mean and any other figures. */
export interface CrvStatistics {
  layer: number;
  figures: Record<string, number>;
}

export interface TaskVariantText {
  prompt?: string;
  output?: string;
  code?: string;
  /** Outcome that tasks.jsonl records for the variant's first sample. */
  outcome?: string;
}

/** One task from tasks.jsonl. */
export interface TaskRecord {
  task_id: number;
  text: string;
  reasoning: string;
  crv: CrvStatistics[];
  variants: Record<string, TaskVariantText>;
}

export interface RunData {
  dir: string;
  /** Folder name, used as the run's label. */
  label: string;
  run: Record<string, unknown> | null;
  summary: SummaryRow[];
  /** Outcome counts per variant from summary.json; {} when it has none. */
  outcomes: OutcomeCounts;
  /** Paired tests against orig from summary.json, by variant and figure; {} when it has none. */
  paired: Record<string, Record<string, PairedTest>>;
  samples: SampleRecord[];
  tasks: TaskRecord[];
  /** Problems found in optional files that did not stop the report. */
  warnings: string[];
}

export async function loadRunFolder(dir: string): Promise<RunData> {
  const warnings: string[] = [];
  const summaryPath = join(dir, 'summary.json');
  const summaryText = await readOptional(summaryPath);
  if (summaryText === undefined) {
    throw new InputError(`${summaryPath} not found, so ${dir} is not a scored run folder. Run \`nir eval\` or \`nir score\` on it first`, {
      source: dir,
      expected: 'summary.json with per-variant means and 95% intervals',
      hint: 'run `nir eval` or `nir score` on it first',
    });
  }
  const summaryData = parseJson(summaryText, summaryPath);
  const summary = parseSummary(summaryData, summaryPath);

  const runPath = join(dir, 'run.json');
  const runText = await readOptional(runPath);
  let run: Record<string, unknown> | null = null;
  if (runText !== undefined) {
    const parsed = parseJson(runText, runPath);
    if (!isObject(parsed)) throw new InputError(`${runPath}: expected a JSON object`, { source: runPath, found: Array.isArray(parsed) ? 'an array' : typeof parsed });
    run = parsed;
  }

  const samplesPath = join(dir, 'samples.jsonl');
  const samplesText = await readOptional(samplesPath);
  const samples = samplesText === undefined ? [] : parseJsonLines(samplesText, samplesPath, warnings).map((record, index) => toSample(record, `${samplesPath} record ${index + 1}`));

  const tasksPath = join(dir, 'tasks.jsonl');
  const tasksText = await readOptional(tasksPath);
  const tasks = tasksText === undefined ? [] : parseJsonLines(tasksText, tasksPath, warnings).map((record, index) => toTask(record, `${tasksPath} record ${index + 1}`));

  for (const [file, text] of [['run.json', runText], ['samples.jsonl', samplesText], ['tasks.jsonl', tasksText]] as const) {
    if (text === undefined) log.info(`${dir}: no ${file}, so its part of the report is left out`);
  }
  return { dir, label: basename(resolve(dir)), run, summary, outcomes: parseOutcomeCounts(summaryData), paired: parsePairedTests(summaryData), samples, tasks, warnings };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readRunFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path}: invalid JSON: ${(error as Error).message}`, { source: path });
  }
}

function toSample(record: unknown, where: string): SampleRecord {
  if (!isObject(record)) throw new InputError(`${where}: expected a JSON object`, { source: where });
  const taskId = record.task_id;
  if (typeof taskId !== 'number' || !Number.isInteger(taskId)) throw new InputError(`${where}: task_id must be an integer, found ${JSON.stringify(taskId)}`, { source: where });
  const variant = checkName(record.variant, 'variant', where);

  const metrics: Record<string, number | boolean> = {};
  const metricSource = isObject(record.metrics) ? record.metrics : record;
  for (const [key, value] of Object.entries(metricSource)) {
    if (['task_id', 'sample', 'passed'].includes(key)) continue;
    if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') metrics[key] = value;
  }
  const texts: TaskVariantText = { prompt: textOrUndefined(record.prompt), output: textOrUndefined(record.completion), code: textOrUndefined(record.program) };
  const passed = typeof record.passed === 'boolean' ? record.passed : null;
  return { task_id: taskId, variant, sample: typeof record.sample === 'number' ? record.sample : 0, outcome: sampleOutcome(record.outcome, passed), passed, metrics, texts, notes: sampleNotes(record) };
}

/** Describes the syntax error and test error of a sample record, when it has them. */
function sampleNotes(record: Record<string, unknown>): string[] {
  const notes: string[] = [];
  const syntax = record.syntax_error;
  if (isObject(syntax) && typeof syntax.message === 'string') {
    notes.push(`SyntaxError${typeof syntax.line === 'number' ? ` at line ${syntax.line}` : ''}: ${syntax.message}`);
  }
  const testError = record.test_error;
  if (isObject(testError) && typeof testError.message === 'string') {
    notes.push(`${typeof testError.type === 'string' ? testError.type : 'Error'}: ${testError.message}`);
  }
  return notes.map((note) => note.slice(0, 500));
}

/** Returns the recorded outcome class, or passed/failed from `passed` when the record has none. */
function sampleOutcome(outcome: unknown, passed: boolean | null): string {
  if (typeof outcome === 'string' && outcome !== '') return outcome.slice(0, 40);
  if (passed === null) return 'unknown';
  return passed ? 'passed' : 'failed';
}

function toTask(record: unknown, where: string): TaskRecord {
  if (!isObject(record)) throw new InputError(`${where}: expected a JSON object`, { source: where });
  const taskId = record.task_id;
  if (typeof taskId !== 'number' || !Number.isInteger(taskId)) throw new InputError(`${where}: task_id must be an integer, found ${JSON.stringify(taskId)}`, { source: where });

  const crv: CrvStatistics[] = [];
  if (Array.isArray(record.crv)) {
    for (const entry of record.crv) {
      if (!isObject(entry) || typeof entry.layer !== 'number') throw new InputError(`${where}: every crv entry needs a numeric layer`, { source: where, found: JSON.stringify(entry).slice(0, 80) });
      const figures: Record<string, number> = {};
      for (const [key, value] of Object.entries(entry)) {
        if (key !== 'layer' && typeof value === 'number' && Number.isFinite(value)) figures[checkName(key, 'CRV statistic', where)] = value;
      }
      crv.push({ layer: entry.layer, figures });
    }
  }

  const variants: Record<string, TaskVariantText> = {};
  if (isObject(record.variants)) {
    for (const [variant, texts] of Object.entries(record.variants)) {
      checkName(variant, 'variant', where);
      if (!isObject(texts)) continue;
      variants[variant] = { prompt: textOrUndefined(texts.prompt), output: textOrUndefined(texts.output), code: textOrUndefined(texts.code), outcome: textOrUndefined(texts.outcome)?.slice(0, 40) };
    }
  }
  return { task_id: taskId, text: textOrUndefined(record.text) ?? '', reasoning: textOrUndefined(record.reasoning) ?? '', crv, variants };
}

function textOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
