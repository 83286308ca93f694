// Test helpers: encode ggml blocks from chosen scales and integer quants (the inverse direction of
// dequantization, written from the layout rather than from the decoder), place tensors in an
// arena, and draw seeded random numbers.

import { GgmlType, GGML_TYPE_LAYOUT, type WeightTensor } from '../../src/model/types.js';
import type { Arena } from '../../src/kernels/arena.js';
import { bf16ToF32, f32ToF16, f16ToF32, f32ToBf16 } from '../../src/kernels/reference/half.js';

/** Mulberry32: a small seeded generator so that failures reproduce. */
export function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

/** A block's bytes plus the exact values it encodes (computed from the chosen fields). */
export interface EncodedBlocks {
  bytes: Uint8Array;
  values: Float32Array;
}

function writeF16(bytes: Uint8Array, at: number, bits: number): void {
  bytes[at] = bits & 0xff;
  bytes[at + 1] = bits >> 8;
}

/** Q8_0 blocks with random scales and int8 quants in -127..127. */
export function encodeQ8_0(random: () => number, blocks: number): EncodedBlocks {
  const bytes = new Uint8Array(34 * blocks);
  const values = new Float32Array(32 * blocks);
  for (let b = 0; b < blocks; b++) {
    const dBits = f32ToF16((random() + 0.05) * 0.02);
    writeF16(bytes, 34 * b, dBits);
    for (let j = 0; j < 32; j++) {
      const q = randomInt(random, -127, 127);
      bytes[34 * b + 2 + j] = q & 0xff;
      values[32 * b + j] = Math.fround(f16ToF32(dBits) * q);
    }
  }
  return { bytes, values };
}

/** Q4_0 blocks with random scales and quants 0..15 (value = d * (q - 8)). */
export function encodeQ4_0(random: () => number, blocks: number): EncodedBlocks {
  const bytes = new Uint8Array(18 * blocks);
  const values = new Float32Array(32 * blocks);
  for (let b = 0; b < blocks; b++) {
    const dBits = f32ToF16((random() - 0.5) * 0.1);
    writeF16(bytes, 18 * b, dBits);
    for (let e = 0; e < 32; e++) {
      const q = randomInt(random, 0, 15);
      // Value e lives in byte e % 16: low nibble for the first 16 values, high for the rest.
      bytes[18 * b + 2 + (e % 16)] |= e < 16 ? q : q << 4;
      values[32 * b + e] = Math.fround(f16ToF32(dBits) * (q - 8));
    }
  }
  return { bytes, values };
}

/** Q4_K blocks with random 6-bit scales and mins per sub-block of 32 and 4-bit quants. */
export function encodeQ4_K(random: () => number, blocks: number): EncodedBlocks {
  const bytes = new Uint8Array(144 * blocks);
  const values = new Float32Array(256 * blocks);
  for (let b = 0; b < blocks; b++) {
    const at = 144 * b;
    const dBits = f32ToF16((random() + 0.1) * 0.003);
    const dminBits = f32ToF16((random() + 0.1) * 0.002);
    writeF16(bytes, at, dBits);
    writeF16(bytes, at + 2, dminBits);
    const scales = Array.from({ length: 8 }, () => randomInt(random, 0, 63));
    const mins = Array.from({ length: 8 }, () => randomInt(random, 0, 63));
    // 12 scale bytes. Bytes 0-3 contain scales 0-3 plus the top 2 bits of scales 4-7. Bytes 4-7
    // contain mins 0-3 plus the top 2 bits of mins 4-7. Bytes 8-11 contain the low 4 bits of scale and min 4-7.
    for (let j = 0; j < 4; j++) {
      bytes[at + 4 + j] = scales[j] | ((scales[j + 4] >> 4) << 6);
      bytes[at + 8 + j] = mins[j] | ((mins[j + 4] >> 4) << 6);
      bytes[at + 12 + j] = (scales[j + 4] & 15) | ((mins[j + 4] & 15) << 4);
    }
    for (let e = 0; e < 256; e++) {
      const q = randomInt(random, 0, 15);
      const sub = e >> 5;
      const byteIndex = at + 16 + 32 * (e >> 6) + (e % 32);
      bytes[byteIndex] |= sub % 2 === 0 ? q : q << 4;
      const d = f16ToF32(dBits);
      const dmin = f16ToF32(dminBits);
      values[256 * b + e] = Math.fround(d * scales[sub] * q - dmin * mins[sub]);
    }
  }
  return { bytes, values };
}

/** Q6_K blocks with random int8 scales per 16 values and 6-bit quants (value = d * sc * (q - 32)). */
export function encodeQ6_K(random: () => number, blocks: number): EncodedBlocks {
  const bytes = new Uint8Array(210 * blocks);
  const values = new Float32Array(256 * blocks);
  for (let b = 0; b < blocks; b++) {
    const at = 210 * b;
    const dBits = f32ToF16((random() + 0.1) * 0.001);
    writeF16(bytes, at + 208, dBits);
    const scales = Array.from({ length: 16 }, () => randomInt(random, -128, 127));
    for (let s = 0; s < 16; s++) bytes[at + 192 + s] = scales[s] & 0xff;
    for (let e = 0; e < 256; e++) {
      const q = randomInt(random, 0, 63);
      // Each half of 128 has four quarters of 32 values. Quarters 0 and 1 use the low nibbles of
      // ql[l] and ql[l + 32], quarters 2 and 3 their high nibbles, and qh[l] contains 2 bits per quarter.
      const half = e >> 7;
      const quarter = (e >> 5) & 3;
      const l = e & 31;
      const ql = at + 64 * half + l + (quarter & 1) * 32;
      bytes[ql] |= quarter < 2 ? q & 15 : (q & 15) << 4;
      bytes[at + 128 + 32 * half + l] |= (q >> 4) << (2 * quarter);
      values[256 * b + e] = Math.fround(f16ToF32(dBits) * scales[e >> 4] * (q - 32));
    }
  }
  return { bytes, values };
}

/** Encodes `count` values of a float type (F32, F16, BF16); `values` are the rounded numbers. */
export function encodeFloat(type: GgmlType, source: Float32Array): EncodedBlocks {
  const width = GGML_TYPE_LAYOUT[type].blockBytes;
  const bytes = new Uint8Array(width * source.length);
  const values = new Float32Array(source.length);
  const view = new DataView(bytes.buffer);
  for (let j = 0; j < source.length; j++) {
    if (type === GgmlType.F32) {
      view.setFloat32(4 * j, source[j], true);
      values[j] = source[j];
    } else if (type === GgmlType.F16) {
      const bits = f32ToF16(source[j]);
      view.setUint16(2 * j, bits, true);
      values[j] = f16ToF32(bits);
    } else {
      const bits = f32ToBf16(source[j]);
      view.setUint16(2 * j, bits, true);
      values[j] = bf16ToF32(bits);
    }
  }
  return { bytes, values };
}

/** Random encoded data of any supported type for `count` values (a whole number of blocks). */
export function encodeRandom(type: GgmlType, random: () => number, count: number): EncodedBlocks {
  const blocks = count / GGML_TYPE_LAYOUT[type].blockSize;
  switch (type) {
    case GgmlType.Q8_0:
      return encodeQ8_0(random, blocks);
    case GgmlType.Q4_0:
      return encodeQ4_0(random, blocks);
    case GgmlType.Q4_K:
      return encodeQ4_K(random, blocks);
    case GgmlType.Q6_K:
      return encodeQ6_K(random, blocks);
    default:
      return encodeFloat(type, Float32Array.from({ length: count }, () => (random() - 0.5) * 2));
  }
}

/** Copies encoded bytes into the arena and returns the tensor record that describes them. */
export function placeWeight(arena: Arena, name: string, type: GgmlType, rows: number, cols: number, bytes: Uint8Array): WeightTensor {
  const { shard, offset } = arena.alloc(bytes.length);
  arena.bytes(shard, offset, bytes.length).set(bytes);
  return { name, type, rows, cols, shard, offset, nbytes: bytes.length };
}

/** Largest absolute difference between two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let j = 0; j < a.length; j++) max = Math.max(max, Math.abs(a[j] - b[j]));
  return max;
}

export const ALL_TYPES: readonly GgmlType[] = [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K];
