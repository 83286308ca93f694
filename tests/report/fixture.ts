// A small but realistic run folder for report tests: 12 MBPP-like tasks, variants orig, L1, L10
// and L23, scored samples with metrics, CRV statistics, provenance with timings, and summary.json
// computed from the samples.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const FIXTURE_VARIANTS = ['orig', 'L1', 'L10', 'L23'];
export const FIXTURE_TASK_COUNT = 12;

export interface FixtureSample {
  task_id: number;
  variant: string;
  sample: number;
  outcome: string;
  passed: boolean;
  metrics: { characters: number; lines: number; syntax: boolean; cc_mean: number; mi: number };
}

export interface FixtureOptions {
  /** Shifts every pass probability, so a second run differs from the first. */
  passShift?: number;
  /** Files to leave out, to test optional parts. */
  omit?: ('run.json' | 'samples.jsonl' | 'tasks.jsonl')[];
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
};

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
      const outcome = passed ? 'passed' : !syntax ? 'syntax_error' : next() < 0.2 ? 'timeout' : 'failed';
      samples.push({
        task_id: taskId,
        variant,
        sample: 0,
        outcome,
        passed,
        metrics: { characters, lines: Math.max(1, Math.round(characters / 28)), syntax, cc_mean: Math.round((1 + next() * 4) * 100) / 100, mi: Math.round((55 + next() * 40) * 1000) / 1000 },
      });
    }
  }
  return samples;
}

/** Mean with a normal-approximation 95% interval; good enough for a fixture. */
function estimate(values: number[]): { n: number; mean: number; low: number; high: number } {
  const n = values.length;
  const mean = values.reduce((sum, value) => sum + value, 0) / n;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
  const half = 1.96 * Math.sqrt(variance / n);
  return { n, mean, low: mean - half, high: mean + half };
}

export function fixtureSummary(samples: FixtureSample[]): { variants: Record<string, Record<string, unknown>> } {
  const variants: Record<string, Record<string, unknown>> = {};
  for (const variant of FIXTURE_VARIANTS) {
    const rows = samples.filter((sample) => sample.variant === variant);
    variants[variant] = {
      n: rows.length,
      'pass@1': estimate(rows.map((row) => (row.passed ? 1 : 0))),
      syntax: estimate(rows.map((row) => (row.metrics.syntax ? 1 : 0))),
      characters: estimate(rows.map((row) => row.metrics.characters)),
      lines: estimate(rows.map((row) => row.metrics.lines)),
      cc_mean: estimate(rows.map((row) => row.metrics.cc_mean)),
      mi: estimate(rows.map((row) => row.metrics.mi)),
    };
  }
  return { variants };
}

function fixtureTask(taskId: number, samples: FixtureSample[]): unknown {
  const variants: Record<string, unknown> = {};
  for (const sample of samples.filter((row) => row.task_id === taskId)) {
    const body = sample.metrics.syntax ? `    return sorted(items)[:k]` : `    return sorted(items[:k]`;
    // Model output is untrusted text: it must come out escaped, never as markup.
    const hostile = taskId === 12 ? `\n# </script><script>window.__pwned = true</script><img src="http://127.0.0.1:9/x.png">` : '';
    const code = `def smallest_k_${taskId}(items, k):\n    """Return the k smallest items."""\n${body}${hostile}\n`;
    variants[sample.variant] = {
      prompt: `You are an expert Python programmer. Task ${taskId}: write a function.\n[BEGIN]`,
      output: `Here is the function:\n\`\`\`python\n${code}\`\`\`\n`,
      code,
    };
  }
  return {
    task_id: taskId,
    text: `Write a function to find the k smallest items of a list & return them sorted (task ${taskId}).`,
    reasoning: `First sort the list in ascending order.\nThen take the first k elements, and handle k larger than the list.\nEdge cases: empty list, k = 0.`,
    crv: [1, 10, 23].map((layer) => ({ layer, rows: 40 + (taskId % 7) * 3, norm_mean: Math.round((2 + layer * 0.9 + (taskId % 5) * 0.3) * 1000) / 1000, norm_max: 5 + layer * 1.7 })),
    variants,
  };
}

export const FIXTURE_RUN = {
  tool: { name: 'nir-toolkit', version: '0.1.0' },
  model: { spec: 'hf:org/tiny-llama:tiny-Q8_0.gguf', sha256: '3f1c9c0d2e4b5a69788e1f0a9b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e' },
  dataset: { name: 'mbpp', split: 'test', sha256: '9b7d4f6e1a2c3b5d8e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f' },
  options: { layers: [1, 10, 23], temperature: 0, max_new_tokens: 512, seed: 1234, threads: 2 },
  started_at: '2026-12-04T18:00:00Z',
  timings: { thinking_s: 812.4, capture_s: 40.25, generation_s: 1630.5, scoring_s: 95.125 },
};

/** Writes the run folder and returns its summary.json contents. */
export async function writeFixtureRun(dir: string, options: FixtureOptions = {}): Promise<ReturnType<typeof fixtureSummary>> {
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
