// Random weights of a test model. Every tensor has its own seeded stream. Values are rounded to
// BF16 precision, so F32, BF16 and the Hugging Face files contain exactly the same numbers. Rows
// are produced in chunks, so large presets never need a whole tensor in memory.

import type { ModelConfig, TensorName } from '../../src/model/types.js';
import { expectedTensors } from '../../src/model/tensor-names.js';
import { Xoshiro128 } from './prng.js';

export interface TensorPlan {
  readonly name: TensorName;
  /** [rows, cols] in Hugging Face (unpermuted) row order. */
  readonly rows: number;
  readonly cols: number;
  readonly mean: number;
  readonly std: number;
}

/** Values per generated chunk; bounds memory for the 8B preset's embedding table. */
const CHUNK_VALUES = 1 << 22;

/**
 * Plans every tensor with its scale. Matrices use std 1/sqrt(cols), so activations keep their
 * size. Untied embeddings use std 1, so the current token is visible in the residual stream. The
 * output matrix uses 3/sqrt(d), so logits spread over a few units and greedy decoding does not
 * settle on one token.
 */
export function planTensors(config: ModelConfig): TensorPlan[] {
  const plans: TensorPlan[] = [];
  for (const [name, [rows, cols]] of expectedTensors(config)) {
    let mean = 0;
    let std = 1 / Math.sqrt(cols);
    // A tied table is also the output matrix. With std 1 each token's own logit would dominate
    // and greedy decoding would repeat the input token at once.
    // NOTE: even at this scale, greedy decoding of tied test models (qwen2 by default) can settle
    // on one token after 5 to 10 steps. Untied models did not in 16 steps (llama.cpp, seed 1).
    if (name === 'token_embd') std = config.tieWordEmbeddings ? 1 / Math.sqrt(cols) : 1;
    else if (name === 'output') std = 3 / Math.sqrt(cols);
    else if (name.endsWith('_norm')) {
      mean = 1;
      std = 0.1;
    } else if (name.endsWith('.bias')) std = 0.1;
    plans.push({ name, rows, cols, mean, std });
  }
  return plans;
}

/**
 * Rounds finite values in place to the nearest BF16 value, ties to even, as f32ToBf16 does.
 * Working on the bit patterns avoids a function call per value.
 */
function roundToBf16(values: Float32Array): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    bits[i] = (b + 0x7fff + ((b >>> 16) & 1)) & 0xffff0000;
  }
}

/** Rows per chunk: a multiple of `rowMultiple` (the head size for permuted tensors). */
function chunkRows(plan: TensorPlan, rowMultiple: number): number {
  const rows = Math.max(1, Math.floor(CHUNK_VALUES / plan.cols / rowMultiple)) * rowMultiple;
  return Math.min(rows, plan.rows);
}

/**
 * Yields the tensor's values in row chunks ([rows, cols] row-major each), the same numbers on
 * every call for the same seed. `rowMultiple` keeps whole heads together in a chunk.
 */
export function* tensorChunks(plan: TensorPlan, seed: number, rowMultiple = 1): Generator<Float32Array> {
  const random = new Xoshiro128(seed, plan.name);
  const step = chunkRows(plan, rowMultiple);
  for (let row = 0; row < plan.rows; row += step) {
    const rows = Math.min(step, plan.rows - row);
    const values = new Float32Array(rows * plan.cols); // [rows, cols] of this chunk
    for (let i = 0; i < values.length; i++) values[i] = plan.mean + plan.std * random.nextNormal();
    roundToBf16(values);
    yield values;
  }
}

/**
 * Reorders the rows of a Q or K chunk the way llama.cpp's converter does for `llama` GGUFs. In
 * each head, Hugging Face row (half * hd/2 + i) moves to row (2i + half). Rotating adjacent pairs
 * then equals Hugging Face's rotate_half. `values` contains whole heads.
 */
export function permuteForInterleavedRope(values: Float32Array, cols: number, headDim: number): Float32Array {
  const out = new Float32Array(values.length); // [heads * hd, cols]
  const heads = values.length / cols / headDim;
  const halfDim = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let half = 0; half < 2; half++) {
      for (let i = 0; i < halfDim; i++) {
        const from = (h * headDim + half * halfDim + i) * cols;
        const to = (h * headDim + 2 * i + half) * cols;
        out.set(values.subarray(from, from + cols), to);
      }
    }
  }
  return out;
}

/**
 * Returns llama3 rope frequency factors (one per rotated pair), which llama.cpp stores as the
 * tensor rope_freqs: each inverse frequency is divided by its factor.
 */
export function llama3RopeFactors(config: ModelConfig): Float32Array {
  const scaling = config.ropeScaling;
  if (scaling === null || scaling.type !== 'llama3') throw new RangeError('llama3 rope factors need rope scaling of type llama3');
  const factors = new Float32Array(config.headDim / 2); // [hd / 2]
  const lowFreqWavelength = scaling.originalMaxPositions / scaling.lowFreqFactor;
  const highFreqWavelength = scaling.originalMaxPositions / scaling.highFreqFactor;
  for (let i = 0; i < factors.length; i++) {
    const frequency = 1 / config.ropeTheta ** ((2 * i) / config.headDim);
    const wavelength = (2 * Math.PI) / frequency;
    if (wavelength < highFreqWavelength) factors[i] = 1;
    else if (wavelength > lowFreqWavelength) factors[i] = scaling.factor;
    else {
      const smooth = (scaling.originalMaxPositions / wavelength - scaling.lowFreqFactor) / (scaling.highFreqFactor - scaling.lowFreqFactor);
      factors[i] = 1 / ((1 - smooth) / scaling.factor + smooth);
    }
  }
  return factors;
}
