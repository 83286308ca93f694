// `nir inspect` run as a command on generated models.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { GgmlType, GGML_TYPE_LAYOUT } from '../../src/model/types.js';
import { generateTestModel } from '../../tools/testmodel/generate.js';
import { scratchDir } from './helpers.js';

const dir = scratchDir('inspect');
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const files = generateTestModel({ seed: 9, out: dir, arch: 'llama', layers: 1, formats: ['hf', 'gguf-q6_k'] });

function inspect(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, 'inspect', ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('inspect --json describes a GGUF file', () => {
  const result = inspect(files.gguf['gguf-q6_k']!, '--json');
  assert.equal(result.status, 0, result.stderr);
  const summary = JSON.parse(result.stdout) as {
    format: string;
    config: { numLayers: number; ropeStyle: string };
    tokenizer: { type: string; vocabSize: number; hasChatTemplate: boolean; eotId: number | null };
    tensors: { name: string; type: string; shape: number[]; bytes: number }[];
  };
  assert.equal(summary.format, 'gguf');
  assert.equal(summary.config.numLayers, 1);
  assert.equal(summary.config.ropeStyle, 'interleaved');
  assert.equal(summary.tokenizer.type, 'gpt2');
  assert.equal(summary.tokenizer.vocabSize, files.config.vocabSize);
  assert.equal(summary.tokenizer.hasChatTemplate, true);
  assert.notEqual(summary.tokenizer.eotId, null);
  const down = summary.tensors.find((row) => row.name === 'blk.0.ffn_down')!;
  assert.equal(down.type, GGML_TYPE_LAYOUT[GgmlType.Q6_K].name);
  assert.deepEqual(down.shape, [files.config.hiddenSize, files.config.intermediateSize]);
  assert.equal(down.bytes, (files.config.hiddenSize * files.config.intermediateSize / 256) * 210);
});

test('inspect prints tables for a folder', () => {
  const result = inspect(files.hf!);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /architecture\s+"llama"/);
  assert.match(result.stdout, /chat template\s+present/);
  assert.match(result.stdout, /blk\.0\.attn_q\s+F32\s+\[128, 128\]\s+65536/);
});

test('inspect reports a missing path', () => {
  const path = join(dir, 'absent.gguf');
  const result = inspect(path);
  assert.equal(result.status, 2);
  assert.ok(result.stderr.includes(path), result.stderr);
  assert.ok(result.stderr.includes('no such file'), result.stderr);
});

test('inspect without a path prints usage', () => {
  const result = inspect();
  assert.equal(result.status, 2);
  assert.match(result.stderr, /usage: nir inspect PATH/);
});
