// Hugging Face folders: name mapping, and folders with missing or inconsistent files.

import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { readHfFolder } from '../../src/model/hf-folder.js';
import { summarizeModel } from '../../src/model/summary.js';
import { canonicalFromHf, hfFromCanonical } from '../../src/model/tensor-names.js';
import { generateTestModel } from '../../tools/testmodel/generate.js';
import { assertModelFileError, scratchDir } from './helpers.js';

const dir = scratchDir('hf-folder');
let counter = 0;

function freshFolder(shardBytes?: number): string {
  const files = generateTestModel({ seed: 2, out: join(dir, `m${counter++}`), arch: 'qwen2', layers: 1, formats: ['hf'], shardBytes });
  return files.hf!;
}

test('Hugging Face names map to canonical names', () => {
  const cases: [string, string | undefined][] = [
    ['model.embed_tokens.weight', 'token_embd'],
    ['model.norm.weight', 'output_norm'],
    ['lm_head.weight', 'output'],
    ['model.layers.0.input_layernorm.weight', 'blk.0.attn_norm'],
    ['model.layers.12.self_attn.q_proj.weight', 'blk.12.attn_q'],
    ['model.layers.3.self_attn.k_proj.bias', 'blk.3.attn_k.bias'],
    ['model.layers.3.self_attn.o_proj.weight', 'blk.3.attn_output'],
    ['model.layers.7.post_attention_layernorm.weight', 'blk.7.ffn_norm'],
    ['model.layers.7.mlp.gate_proj.weight', 'blk.7.ffn_gate'],
    ['model.layers.7.mlp.up_proj.weight', 'blk.7.ffn_up'],
    ['model.layers.7.mlp.down_proj.weight', 'blk.7.ffn_down'],
    ['model.layers.0.self_attn.rotary_emb.inv_freq', undefined],
  ];
  for (const [hf, canonical] of cases) {
    assert.equal(canonicalFromHf(hf), canonical, hf);
    if (canonical !== undefined) assert.equal(hfFromCanonical(canonical), hf);
  }
});

test('summary lists tokenizer facts', () => {
  const summary = summarizeModel(freshFolder());
  assert.equal(summary.format, 'hf');
  assert.equal(summary.tokenizer.type, 'BPE');
  assert.equal(summary.tokenizer.vocabSize, summary.config.vocabSize);
  assert.equal(summary.tokenizer.hasChatTemplate, true);
  assert.notEqual(summary.tokenizer.bosId, null);
  assert.ok(summary.tensors.some((row) => row.name === 'blk.0.attn_v.bias'));
});

test('missing config.json is rejected', () => {
  const folder = freshFolder();
  rmSync(join(folder, 'config.json'));
  assertModelFileError(() => readHfFolder(folder), [join(folder, 'config.json'), 'config.json of a Hugging Face model folder', 'no such file']);
});

test('invalid config.json is rejected', () => {
  const folder = freshFolder();
  writeFileSync(join(folder, 'config.json'), '{"model_type": ');
  assertModelFileError(() => readHfFolder(folder), [join(folder, 'config.json'), 'valid JSON', 'invalid JSON']);
});

test('folder without weights is rejected', () => {
  const folder = freshFolder();
  rmSync(join(folder, 'model.safetensors'));
  assertModelFileError(() => readHfFolder(folder), [folder, 'model.safetensors or model.safetensors.index.json', 'neither file']);
});

test('missing tokenizer.json is rejected', () => {
  const folder = freshFolder();
  rmSync(join(folder, 'tokenizer.json'));
  assertModelFileError(() => readHfFolder(folder), [join(folder, 'tokenizer.json'), 'tokenizer of the model folder', 'no such file']);
});

test('shard path outside the folder is rejected', () => {
  const folder = freshFolder(20_000);
  const indexPath = join(folder, 'model.safetensors.index.json');
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> };
  index.weight_map['model.norm.weight'] = '../../etc/passwd.safetensors';
  writeFileSync(indexPath, JSON.stringify(index));
  assertModelFileError(() => readHfFolder(folder), [indexPath, "weight_map['model.norm.weight']", '"../../etc/passwd.safetensors"']);
});

test('index naming the wrong shard is rejected', () => {
  const folder = freshFolder(20_000);
  const indexPath = join(folder, 'model.safetensors.index.json');
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> };
  const shards = [...new Set(Object.values(index.weight_map))].sort();
  assert.ok(shards.length >= 2);
  const moved = Object.keys(index.weight_map).find((name) => index.weight_map[name] === shards[0])!;
  index.weight_map[moved] = shards[1];
  writeFileSync(indexPath, JSON.stringify(index));
  // When the moved tensor was alone in its shard, that shard is no longer read, and the error
  // names the shard that lacks the tensor instead.
  assertModelFileError(() => readHfFolder(folder), [`tensor '${moved}'`, shards[1]]);
});

test('index listing an absent tensor is rejected', () => {
  const folder = freshFolder(20_000);
  const indexPath = join(folder, 'model.safetensors.index.json');
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> };
  const shard = Object.values(index.weight_map)[0];
  index.weight_map['model.layers.9.mlp.up_proj.weight'] = shard;
  writeFileSync(indexPath, JSON.stringify(index));
  assertModelFileError(() => readHfFolder(folder), [join(folder, shard), "tensor 'model.layers.9.mlp.up_proj.weight'", 'no such tensor in the shard']);
});
