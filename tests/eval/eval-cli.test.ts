// End-to-end tests of `nir eval` on a generated test model: the contract's invariant 2 through
// the whole pipeline, and resuming after a kill.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTestModel } from '../../tools/testmodel/generate.js';

const NIR = fileURLToPath(new URL('../../../bin/nir.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'nir-eval-test-'));
let modelPath = '';

interface Sample {
  task_id: number;
  variant: string;
  sample: number;
  completion: string;
  generated_tokens: number;
}

function readSamples(runDir: string): Sample[] {
  const path = join(runDir, 'samples.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Sample);
}

function runEval(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [NIR, 'eval', '--model', modelPath, '--no-report', '--threads', '1', '--workers', '1', ...args], {
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

before(async () => {
  const files = generateTestModel({ preset: 'tiny', layers: 3, seed: 11, out: join(work, 'model'), formats: ['gguf-f32'] });
  modelPath = files.gguf['gguf-f32']!;
});

test('eval layer 0 equals reasoning in prompt', () => {
  const runDir = join(work, 'invariant');
  const result = runEval(['--tasks', '11,12', '--layers', '0', '--context-variant', '--thinking-max-tokens', '24', '--code-max-tokens', '16', '--out', runDir]);
  assert.equal(result.status, 0, result.stderr);
  const samples = readSamples(runDir);
  for (const taskId of [11, 12]) {
    const integrated = samples.find((s) => s.task_id === taskId && s.variant === 'L0');
    const inPrompt = samples.find((s) => s.task_id === taskId && s.variant === 'ctx');
    assert.ok(integrated, `task ${taskId}: no L0 sample`);
    assert.ok(inPrompt, `task ${taskId}: no ctx sample`);
    assert.ok(integrated.generated_tokens > 0, `task ${taskId}: L0 generated nothing`);
    assert.equal(integrated.completion, inPrompt.completion, `task ${taskId}: integration at layer 0 differs from the reasoning in the prompt`);
  }
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { order: string[] };
  assert.deepEqual(summary.order, ['L0', 'ctx']);
  assert.match(result.stdout, /\| L0 \| 2 \|/);
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { status: string; timings: Record<string, number> };
  assert.equal(run.status, 'complete');
  assert.ok(run.timings.generated_tokens > 0, `timings: ${JSON.stringify(run.timings)}`);
  assert.ok(run.timings.total_s >= run.timings.thinking_s + run.timings.generation_s, `timings: ${JSON.stringify(run.timings)}`);
});

test('eval resumes after kill and adds depths', async () => {
  const runDir = join(work, 'resume');
  const argsFor = (layers: string) => ['--tasks', '11-12', '--layers', layers, '--thinking-max-tokens', '16', '--code-max-tokens', '12', '--out', runDir];
  const child = spawn(process.execPath, [NIR, 'eval', '--model', modelPath, '--no-report', '--threads', '1', '--workers', '1', ...argsFor('1,orig')], { stdio: 'ignore' });
  // Kill the run as soon as its first sample is on disk.
  const started = Date.now();
  while (readSamples(runDir).length === 0 && Date.now() - started < 200_000 && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const partial = readSamples(runDir);
  assert.ok(partial.length >= 1, 'the run was killed before its first sample');
  assert.ok(partial.length < 4, `the run finished all ${partial.length} samples before the kill`);
  const thinkingFile = join(runDir, 'thinking', '11.json');
  const thinkingTime = statSync(thinkingFile).mtimeMs;

  const resumed = runEval(argsFor('1,orig'));
  assert.equal(resumed.status, 0, resumed.stderr);
  const after = readSamples(runDir);
  const keys = after.map((s) => `${s.task_id}/${s.variant}/${s.sample}`);
  assert.equal(new Set(keys).size, keys.length, `duplicate samples: ${keys.join(' ')}`);
  assert.deepEqual([...keys].sort(), ['11/L1/0', '11/orig/0', '12/L1/0', '12/orig/0']);
  assert.deepEqual(after.slice(0, partial.length), partial, 'samples finished before the kill changed');
  assert.equal(statSync(thinkingFile).mtimeMs, thinkingTime, 'the thinking stage of task 11 ran again');

  const extended = runEval(argsFor('0,1,orig'));
  assert.equal(extended.status, 0, extended.stderr);
  const final = readSamples(runDir);
  assert.equal(final.length, 6);
  assert.deepEqual(final.slice(0, 4), after, 'adding a depth changed finished samples');
  assert.deepEqual(final.slice(4).map((s) => s.variant), ['L0', 'L0']);
  assert.equal(statSync(thinkingFile).mtimeMs, thinkingTime, 'adding a depth ran the thinking stage again');
});

test('eval fits prompts longer than context', () => {
  // A 96-position model: the task prompt alone fills the context, so both stages must degrade, not fail.
  const small = generateTestModel({ preset: 'tiny', layers: 2, seed: 12, contextLength: 96, out: join(work, 'small'), formats: ['gguf-f32'] });
  const runDir = join(work, 'small-run');
  const result = spawnSync(process.execPath, [NIR, 'eval', '--model', small.gguf['gguf-f32']!, '--no-report', '--threads', '1', '--workers', '1', '--tasks', '11', '--layers', '1,orig', '--out', runDir], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(result.status, 0, result.stderr);
  const samples = readSamples(runDir) as Array<Sample & { stop_reason: string; prompt_tokens: number }>;
  assert.equal(samples.length, 2);
  for (const sample of samples) {
    assert.equal(sample.stop_reason, 'context-full', `${sample.variant}: prompt of ${sample.prompt_tokens} tokens`);
    assert.equal(sample.generated_tokens, 0);
  }
  const thinking = JSON.parse(readFileSync(join(runDir, 'thinking', '11.json'), 'utf8')) as { stop_reason: string };
  assert.equal(thinking.stop_reason, 'context-full');
});
