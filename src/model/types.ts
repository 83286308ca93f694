// Shared model types. Dimension legend used across the engine:
//   n   rows in a batch (sequence positions processed together)
//   d   model width (hidden size)          ff  feed-forward width
//   nh  query heads    nkv key/value heads hd  head size (d = nh * hd)
//   V   vocabulary size                    L   number of decoder layers

/** ggml tensor type ids, as stored in GGUF files. */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q8_0 = 8,
  Q4_K = 12,
  Q6_K = 14,
  BF16 = 30,
}

/** Block layout of each supported type: `blockSize` elements take `blockBytes` bytes. */
export const GGML_TYPE_LAYOUT: Readonly<Record<GgmlType, { name: string; blockSize: number; blockBytes: number }>> = {
  [GgmlType.F32]: { name: 'F32', blockSize: 1, blockBytes: 4 },
  [GgmlType.F16]: { name: 'F16', blockSize: 1, blockBytes: 2 },
  [GgmlType.BF16]: { name: 'BF16', blockSize: 1, blockBytes: 2 },
  [GgmlType.Q4_0]: { name: 'Q4_0', blockSize: 32, blockBytes: 18 },
  [GgmlType.Q8_0]: { name: 'Q8_0', blockSize: 32, blockBytes: 34 },
  [GgmlType.Q4_K]: { name: 'Q4_K', blockSize: 256, blockBytes: 144 },
  [GgmlType.Q6_K]: { name: 'Q6_K', blockSize: 256, blockBytes: 210 },
};

export type Architecture = 'llama' | 'qwen2';

/**
 * Rotary pairing. `neox` rotates element i with i + hd/2 (Hugging Face's rotate_half, and
 * llama.cpp's qwen2). `interleaved` rotates elements 2i and 2i+1: llama.cpp's converter permutes
 * the rows of Q and K of `llama` models so that this pairing gives the same attention scores.
 */
export type RopeStyle = 'neox' | 'interleaved';

export type RopeScaling =
  | { readonly type: 'llama3'; readonly factor: number; readonly lowFreqFactor: number; readonly highFreqFactor: number; readonly originalMaxPositions: number }
  | { readonly type: 'linear'; readonly factor: number };

/** Hyperparameters read from a model file, mapped from outside key names into one form. */
export interface ModelConfig {
  readonly architecture: Architecture;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  readonly ropeScaling: RopeScaling | null;
  readonly ropeStyle: RopeStyle;
  /** Context length the model was trained for. */
  readonly maxPositions: number;
  readonly tieWordEmbeddings: boolean;
  /** Q, K and V projections carry biases (qwen2). */
  readonly attentionBias: boolean;
}

/**
 * One weight tensor placed in the arena. Shape is [rows, cols], row-major: `cols` is the
 * contiguous dimension (ggml's ne0), so a linear layer computes y[rows] = W[rows, cols] · x[cols].
 * A one-dimensional tensor (a norm weight or a bias) has rows = 1.
 */
export interface WeightTensor {
  readonly name: string;
  readonly type: GgmlType;
  readonly rows: number;
  readonly cols: number;
  /** Index of the arena memory that holds the bytes. */
  readonly shard: number;
  /** Byte offset inside that memory. */
  readonly offset: number;
  readonly nbytes: number;
  /**
   * Set by a backend that rewrote an F16, Q8_0 or Q4_K tensor's bytes in place into groups of four rows
   * interleaved block by block (the rows4 layout of src/kernels/assembly/rows4.ts).
   * Every reader of weight bytes honors it; row r no longer starts at offset + r * rowBytes.
   */
  interleaved?: boolean;
}

/**
 * Canonical tensor names are GGUF's: `token_embd`, `output_norm`, `output`, and per layer
 * `blk.{i}.attn_norm`, `attn_q`, `attn_k`, `attn_v`, `attn_output`, `attn_q.bias`,
 * `attn_k.bias`, `attn_v.bias`, `ffn_norm`, `ffn_gate`, `ffn_up`, `ffn_down` (".weight" dropped).
 */
export type TensorName = string;

/** Byte size of `count` elements of `type`; `count` must be a multiple of the block size. */
export function tensorBytes(type: GgmlType, count: number): number {
  const layout = GGML_TYPE_LAYOUT[type];
  if (layout === undefined) throw new Error(`unsupported tensor type id ${type}`);
  if (count % layout.blockSize !== 0) {
    throw new Error(`${layout.name} tensor of ${count} elements is not a multiple of its block size ${layout.blockSize}`);
  }
  return (count / layout.blockSize) * layout.blockBytes;
}
