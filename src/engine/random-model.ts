// Small models with seeded random F32 weights, placed straight in an arena. Tests of the engine
// and of the NIR invariants use them so that they need no model files.

import type { Arena } from '../kernels/arena.js';
import { GgmlType, type ModelConfig, type WeightTensor } from '../model/types.js';
import type { ModelWeights } from './weights.js';

export interface RandomModelOptions {
  seed?: number;
  /** Overrides of the default tiny llama config (d 32, 4 heads of 8, 2 key/value heads, ff 64, V 64, L 3). */
  config?: Partial<ModelConfig>;
  /** Standard deviation of the matrix weights; norm weights are drawn around 1. */
  scale?: number;
  /** Add an `output` head instead of tying it to the token embedding. */
  separateOutput?: boolean;
}

export function tinyConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  const base: ModelConfig = {
    architecture: 'llama',
    vocabSize: 64,
    hiddenSize: 32,
    intermediateSize: 64,
    numLayers: 3,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeScaling: null,
    ropeStyle: 'neox',
    maxPositions: 256,
    tieWordEmbeddings: true,
    attentionBias: false,
  };
  return { ...base, ...overrides };
}

/** Builds a model whose every tensor is F32 and drawn from a seeded generator. */
export function createRandomModel(arena: Arena, options: RandomModelOptions = {}): ModelWeights {
  const config = tinyConfig(options.config);
  const random = seededNormal(options.seed ?? 1);
  const scale = options.scale ?? 0.2;
  const weights = new Map<string, WeightTensor>();
  const d = config.hiddenSize;
  const qWidth = config.numHeads * config.headDim;
  const kvWidth = config.numKvHeads * config.headDim;
  const ff = config.intermediateSize;

  const add = (name: string, rows: number, cols: number, mean: number, std: number): void => {
    const nbytes = rows * cols * 4;
    const { shard, offset } = arena.alloc(nbytes);
    const values = arena.f32(shard, offset, rows * cols); // [rows, cols]
    for (let i = 0; i < values.length; i++) values[i] = mean + std * random();
    weights.set(name, { name, type: GgmlType.F32, rows, cols, shard, offset, nbytes });
  };

  add('token_embd', config.vocabSize, d, 0, 1);
  for (let l = 0; l < config.numLayers; l++) {
    const p = `blk.${l}.`;
    add(`${p}attn_norm`, 1, d, 1, 0.1);
    add(`${p}attn_q`, qWidth, d, 0, scale);
    add(`${p}attn_k`, kvWidth, d, 0, scale);
    add(`${p}attn_v`, kvWidth, d, 0, scale);
    if (config.attentionBias) {
      add(`${p}attn_q.bias`, 1, qWidth, 0, scale);
      add(`${p}attn_k.bias`, 1, kvWidth, 0, scale);
      add(`${p}attn_v.bias`, 1, kvWidth, 0, scale);
    }
    add(`${p}attn_output`, d, qWidth, 0, scale);
    add(`${p}ffn_norm`, 1, d, 1, 0.1);
    add(`${p}ffn_gate`, ff, d, 0, scale);
    add(`${p}ffn_up`, ff, d, 0, scale);
    add(`${p}ffn_down`, d, ff, 0, scale);
  }
  add('output_norm', 1, d, 1, 0.1);
  if (options.separateOutput) add('output', config.vocabSize, d, 0, scale);
  return { config: { ...config, tieWordEmbeddings: !options.separateOutput }, weights, path: 'random model' };
}

/** Returns a source of standard normal samples: mulberry32 uniforms through the Box-Muller transform. */
function seededNormal(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    const u = Math.max(uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}
