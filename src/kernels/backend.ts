// The compute interface the forward pass is written against. Two implementations exist:
// a plain TypeScript reference (obviously right, slow) and a WebAssembly SIMD one that spreads
// rows across worker threads. Every fast kernel is tested against the reference.
//
// All buffers live in the arena's shared WebAssembly memories, so worker threads and wasm code
// read them without copies. Calls are synchronous: the calling thread does its own share of
// the rows and waits for the workers before returning.

import type { WeightTensor } from '../model/types.js';
import type { Arena } from './arena.js';

/** A run of f32 values in the arena: `length` elements starting at byte `offset` of memory `shard`. */
export interface Buf {
  readonly shard: number;
  readonly offset: number;
  readonly length: number;
}

/** Precomputed rotary inverse frequencies, one per rotated pair (hd / 2 values). */
export interface RopeTable {
  readonly invFreq: Float32Array;
  readonly style: 'neox' | 'interleaved';
}

export interface Backend {
  readonly name: string;
  readonly arena: Arena;
  readonly threads: number;

  /** Allocates `length` f32 values (zeroed) in shard 0. */
  allocF32(length: number): Buf;
  /** A Float32Array view of a buffer; valid until the next arena growth, so fetch it again after allocating. */
  view(buf: Buf): Float32Array;

  /**
   * Optionally rewrites weights in place into a layout this backend's kernels read faster, and
   * marks each one it changed (WeightTensor.interleaved). Call it before computing; every backend
   * and every reader of weight bytes handles both layouts.
   */
  prepareWeights?(weights: Iterable<WeightTensor>): void;
  /** y[n, w.rows] = x[n, w.cols] · wᵀ, for every supported weight type. */
  matmul(y: Buf, x: Buf, w: WeightTensor, n: number): void;
  /** Embedding lookup: y[i, :] = row ids[i] of `table` dequantized to f32. */
  getRows(y: Buf, table: WeightTensor, ids: Int32Array): void;
  /** y[i, :] = x[i, :] / rms(x[i, :]) * weight, for n rows of width d. `weight` is an F32 tensor. */
  rmsNorm(y: Buf, x: Buf, weight: WeightTensor, n: number, d: number, eps: number): void;
  /** y[i, :] += bias for n rows of width d. `bias` is an F32 tensor. */
  addBias(y: Buf, bias: WeightTensor, n: number, d: number): void;
  /** y[0..count) += x[0..count), in place. */
  add(y: Buf, x: Buf, count: number): void;
  /** y[0..count) += alpha * v[j % width] for j < count: adds one vector to every row. */
  addRowVector(y: Buf, v: Float32Array, count: number, alpha: number): void;
  /** y = silu(gate) * up, element-wise over `count` values; y may alias gate. */
  swiglu(y: Buf, gate: Buf, up: Buf, count: number): void;
  /** Rotates n rows of `heads` heads of size hd in place; row i uses position positions[i]. */
  rope(x: Buf, n: number, heads: number, hd: number, positions: Int32Array, table: RopeTable): void;
  /**
   * Causal multi-head attention with grouped key/value heads.
   * q: [n, nh * hd]; keys and values: [capacity, nkv * hd] caches already holding this batch's rows
   * at cache rows start..start+n-1. Query row i attends to cache rows 0..start+i. out: [n, nh * hd].
   */
  attention(out: Buf, q: Buf, keys: Buf, values: Buf, n: number, start: number, nh: number, nkv: number, hd: number): void;
  /** Copies `count` values from x to y. */
  copy(y: Buf, x: Buf, count: number): void;

  /** Stops worker threads. */
  close(): Promise<void>;
}
