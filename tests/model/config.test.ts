// ModelConfig from config.json and GGUF metadata: known model families and invalid dimensions.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { CONFIG_LIMITS, configFromGguf, configFromHf } from '../../src/model/config.js';
import { readGgufHeader } from '../../src/model/gguf-reader.js';
import { gguf } from '../../src/model/gguf-types.js';
import { writeGguf } from '../../src/model/gguf-writer.js';
import { GgmlType } from '../../src/model/types.js';
import { assertModelFileError, scratchDir } from './helpers.js';

const dir = scratchDir('config');

// Field values as published in the config.json of each model.
const LLAMA_31_8B = {
  model_type: 'llama', vocab_size: 128256, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32,
  num_attention_heads: 32, num_key_value_heads: 8, hidden_act: 'silu', max_position_embeddings: 131072,
  rms_norm_eps: 1e-5, rope_theta: 500000.0, tie_word_embeddings: false, attention_bias: false,
  rope_scaling: { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
};
const QWEN25_05B = {
  model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24,
  num_attention_heads: 14, num_key_value_heads: 2, hidden_act: 'silu', max_position_embeddings: 32768,
  rms_norm_eps: 1e-6, rope_theta: 1000000.0, tie_word_embeddings: true, rope_scaling: null, use_sliding_window: false,
};
const MISTRAL_7B = {
  model_type: 'mistral', vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32,
  num_attention_heads: 32, num_key_value_heads: 8, hidden_act: 'silu', max_position_embeddings: 32768,
  rms_norm_eps: 1e-5, rope_theta: 10000.0, tie_word_embeddings: false,
};

test('Llama 3.1 config maps rope scaling', () => {
  const config = configFromHf('llama/config.json', LLAMA_31_8B);
  assert.equal(config.architecture, 'llama');
  assert.equal(config.headDim, 128);
  assert.equal(config.numKvHeads, 8);
  assert.equal(config.ropeStyle, 'neox');
  assert.equal(config.attentionBias, false);
  assert.deepEqual(config.ropeScaling, { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
  assert.ok(Object.isFrozen(config));
});

test('Qwen2.5 config has biases and tied embeddings', () => {
  const config = configFromHf('qwen/config.json', QWEN25_05B);
  assert.equal(config.architecture, 'qwen2');
  assert.equal(config.attentionBias, true);
  assert.equal(config.tieWordEmbeddings, true);
  assert.equal(config.headDim, 64);
  assert.equal(config.ropeTheta, 1e6);
  assert.equal(config.ropeScaling, null);
});

test('Mistral config runs as llama', () => {
  const config = configFromHf('mistral/config.json', MISTRAL_7B);
  assert.equal(config.architecture, 'llama');
  assert.equal(config.maxPositions, 32768);
});

test('explicit head_dim is kept', () => {
  const config = configFromHf('x/config.json', { ...MISTRAL_7B, hidden_size: 5120, head_dim: 128 });
  assert.equal(config.headDim, 128);
  assert.equal(config.numHeads * config.headDim, 4096);
});

test('unsupported architecture lists the supported ones', () => {
  assertModelFileError(() => configFromHf('gpt/config.json', { ...MISTRAL_7B, model_type: 'gpt_neox' }), ['gpt/config.json', 'llama, qwen2', "'gpt_neox'"]);
});

test('heads not divisible by kv heads are rejected', () => {
  assertModelFileError(() => configFromHf('x/config.json', { ...MISTRAL_7B, num_key_value_heads: 5 }), ['x/config.json', 'multiple of the key/value head count 5', 'found 32']);
});

test('hidden size not divisible by heads is rejected', () => {
  assertModelFileError(() => configFromHf('x/config.json', { ...MISTRAL_7B, hidden_size: 4100 }), ['x/config.json', 'divisible by the head count 32', 'found 4100']);
});

test('absurd dimensions are rejected', () => {
  assertModelFileError(() => configFromHf('x/config.json', { ...MISTRAL_7B, num_hidden_layers: 1e9 }), ['x/config.json', `layer count to be an integer in 1..${CONFIG_LIMITS.maxLayers}`, '1000000000']);
  assertModelFileError(() => configFromHf('x/config.json', { ...MISTRAL_7B, vocab_size: 0 }), ['vocabulary size', 'found 0']);
  assertModelFileError(() => configFromHf('x/config.json', { ...MISTRAL_7B, hidden_size: -4096 }), ['hidden size', 'found -4096']);
});

test('unsupported rope scaling is rejected', () => {
  assertModelFileError(() => configFromHf('x/config.json', { ...MISTRAL_7B, rope_scaling: { type: 'yarn', factor: 4 } }), ['rope_scaling type default, linear or llama3', '"yarn"']);
});

test('missing config key is rejected', () => {
  const { hidden_size: _removed, ...rest } = MISTRAL_7B;
  assertModelFileError(() => configFromHf('x/config.json', rest), ["config.json key 'hidden_size'", 'no such key']);
});

function ggufWith(name: string, arch: string, extra: [string, ReturnType<typeof gguf.u32>][] = []): string {
  const path = join(dir, name);
  writeGguf(path, {
    metadata: [
      ['general.architecture', gguf.str(arch)],
      [`${arch}.block_count`, gguf.u32(2)],
      [`${arch}.context_length`, gguf.u32(4096)],
      [`${arch}.embedding_length`, gguf.u32(64)],
      [`${arch}.feed_forward_length`, gguf.u32(128)],
      [`${arch}.attention.head_count`, gguf.u32(4)],
      [`${arch}.attention.head_count_kv`, gguf.u32(2)],
      [`${arch}.attention.layer_norm_rms_epsilon`, gguf.f32(1e-5)],
      [`${arch}.rope.freq_base`, gguf.f32(500000)],
      ...extra,
    ],
    tensors: [{ name: 'token_embd.weight', dims: [64, 100], type: GgmlType.F32, data: new Uint8Array(64 * 100 * 4) }],
  });
  return path;
}

test('GGUF llama config uses interleaved rope', () => {
  const config = configFromGguf(readGgufHeader(ggufWith('llama.gguf', 'llama')));
  assert.equal(config.ropeStyle, 'interleaved');
  assert.equal(config.headDim, 16);
  assert.equal(config.vocabSize, 100);
  assert.equal(config.ropeTheta, 500000);
  assert.equal(config.tieWordEmbeddings, true);
  assert.ok(Math.abs(config.rmsNormEps - 1e-5) < 1e-12);
});

test('GGUF qwen2 config uses neox rope', () => {
  const config = configFromGguf(readGgufHeader(ggufWith('qwen2.gguf', 'qwen2')));
  assert.equal(config.architecture, 'qwen2');
  assert.equal(config.ropeStyle, 'neox');
});

test('GGUF llama3 rope scaling metadata is read', () => {
  const path = ggufWith('llama3.gguf', 'llama', [
    ['llama.rope.scaling.type', gguf.str('llama3')],
    ['llama.rope.scaling.factor', gguf.f32(32)],
    ['llama.rope.scaling.low_freq_factor', gguf.f32(1)],
    ['llama.rope.scaling.high_freq_factor', gguf.f32(4)],
    ['llama.rope.scaling.original_context_length', gguf.u32(8192)],
  ]);
  assert.deepEqual(configFromGguf(readGgufHeader(path)).ropeScaling, { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
});

test('GGUF unsupported architecture is rejected', () => {
  const path = ggufWith('phi.gguf', 'phi3');
  assertModelFileError(() => configFromGguf(readGgufHeader(path)), [path, 'llama, qwen2', "'phi3'"]);
});

test('GGUF partial rotary dimension is rejected', () => {
  const path = ggufWith('partial.gguf', 'llama', [['llama.rope.dimension_count', gguf.u32(8)]]);
  assertModelFileError(() => configFromGguf(readGgufHeader(path)), [path, 'head size 16', 'found 8']);
});

test('GGUF missing hyperparameter is rejected', () => {
  const path = join(dir, 'bare.gguf');
  writeGguf(path, { metadata: [['general.architecture', gguf.str('llama')]], tensors: [] });
  assertModelFileError(() => configFromGguf(readGgufHeader(path)), [path, "metadata key 'llama.embedding_length'", 'no such key']);
});
