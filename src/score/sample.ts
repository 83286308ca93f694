// The scored-sample record written to samples.jsonl, and how it is built from extraction, metrics and tests.

import type { AssertResult, Outcome, TestResult } from '../sandbox/index.js';
import type { Extraction } from './extract.js';
import type { CodeMetrics, ComplexityBlock, HalsteadFigures, SyntaxVerdict } from './metrics-types.js';

/** Halstead figure names; samples.jsonl stores each as `halstead_<name>`. */
export const HALSTEAD_FIELDS = [
  'h1', 'h2', 'N1', 'N2', 'vocabulary', 'length', 'calculated_length', 'volume', 'difficulty', 'effort', 'time', 'bugs',
] as const satisfies readonly (keyof HalsteadFigures)[];

export const RAW_FIELDS = ['loc', 'lloc', 'sloc', 'comments', 'multi', 'blank', 'single_comments'] as const;

type HalsteadColumns = { [K in (typeof HALSTEAD_FIELDS)[number] as `halstead_${K}`]: number | null };
type RawColumns = { [K in (typeof RAW_FIELDS)[number]]: number | null };

/** One line of samples.jsonl. Metric fields are null when the program is missing or does not parse. */
export interface SampleRecord extends HalsteadColumns, RawColumns {
  task_id: number;
  variant: string;
  sample: number;
  /** A program could be extracted from the completion. */
  response: boolean;
  extract_method: Extraction['method'];
  /** Python's ast did the extraction (false: text rules, because the code does not parse). */
  extract_parsed: boolean;
  program: string;
  syntax_valid: boolean;
  syntax_error: Omit<SyntaxVerdict, 'valid'> | null;
  characters: number;
  lines: number;
  called_function: string | null;
  name_match: boolean | null;
  cc_total: number | null;
  cc_mean: number | null;
  cc_max: number | null;
  cc_blocks: ComplexityBlock[] | null;
  halstead_functions: (HalsteadFigures & { name: string })[] | null;
  mi: number | null;
  metric_errors: Record<string, string>;
  /** The sandbox outcome; `not_run` when a program was found but the asserts were not run (--no-tests). */
  outcome: Outcome | 'not_run';
  passed: boolean;
  asserts_passed: number;
  asserts_total: number;
  /** null when the task has no challenge asserts. */
  challenge_passed: number | null;
  challenge_total: number;
  asserts: AssertResult[];
  challenge_asserts: AssertResult[];
  test_error: { type: string; message: string } | null;
  duration_ms: number;
  /** Whether the sandbox ran the program inside bubblewrap; null when nothing ran. */
  isolated: boolean | null;
}

/** Builds the record of one sample; `test` is null when no program was found or the asserts were not run. */
export function buildSampleRecord(
  key: { task_id: number; variant: string; sample: number },
  extraction: Extraction,
  metrics: CodeMetrics,
  test: TestResult | null,
  expected: { tests: number; challengeTests: number },
): SampleRecord {
  const parsed = metrics.syntax.valid && extraction.found;
  const halstead = parsed ? metrics.halstead?.total ?? null : null;
  const halsteadColumns = Object.fromEntries(HALSTEAD_FIELDS.map((name) => [`halstead_${name}`, halstead ? halstead[name] : null])) as HalsteadColumns;
  const raw = parsed ? metrics.raw : null;
  const rawColumns = Object.fromEntries(RAW_FIELDS.map((name) => [name, raw ? raw[name] : null])) as RawColumns;
  const complexity = parsed ? metrics.complexity : null;
  const { valid: _valid, ...syntaxError } = metrics.syntax;
  const asserts = test?.asserts ?? [];
  const challengeAsserts = test?.challengeAsserts ?? [];
  return {
    ...key,
    response: extraction.found,
    extract_method: extraction.method,
    extract_parsed: extraction.parsed,
    program: extraction.program,
    syntax_valid: parsed,
    syntax_error: extraction.found && !metrics.syntax.valid ? syntaxError : null,
    characters: metrics.characters,
    lines: metrics.lines,
    called_function: metrics.called_function,
    name_match: extraction.found ? metrics.name_match : null,
    cc_total: complexity?.cc_total ?? null,
    cc_mean: complexity?.cc_mean ?? null,
    cc_max: complexity?.cc_max ?? null,
    cc_blocks: complexity?.cc_blocks ?? null,
    ...halsteadColumns,
    halstead_functions: parsed ? metrics.halstead?.functions ?? null : null,
    ...rawColumns,
    mi: parsed ? metrics.mi : null,
    metric_errors: metrics.errors,
    outcome: test?.outcome ?? (extraction.found ? 'not_run' : 'no_code'),
    passed: test?.passed ?? false,
    asserts_passed: asserts.filter((item) => item.status === 'passed').length,
    asserts_total: expected.tests,
    challenge_passed: expected.challengeTests > 0 ? challengeAsserts.filter((item) => item.status === 'passed').length : null,
    challenge_total: expected.challengeTests,
    asserts,
    challenge_asserts: challengeAsserts,
    test_error: test?.error ?? null,
    duration_ms: test?.durationMs ?? 0,
    isolated: test?.isolated ?? null,
  };
}
