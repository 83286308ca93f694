// loadModel on generated test models: the same weights from a Hugging Face folder and from GGUF
// files, sharded folders, type conversion of small vectors, and missing or misshapen tensors.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { Arena } from '../../src/kernels/arena.js';
import { readGgufHeader } from '../../src/model/gguf-reader.js';
import { writeGguf } from '../../src/model/gguf-writer.js';
import { loadModel, weightToF32, type LoadedModel } from '../../src/model/load.js';
import { GgmlType } from '../../src/model/types.js';
import { generateTestModel } from '../../tools/testmodel/generate.js';
import { llama3RopeFactors, permuteForInterleavedRope } from '../../tools/testmodel/weights.js';
import { assertModelFileErrorAsync, scratchDir } from './helpers.js';

const dir = scratchDir('load');

const llama = generateTestModel({ seed: 11, out: join(dir, 'llama'), arch: 'llama', formats: ['hf', 'gguf-f32', 'gguf-q8_0'] });
const qwen = generateTestModel({ seed: 12, out: join(dir, 'qwen'), arch: 'qwen2', formats: ['hf', 'gguf-f32'] });

async function load(path: string): Promise<{ model: LoadedModel; arena: Arena }> {
  const arena = new Arena();
  return { model: await loadModel(path, arena), arena };
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Rewrites a GGUF file with some tensors dropped or reshaped, keeping the metadata. */
function rewriteGguf(source: string, target: string, change: (name: string, dims: readonly number[]) => readonly number[] | null): string {
  const header = readGgufHeader(source);
  const bytes = readFileSync(source);
  const tensors = header.tensors.flatMap((tensor) => {
    const dims = change(tensor.name, tensor.dims);
    if (dims === null) return [];
    return [{ name: tensor.name, dims, type: tensor.type, data: new Uint8Array(bytes.subarray(tensor.fileOffset, tensor.fileOffset + tensor.nbytes)) }];
  });
  writeGguf(target, { metadata: header.metadata, tensors });
  return target;
}

test('qwen2 folder and GGUF hold identical weights', async () => {
  const hf = await load(qwen.hf!);
  const gguf = await load(qwen.gguf['gguf-f32']!);
  assert.equal(hf.model.format, 'hf');
  assert.equal(gguf.model.format, 'gguf');
  assert.deepEqual([...hf.model.weights.keys()].sort(), [...gguf.model.weights.keys()].sort());
  assert.ok(hf.model.weights.has('blk.0.attn_q.bias'));
  assert.ok(!hf.model.weights.has('output'), 'tied model has no output matrix');
  for (const [name, weight] of hf.model.weights) {
    const other = gguf.model.weights.get(name)!;
    assert.equal(weight.rows, other.rows, name);
    assert.equal(weight.cols, other.cols, name);
    assert.equal(maxAbsDifference(weightToF32(hf.arena, weight), weightToF32(gguf.arena, other)), 0, name);
  }
  const { ropeStyle: hfRope, rmsNormEps: hfEps, ...hfRest } = hf.model.config;
  const { ropeStyle: ggufRope, rmsNormEps: ggufEps, ...ggufRest } = gguf.model.config;
  assert.deepEqual(hfRest, ggufRest);
  assert.equal(hfRope, 'neox');
  assert.equal(ggufRope, 'neox');
  assert.ok(Math.abs(hfEps - ggufEps) < 1e-10);
});

test('llama GGUF holds permuted Q and K', async () => {
  const hf = await load(llama.hf!);
  const gguf = await load(llama.gguf['gguf-f32']!);
  const { headDim, numLayers } = hf.model.config;
  assert.equal(gguf.model.config.ropeStyle, 'interleaved');
  assert.equal(hf.model.config.ropeStyle, 'neox');
  for (const [name, weight] of hf.model.weights) {
    let expected = weightToF32(hf.arena, weight);
    if (/\.attn_[qk]$/.test(name)) expected = permuteForInterleavedRope(expected, weight.cols, headDim);
    assert.equal(maxAbsDifference(expected, weightToF32(gguf.arena, gguf.model.weights.get(name)!)), 0, name);
  }
  const q = hf.model.weights.get(`blk.${numLayers - 1}.attn_q`)!;
  assert.notEqual(maxAbsDifference(weightToF32(hf.arena, q), weightToF32(gguf.arena, gguf.model.weights.get(q.name)!)), 0, 'Q rows are reordered');
});

test('quantized GGUF keeps its type and stays close', async () => {
  const f32 = await load(llama.gguf['gguf-f32']!);
  const q8 = await load(llama.gguf['gguf-q8_0']!);
  const embedding = q8.model.weights.get('token_embd')!;
  assert.equal(embedding.type, GgmlType.Q8_0);
  assert.equal(q8.model.weights.get('blk.0.attn_norm')!.type, GgmlType.F32);
  const difference = maxAbsDifference(weightToF32(f32.arena, f32.model.weights.get('token_embd')!), weightToF32(q8.arena, embedding));
  assert.ok(difference > 0, 'Q8_0 rounds the embedding');
  assert.ok(difference < 0.05, `Q8_0 embedding max difference ${difference}`);
});

test('sharded BF16 folder converts norms to F32', async () => {
  const files = generateTestModel({ seed: 11, out: join(dir, 'sharded'), arch: 'llama', formats: ['hf'], hfDtype: 'BF16', shardBytes: 200_000 });
  const index = JSON.parse(readFileSync(join(files.hf!, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
  assert.ok(new Set(Object.values(index.weight_map)).size > 2, 'several shards');
  const sharded = await load(files.hf!);
  const single = await load(llama.hf!);
  assert.equal(sharded.model.files.length, 1 + new Set(Object.values(index.weight_map)).size);
  for (const [name, weight] of single.model.weights) {
    const other = sharded.model.weights.get(name)!;
    const isVector = name.endsWith('_norm');
    assert.equal(other.type, isVector ? GgmlType.F32 : GgmlType.BF16, name);
    // Generated weights are BF16-exact, so BF16 storage loses nothing.
    assert.equal(maxAbsDifference(weightToF32(single.arena, weight), weightToF32(sharded.arena, other)), 0, name);
  }
});

test('rope_freqs tensor is loaded as F32', async () => {
  const files = generateTestModel({ seed: 5, out: join(dir, 'llama32'), preset: 'llama-3.2-1b', layers: 1, hidden: 64, heads: 2, kvHeads: 1, intermediate: 64, vocab: 300, formats: ['gguf-f32', 'hf'] });
  const gguf = await load(files.gguf['gguf-f32']!);
  const hf = await load(files.hf!);
  const ropeFreqs = gguf.model.weights.get('rope_freqs')!;
  assert.equal(ropeFreqs.type, GgmlType.F32);
  assert.deepEqual([ropeFreqs.rows, ropeFreqs.cols], [1, 16]);
  assert.deepEqual(weightToF32(gguf.arena, ropeFreqs), llama3RopeFactors(hf.model.config));
  assert.equal(hf.model.config.ropeScaling?.type, 'llama3');
  assert.equal(gguf.model.config.ropeScaling, null);
  assert.equal(hf.model.config.tieWordEmbeddings, true);
});

test('hashFiles is the SHA-256 of the file', async () => {
  const { model } = await load(llama.gguf['gguf-f32']!);
  const expected = createHash('sha256').update(readFileSync(llama.gguf['gguf-f32']!)).digest('hex');
  assert.equal(await model.hashFiles(), expected);
  assert.equal(model.tokenizerFiles.kind, 'gguf');
});

test('folder lists its tokenizer files', async () => {
  const { model } = await load(llama.hf!);
  assert.deepEqual(model.tokenizerFiles, {
    kind: 'hf',
    tokenizerJson: join(llama.hf!, 'tokenizer.json'),
    tokenizerConfig: join(llama.hf!, 'tokenizer_config.json'),
    generationConfig: join(llama.hf!, 'generation_config.json'),
  });
});

test('missing tensor is rejected', async () => {
  const path = rewriteGguf(llama.gguf['gguf-f32']!, join(dir, 'missing.gguf'), (name, dims) => (name === 'blk.1.ffn_up.weight' ? null : dims));
  await assertModelFileErrorAsync(() => load(path), [path, "tensor 'blk.1.ffn_up'", 'shape [256, 128]', 'no such tensor']);
});

test('wrong tensor shape is rejected', async () => {
  const path = rewriteGguf(llama.gguf['gguf-f32']!, join(dir, 'shape.gguf'), (name, dims) => (name === 'blk.0.ffn_down.weight' ? [dims[1], dims[0]] : dims));
  await assertModelFileErrorAsync(() => load(path), [path, "tensor 'blk.0.ffn_down'", 'shape [128, 256]', 'found shape [256, 128]']);
});

test('missing path is rejected', async () => {
  const path = join(dir, 'nothing-here');
  await assertModelFileErrorAsync(() => load(path), [path, 'GGUF file or a Hugging Face model folder', 'no such file']);
});
