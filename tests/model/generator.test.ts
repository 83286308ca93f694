// Test-model generator: reproducible output, exact vocabulary sizes and a consistent BPE tokenizer.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { readGgufHeader } from '../../src/model/gguf-reader.js';
import { generateTestModel, testModelConfig } from '../../tools/testmodel/generate.js';
import { buildBpeVocabulary } from '../../tools/testmodel/tokenizer-files.js';
import { scratchDir } from './helpers.js';

const dir = scratchDir('generator');

test('same seed gives identical files', () => {
  const first = generateTestModel({ seed: 7, out: join(dir, 'a'), layers: 1, formats: ['hf', 'gguf-q4_k'] });
  const second = generateTestModel({ seed: 7, out: join(dir, 'b'), layers: 1, formats: ['hf', 'gguf-q4_k'] });
  const third = generateTestModel({ seed: 8, out: join(dir, 'c'), layers: 1, formats: ['gguf-q4_k'] });
  const bytes = (path: string) => readFileSync(path);
  assert.ok(bytes(first.gguf['gguf-q4_k']!).equals(bytes(second.gguf['gguf-q4_k']!)));
  assert.ok(bytes(join(first.hf!, 'model.safetensors')).equals(bytes(join(second.hf!, 'model.safetensors'))));
  assert.ok(!bytes(first.gguf['gguf-q4_k']!).equals(bytes(third.gguf['gguf-q4_k']!)), 'another seed changes the weights');
});

test('vocabulary has the requested size', () => {
  for (const size of [260, 384, 1000]) {
    const vocab = buildBpeVocabulary(size, true);
    assert.equal(vocab.tokens.length, size);
    assert.equal(new Set(vocab.tokens).size, size, 'tokens are unique');
  }
  assert.throws(() => buildBpeVocabulary(100, true), /below the minimum 260/);
});

test('every merge result is a token', () => {
  const vocab = buildBpeVocabulary(384, false);
  const tokens = new Set(vocab.tokens);
  assert.ok(vocab.merges.length > 50, `${vocab.merges.length} merges`);
  for (const merge of vocab.merges) {
    const [left, right] = merge.split(' ');
    assert.ok(tokens.has(left), `left part of '${merge}'`);
    assert.ok(tokens.has(right), `right part of '${merge}'`);
    assert.ok(tokens.has(left + right), `result of '${merge}'`);
  }
});

test('GGUF metadata matches the config', () => {
  const files = generateTestModel({ seed: 1, out: join(dir, 'meta'), arch: 'qwen2', layers: 3, vocab: 400, formats: ['gguf-f16'] });
  const header = readGgufHeader(files.gguf['gguf-f16']!);
  assert.equal(header.metadata.get('general.architecture')?.value, 'qwen2');
  assert.equal(header.metadata.get('qwen2.block_count')?.value, 3);
  assert.equal(header.metadata.get('tokenizer.ggml.model')?.value, 'gpt2');
  const tokens = header.metadata.get('tokenizer.ggml.tokens')?.value as unknown as { items: string[] };
  assert.equal(tokens.items.length, 400);
  assert.equal(header.tensors.find((t) => t.name === 'output.weight'), undefined, 'qwen2 test models tie embeddings');
});

test('invalid shapes are rejected before writing', () => {
  assert.throws(() => testModelConfig({ hidden: 100, heads: 3, kvHeads: 1 }), /divisible by the head count 3/);
  assert.throws(() => testModelConfig({ heads: 4, kvHeads: 3 }), /multiple of the key\/value head count 3/);
});

test('unknown format is rejected before writing', () => {
  const out = join(dir, 'unknown-format');
  assert.throws(() => generateTestModel({ seed: 1, out, formats: ['hf', 'gguf-q5_k' as 'hf'] }), /unknown format 'gguf-q5_k'/);
  assert.equal(existsSync(join(out, 'hf')), false, 'nothing was written');
});
