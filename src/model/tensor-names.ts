// Canonical tensor names (GGUF's, without ".weight"), their expected shapes, and the mapping from
// Hugging Face names.

import type { ModelConfig, TensorName } from './types.js';

/** Maps a GGUF tensor name to its canonical name: "blk.0.attn_q.weight" -> "blk.0.attn_q". */
export function canonicalFromGguf(name: string): TensorName {
  return name.endsWith('.weight') ? name.slice(0, -'.weight'.length) : name;
}

const HF_LAYER_PARTS: Readonly<Record<string, string>> = {
  'input_layernorm.weight': 'attn_norm',
  'self_attn.q_proj.weight': 'attn_q',
  'self_attn.k_proj.weight': 'attn_k',
  'self_attn.v_proj.weight': 'attn_v',
  'self_attn.o_proj.weight': 'attn_output',
  'self_attn.q_proj.bias': 'attn_q.bias',
  'self_attn.k_proj.bias': 'attn_k.bias',
  'self_attn.v_proj.bias': 'attn_v.bias',
  'post_attention_layernorm.weight': 'ffn_norm',
  'mlp.gate_proj.weight': 'ffn_gate',
  'mlp.up_proj.weight': 'ffn_up',
  'mlp.down_proj.weight': 'ffn_down',
};

const HF_GLOBAL_NAMES: Readonly<Record<string, string>> = {
  'model.embed_tokens.weight': 'token_embd',
  'model.norm.weight': 'output_norm',
  'lm_head.weight': 'output',
};

const HF_LAYER_PATTERN = /^model\.layers\.(\d+)\.(.+)$/;

/** Maps a Hugging Face tensor name to its canonical name, or returns undefined for names the engine does not use. */
export function canonicalFromHf(name: string): TensorName | undefined {
  const global = HF_GLOBAL_NAMES[name];
  if (global !== undefined) return global;
  const match = HF_LAYER_PATTERN.exec(name);
  if (match === null) return undefined;
  const part = HF_LAYER_PARTS[match[2]];
  return part === undefined ? undefined : `blk.${Number(match[1])}.${part}`;
}

/** Inverse of canonicalFromHf, used by the test-model generator. */
export function hfFromCanonical(name: TensorName): string {
  for (const [hf, canonical] of Object.entries(HF_GLOBAL_NAMES)) if (canonical === name) return hf;
  const match = /^blk\.(\d+)\.(.+)$/.exec(name);
  if (match !== null) {
    for (const [hf, part] of Object.entries(HF_LAYER_PARTS)) if (part === match[2]) return `model.layers.${match[1]}.${hf}`;
  }
  throw new RangeError(`tensor '${name}' has no Hugging Face name`);
}

/** Expected [rows, cols] of one tensor (rows = 1 for vectors). */
export type TensorShape = readonly [rows: number, cols: number];

/**
 * Returns every tensor the engine needs for `config`, in file order, with its shape. `output` is
 * left out when the embeddings are tied; `rope_freqs` is optional and not listed.
 */
export function expectedTensors(config: ModelConfig): Map<TensorName, TensorShape> {
  const d = config.hiddenSize;
  const qWidth = config.numHeads * config.headDim;
  const kvWidth = config.numKvHeads * config.headDim;
  const ff = config.intermediateSize;
  const shapes = new Map<TensorName, TensorShape>();
  shapes.set('token_embd', [config.vocabSize, d]);
  for (let i = 0; i < config.numLayers; i++) {
    const blk = `blk.${i}`;
    shapes.set(`${blk}.attn_norm`, [1, d]);
    shapes.set(`${blk}.attn_q`, [qWidth, d]);
    shapes.set(`${blk}.attn_k`, [kvWidth, d]);
    shapes.set(`${blk}.attn_v`, [kvWidth, d]);
    if (config.attentionBias) {
      shapes.set(`${blk}.attn_q.bias`, [1, qWidth]);
      shapes.set(`${blk}.attn_k.bias`, [1, kvWidth]);
      shapes.set(`${blk}.attn_v.bias`, [1, kvWidth]);
    }
    shapes.set(`${blk}.attn_output`, [d, qWidth]);
    shapes.set(`${blk}.ffn_norm`, [1, d]);
    shapes.set(`${blk}.ffn_gate`, [ff, d]);
    shapes.set(`${blk}.ffn_up`, [ff, d]);
    shapes.set(`${blk}.ffn_down`, [d, ff]);
  }
  shapes.set('output_norm', [1, d]);
  if (!config.tieWordEmbeddings) shapes.set('output', [config.vocabSize, d]);
  return shapes;
}

/** Shape of the optional rope frequency factors tensor (one factor per rotated pair). */
export function ropeFreqsShape(config: ModelConfig): TensorShape {
  return [1, config.headDim / 2];
}

/** Tensors that are converted to F32 at load: norm weights, biases and rope factors (all small). */
export function isSmallVector(name: TensorName): boolean {
  return name.endsWith('_norm') || name.endsWith('.bias') || name === 'rope_freqs';
}
