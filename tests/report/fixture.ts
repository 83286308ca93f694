// A small but realistic run folder for report tests: 12 MBPP-like tasks, variants orig, L1, L10
// and L23, scored samples with metrics, CRV statistics, provenance with timings, and summary.json
// computed from the samples.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const FIXTURE_VARIANTS = ['orig', 'L1', 'L10', 'L23', 'ctx'];
export const FIXTURE_TASK_COUNT = 12;

/** One line of the fixture's samples.jsonl, with the fields `nir eval` writes (a subset of them). */
export interface FixtureSample {
  task_id: number;
  variant: string;
  sample: number;
  prompt: string;
  completion: string;
  program: string;
  response: boolean;
  syntax_valid: boolean;
  syntax_error: { message: string; line: number; offset: number } | null;
  characters: number;
  lines: number;
  cc_total: number | null;
  cc_mean: number | null;
  mi: number | null;
  halstead_volume: number | null;
  outcome: string;
  passed: boolean;
  asserts_passed: number;
  asserts_total: number;
  test_error: { type: string; message: string } | null;
  duration_ms: number;
}

export interface FixtureOptions {
  /** Shifts every pass probability, so a second run differs from the first. */
  passShift?: number;
  /** Files to leave out, to test optional parts. */
  omit?: ('run.json' | 'samples.jsonl' | 'tasks.jsonl')[];
}

export interface FixtureEstimate {
  n: number;
  mean: number | null;
  low: number | null;
  high: number | null;
}

export interface FixtureVariantSummary {
  variant: string;
  samples: number;
  tasks: number;
  outcomes: Record<string, number>;
  response_rate: FixtureEstimate;
  syntax_rate: FixtureEstimate;
  pass_rate: FixtureEstimate;
  pass_at_k: Record<string, FixtureEstimate>;
  metrics: Record<string, FixtureEstimate>;
}

export interface FixtureSummary {
  created: string;
  variants: FixtureVariantSummary[];
  paired: Record<string, Record<string, { test: string; n: number; pValue: number }>>;
}

/** Deterministic pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 2246822519) + 3266489917) >>> 0;
    state ^= state >>> 13;
    return (state >>> 0) / 4294967296;
  };
}

const DEPTH_EFFECT: Record<string, { pass: number; syntax: number; length: number }> = {
  orig: { pass: 0.55, syntax: 0.95, length: 1 },
  L1: { pass: 0.25, syntax: 0.6, length: 1.8 },
  L10: { pass: 0.45, syntax: 0.85, length: 1.25 },
  L23: { pass: 0.52, syntax: 0.92, length: 1.05 },
  ctx: { pass: 0.5, syntax: 0.9, length: 1.4 },
};

function program(taskId: number, syntax: boolean): string {
  const body = syntax ? '    return sorted(items)[:k]' : '    return sorted(items[:k]';
  // Model output is untrusted text: it must come out escaped, never as markup.
  const hostile = taskId === 12 ? '\n# </script><script>window.__pwned = true</script><img src="http://127.0.0.1:9/x.png">' : '';
  return `def smallest_k_${taskId}(items, k):\n    """Return the k smallest items."""\n${body}${hostile}\n`;
}

export function fixtureSamples(passShift = 0): FixtureSample[] {
  const next = random(42);
  const samples: FixtureSample[] = [];
  for (let task = 0; task < FIXTURE_TASK_COUNT; task++) {
    const taskId = 11 + task;
    for (const variant of FIXTURE_VARIANTS) {
      const effect = DEPTH_EFFECT[variant];
      const syntax = next() < effect.syntax;
      const passed = syntax && next() < effect.pass + passShift;
      const characters = Math.round((180 + next() * 220) * effect.length);
      let outcome = 'failed';
      if (passed) outcome = 'passed';
      else if (!syntax) outcome = 'syntax_error';
      else if (next() < 0.2) outcome = 'timeout';
      const code = program(taskId, syntax);
      samples.push({
        task_id: taskId,
        variant,
        sample: 0,
        prompt: `You are an expert Python programmer. Task ${taskId}: write a function.\n[BEGIN]`,
        completion: `Here is the function:\n\`\`\`python\n${code}\`\`\`\n`,
        program: code,
        response: true,
        syntax_valid: syntax,
        syntax_error: syntax ? null : { message: "'(' was never closed", line: 3, offset: 18 },
        characters,
        lines: Math.max(1, Math.round(characters / 28)),
        cc_total: syntax ? 1 + Math.floor(next() * 4) : null,
        cc_mean: syntax ? Math.round((1 + next() * 4) * 100) / 100 : null,
        mi: syntax ? Math.round((55 + next() * 40) * 1000) / 1000 : null,
        halstead_volume: syntax ? Math.round(next() * 300 * 10) / 10 : null,
        outcome,
        passed,
        asserts_passed: passed ? 3 : 1,
        asserts_total: 3,
        test_error: outcome === 'failed' ? { type: 'AssertionError', message: `assert smallest_k_${taskId}([5, 1, 4], 2) == [1, 4]` } : null,
        duration_ms: Math.round(40 + next() * 200),
      });
    }
  }
  return samples;
}

/** Mean with a normal-approximation 95% interval; good enough for a fixture. */
function estimate(values: (number | null)[]): FixtureEstimate {
  const present = values.filter((value): value is number => value !== null);
  const n = present.length;
  if (n === 0) return { n, mean: null, low: null, high: null };
  const mean = present.reduce((sum, value) => sum + value, 0) / n;
  if (n === 1) return { n, mean, low: null, high: null };
  const variance = present.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
  const half = 1.96 * Math.sqrt(variance / n);
  return { n, mean, low: mean - half, high: mean + half };
}

export function fixtureSummary(samples: FixtureSample[]): FixtureSummary {
  const variants: FixtureVariantSummary[] = [];
  const paired: FixtureSummary['paired'] = {};
  for (const variant of FIXTURE_VARIANTS) {
    const rows = samples.filter((sample) => sample.variant === variant);
    const outcomes: Record<string, number> = {};
    for (const row of rows) outcomes[row.outcome] = (outcomes[row.outcome] ?? 0) + 1;
    const passes = estimate(rows.map((row) => (row.passed ? 1 : 0)));
    variants.push({
      variant,
      samples: rows.length,
      tasks: rows.length,
      outcomes,
      response_rate: estimate(rows.map((row) => (row.response ? 1 : 0))),
      syntax_rate: estimate(rows.map((row) => (row.syntax_valid ? 1 : 0))),
      pass_rate: passes,
      pass_at_k: { 'pass@1': passes },
      metrics: {
        characters: estimate(rows.map((row) => row.characters)),
        lines: estimate(rows.map((row) => row.lines)),
        cc_total: estimate(rows.map((row) => row.cc_total)),
        mi: estimate(rows.map((row) => row.mi)),
      },
    });
    if (variant !== 'orig') {
      // Made-up p-values: the report shows them as they are.
      paired[variant] = { passed: { test: 'mcnemar-exact', n: rows.length, pValue: variant === 'L1' ? 0.0078 : 0.5 }, characters: { test: 'paired-t', n: rows.length, pValue: variant === 'L1' ? 0.0004 : 0.031 } };
    }
  }
  return { created: '2026-12-04T19:30:00Z', variants, paired };
}

function fixtureTask(taskId: number, samples: FixtureSample[]): unknown {
  const variants: Record<string, unknown> = {};
  for (const sample of samples.filter((row) => row.task_id === taskId)) {
    variants[sample.variant] = { prompt: sample.prompt, output: sample.completion, code: sample.program, outcome: sample.outcome, passed: sample.passed };
  }
  return {
    task_id: taskId,
    text: `Write a function to find the k smallest items of a list & return them sorted (task ${taskId}).`,
    reasoning: `First sort the list in ascending order.\nThen take the first k elements, and handle k larger than the list.\nEdge cases: empty list, k = 0.`,
    thinking_prompt: 'Think step by step about the task.',
    crv: [1, 10, 23].map((layer) => ({
      layer,
      rows: 40 + (taskId % 7) * 3,
      norm_mean: Math.round((2 + layer * 0.9 + (taskId % 5) * 0.3) * 1000) / 1000,
      norm_min: 1 + layer * 0.5,
      norm_max: 5 + layer * 1.7,
    })),
    variants,
  };
}

export const FIXTURE_RUN = {
  tool: { name: 'nir', version: '0.1.0' },
  created: '2026-12-04T18:00:00Z',
  updated: '2026-12-04T19:30:00Z',
  command: ['eval', '--model', 'hf:org/tiny-llama:tiny-Q8_0.gguf', '--layers', '1,10,23,orig'],
  kind: 'eval',
  options: { layers: [1, 10, 23], temperature: 0, max_new_tokens: 512, seed: 1234, threads: 2 },
  dataset: { name: 'sanitized', path: '/data/mbpp/sanitized-mbpp.json', sha256: '9b7d4f6e1a2c3b5d8e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f' },
  model: { path: '/cache/models--org--tiny-llama/snapshots/abc/tiny-Q8_0.gguf', sha256: '3f1c9c0d2e4b5a69788e1f0a9b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e' },
  status: 'complete',
  starts: 1,
  timings: { thinking_s: 812.4, capture_s: 40.25, generation_s: 1630.5, scoring_s: 95.125 },
};

/** Writes the run folder and returns its summary.json contents. */
export async function writeFixtureRun(dir: string, options: FixtureOptions = {}): Promise<FixtureSummary> {
  await mkdir(dir, { recursive: true });
  const samples = fixtureSamples(options.passShift ?? 0);
  const summary = fixtureSummary(samples);
  const omit = new Set(options.omit ?? []);
  await writeFile(join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
  if (!omit.has('run.json')) await writeFile(join(dir, 'run.json'), JSON.stringify(FIXTURE_RUN, null, 2));
  if (!omit.has('samples.jsonl')) await writeFile(join(dir, 'samples.jsonl'), samples.map((sample) => JSON.stringify(sample)).join('\n') + '\n');
  if (!omit.has('tasks.jsonl')) {
    const taskIds = [...new Set(samples.map((sample) => sample.task_id))];
    await writeFile(join(dir, 'tasks.jsonl'), taskIds.map((taskId) => JSON.stringify(fixtureTask(taskId, samples))).join('\n') + '\n');
  }
  return summary;
}
