// `nir bench` on a tiny generated model: the JSON report has every key with a sane value and the
// weight bytes per token match the model's tensors. Speeds are only checked to be positive.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/commands/bench.js';
import { Arena } from '../../src/kernels/arena.js';
import { loadModel } from '../../src/model/load.js';
import { InputError } from '../../src/util/errors.js';
import { generateTestModel } from '../../tools/testmodel/generate.js';

async function captureStdout(action: () => Promise<number>): Promise<{ code: number; output: string }> {
  const chunks: string[] = [];
  const original = console.log;
  console.log = (...parts: unknown[]) => chunks.push(parts.join(' '));
  try {
    const code = await action();
    return { code, output: chunks.join('\n') };
  } finally {
    console.log = original;
  }
}

test('bench reports every key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nir-bench-'));
  try {
    const files = generateTestModel({ seed: 5, out: dir, arch: 'llama', hidden: 256, heads: 4, kvHeads: 2, intermediate: 512, formats: ['gguf-q8_0'] });
    const path = files.gguf['gguf-q8_0']!;
    const args = ['--model', path, '--json', '--threads', '2', '--prompt-tokens', '5', '--gen-tokens', '3', '--bandwidth-mb', '16', '--repeat', '2', '--compare-llama-cpp'];
    const { code, output } = await captureStdout(() => run(args));
    assert.equal(code, 0);
    const report = JSON.parse(output) as Record<string, number>;

    for (const key of ['decode_tok_s', 'prefill_tok_s', 'llama_cpp_decode_tok_s', 'llama_cpp_prefill_tok_s', 'decode_ratio', 'prefill_ratio', 'read_bandwidth_bytes_per_s', 'decode_bound_tok_s', 'decode_bound_fraction']) {
      assert.ok(Number.isFinite(report[key]), `${key} = ${report[key]} is not finite`);
      assert.ok(report[key] > 0, `${key} = ${report[key]} is not positive`);
    }
    assert.ok(report.peak_rss_bytes > 10 * 2 ** 20, `peak_rss_bytes = ${report.peak_rss_bytes}`);
    assert.equal(report.prompt_tokens, 5);
    assert.equal(report.gen_tokens, 3);
    assert.equal(report.repeat, 2);

    const model = await loadModel(path, new Arena());
    let expected = 0;
    for (const [name, weight] of model.weights) expected += name === 'token_embd' ? weight.nbytes / weight.rows : weight.nbytes;
    if (!model.weights.has('output')) expected += model.weights.get('token_embd')!.nbytes;
    assert.equal(report.weight_bytes_per_token, expected);
    assert.ok(Math.abs(report.decode_ratio - report.decode_tok_s / report.llama_cpp_decode_tok_s) < 1e-9);

    // A prompt and decode longer than the context are rejected before anything runs.
    const context = model.config.maxPositions;
    const tooLong = ['--model', path, '--prompt-tokens', String(context), '--gen-tokens', '1'];
    await assert.rejects(run(tooLong), new RegExp(`need ${context + 1} positions, more than the model's context length of ${context}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bench rejects invalid options', async () => {
  await assert.rejects(run([]), /missing --model/);
  await assert.rejects(run(['--model', 'x.gguf', '--threads', '0']), InputError);
  await assert.rejects(run(['--model', 'x.gguf', '--gen-tokens', 'many']), /invalid --gen-tokens 'many'/);
  // The file x.gguf does not exist, so these errors come from the option checks before any loading.
  await assert.rejects(run(['--model', 'x.gguf', '--bogus']), (error: Error) => error instanceof InputError && /Unknown option '--bogus'/.test(error.message));
  await assert.rejects(run(['--model', 'x.gguf', '--threads', '999']), /invalid --threads '999': expected a whole number from 1 to 64/);
  await assert.rejects(run(['--model', 'x.gguf', '--bandwidth-mb', '5000']), /invalid --bandwidth-mb '5000': expected a whole number from 1 to 4093/);
  await assert.rejects(run(['--model', 'x.gguf', '--repeat', '0']), /invalid --repeat '0'/);
  await assert.rejects(run(['--model', tmpdir(), '--compare-llama-cpp']), /--compare-llama-cpp needs a GGUF file, but .* is a Hugging Face folder/);
});
