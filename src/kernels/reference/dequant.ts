// Dequantization of ggml's block formats to f32, written for clarity rather than speed.
//
// Block layouts (little-endian, as in GGUF files):
//   F32   4 bytes per value.   F16, BF16  2 bytes per value.
//   Q8_0  32 values in 34 bytes: f16 scale d, then 32 int8 q.               x = d * q
//   Q4_0  32 values in 18 bytes: f16 scale d, then 16 bytes. Byte j contains value j in its low
//         nibble and value j + 16 in its high nibble.                         x = d * (nibble - 8)
//   Q4_K  256 values in 144 bytes: f16 d, f16 dmin, 12 bytes of packed 6-bit scales and mins for
//         8 sub-blocks of 32, then 128 bytes of nibbles. Each 32-byte group of nibbles covers 64
//         values: low nibbles are sub-block 2g, high nibbles sub-block 2g + 1.
//                                                                             x = d * sc * q - dmin * m
//   Q6_K  256 values in 210 bytes: 128 bytes of low nibbles (ql), 64 bytes of high 2-bit pairs
//         (qh), 16 int8 scales (one per 16 values), then f16 d.              x = d * sc * (q - 32)

import { GgmlType, GGML_TYPE_LAYOUT, type WeightTensor } from '../../model/types.js';
import { InputError } from '../../util/errors.js';
import { F16_TABLE, bf16ToF32 } from './half.js';

function readF16(src: Uint8Array, at: number): number {
  return F16_TABLE[src[at] | (src[at + 1] << 8)];
}

function readI8(src: Uint8Array, at: number): number {
  return (src[at] << 24) >> 24;
}

/**
 * Returns the 6-bit scale and min of sub-block j (0..7) of a Q4_K block whose 12 scale bytes
 * start at `at`. Sub-blocks 0..3 use the low 6 bits of bytes j and j + 4. Sub-blocks 4..7 take
 * their low 4 bits from byte j + 4 and their top 2 bits from the spare high bits of bytes j - 4 and j.
 */
export function q4kScaleMin(src: Uint8Array, at: number, j: number): [scale: number, min: number] {
  if (j < 4) return [src[at + j] & 63, src[at + j + 4] & 63];
  const scale = (src[at + j + 4] & 0x0f) | ((src[at + j - 4] >> 6) << 4);
  const min = (src[at + j + 4] >> 4) | ((src[at + j] >> 6) << 4);
  return [scale, min];
}

function dequantQ8_0(src: Uint8Array, at: number, out: Float32Array, outAt: number, blocks: number): void {
  for (let b = 0; b < blocks; b++, at += 34, outAt += 32) {
    const d = readF16(src, at);
    for (let j = 0; j < 32; j++) out[outAt + j] = d * readI8(src, at + 2 + j);
  }
}

function dequantQ4_0(src: Uint8Array, at: number, out: Float32Array, outAt: number, blocks: number): void {
  for (let b = 0; b < blocks; b++, at += 18, outAt += 32) {
    const d = readF16(src, at);
    for (let j = 0; j < 16; j++) {
      const byte = src[at + 2 + j];
      out[outAt + j] = d * ((byte & 0x0f) - 8);
      out[outAt + j + 16] = d * ((byte >> 4) - 8);
    }
  }
}

function dequantQ4_K(src: Uint8Array, at: number, out: Float32Array, outAt: number, blocks: number): void {
  for (let b = 0; b < blocks; b++, at += 144, outAt += 256) {
    const d = readF16(src, at);
    const dmin = readF16(src, at + 2);
    const scalesAt = at + 4;
    const quantsAt = at + 16;
    for (let group = 0; group < 4; group++) {
      const [scaleLo, minLo] = q4kScaleMin(src, scalesAt, 2 * group);
      const [scaleHi, minHi] = q4kScaleMin(src, scalesAt, 2 * group + 1);
      const base = outAt + 64 * group;
      for (let l = 0; l < 32; l++) {
        const byte = src[quantsAt + 32 * group + l];
        out[base + l] = d * scaleLo * (byte & 0x0f) - dmin * minLo;
        out[base + 32 + l] = d * scaleHi * (byte >> 4) - dmin * minHi;
      }
    }
  }
}

function dequantQ6_K(src: Uint8Array, at: number, out: Float32Array, outAt: number, blocks: number): void {
  for (let b = 0; b < blocks; b++, at += 210, outAt += 256) {
    const d = readF16(src, at + 208);
    // Each half of 128 values uses 64 bytes of ql, 32 bytes of qh and 8 scales.
    for (let half = 0; half < 2; half++) {
      const ql = at + 64 * half;
      const qh = at + 128 + 32 * half;
      const sc = at + 192 + 8 * half;
      const base = outAt + 128 * half;
      for (let l = 0; l < 32; l++) {
        const high = src[qh + l];
        const q0 = ((src[ql + l] & 0x0f) | ((high & 3) << 4)) - 32;
        const q1 = ((src[ql + l + 32] & 0x0f) | (((high >> 2) & 3) << 4)) - 32;
        const q2 = ((src[ql + l] >> 4) | (((high >> 4) & 3) << 4)) - 32;
        const q3 = ((src[ql + l + 32] >> 4) | (((high >> 6) & 3) << 4)) - 32;
        const is = l >> 4;
        out[base + l] = d * readI8(src, sc + is) * q0;
        out[base + l + 32] = d * readI8(src, sc + is + 2) * q1;
        out[base + l + 64] = d * readI8(src, sc + is + 4) * q2;
        out[base + l + 96] = d * readI8(src, sc + is + 6) * q3;
      }
    }
  }
}

/**
 * Dequantizes `count` values of `type` whose first block starts at byte `at` of `src` into
 * out[outAt .. outAt + count). `count` must be a whole number of blocks.
 */
export function dequantize(type: GgmlType, src: Uint8Array, at: number, count: number, out: Float32Array, outAt = 0): void {
  const layout = GGML_TYPE_LAYOUT[type];
  if (layout === undefined) throw new InputError(`cannot dequantize tensor type id ${type}: supported are F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K`);
  if (count % layout.blockSize !== 0) {
    throw new InputError(`cannot dequantize ${count} ${layout.name} values: expected a multiple of the block size ${layout.blockSize}`);
  }
  const blocks = count / layout.blockSize;
  const needBytes = blocks * layout.blockBytes;
  if (at < 0 || at + needBytes > src.length) {
    throw new InputError(`cannot dequantize ${count} ${layout.name} values at byte ${at}: they need ${needBytes} bytes but the source has ${src.length - at}`);
  }
  if (outAt < 0 || outAt + count > out.length) {
    throw new InputError(`cannot dequantize ${count} values into an output of ${out.length} at index ${outAt}`);
  }

  switch (type) {
    case GgmlType.F32: {
      const view = new DataView(src.buffer, src.byteOffset + at, needBytes);
      for (let j = 0; j < count; j++) out[outAt + j] = view.getFloat32(4 * j, true);
      return;
    }
    case GgmlType.F16:
      for (let j = 0; j < count; j++) out[outAt + j] = readF16(src, at + 2 * j);
      return;
    case GgmlType.BF16:
      for (let j = 0; j < count; j++) out[outAt + j] = bf16ToF32(src[at + 2 * j] | (src[at + 2 * j + 1] << 8));
      return;
    case GgmlType.Q8_0:
      return dequantQ8_0(src, at, out, outAt, blocks);
    case GgmlType.Q4_0:
      return dequantQ4_0(src, at, out, outAt, blocks);
    case GgmlType.Q4_K:
      return dequantQ4_K(src, at, out, outAt, blocks);
    case GgmlType.Q6_K:
      return dequantQ6_K(src, at, out, outAt, blocks);
  }
}

/** Bytes of one Q8_0 block position of a rows4 group: four f16 scales, then four rows of 32 int8. */
export const ROWS4_BLOCK_BYTES = 136;

/**
 * Dequantizes row `row` of tensor `w` into out[0 .. w.cols), where `bytes` is the whole arena
 * memory that contains it. Handles the rows4 layout of interleaved F16, Q8_0 and Q4_K tensors
 * (src/kernels/assembly/rows4.ts describes it).
 */
export function dequantizeTensorRow(bytes: Uint8Array, w: WeightTensor, row: number, out: Float32Array): void {
  const size = rowBytes(w.type, w.cols);
  if (!w.interleaved) {
    dequantize(w.type, bytes, w.offset + row * size, w.cols, out);
    return;
  }
  if ((w.type !== GgmlType.Q8_0 && w.type !== GgmlType.Q4_K && w.type !== GgmlType.F16) || w.rows % 4 !== 0) {
    throw new InputError(`tensor ${w.name}: only F16, Q8_0 and Q4_K tensors with a multiple of 4 rows can be interleaved, found ${GGML_TYPE_LAYOUT[w.type].name} with ${w.rows} rows`);
  }
  const group = w.offset + (row >> 2) * 4 * size;
  const k = row & 3;
  if (w.type === GgmlType.F16) {
    // Runs of 8 values of the four rows lie side by side, 16 bytes each.
    for (let c = 0; c < w.cols / 8; c++) dequantize(GgmlType.F16, bytes, group + 64 * c + 16 * k, 8, out, 8 * c);
    return;
  }
  if (w.type === GgmlType.Q4_K) {
    // Super-block s of the four rows lies at group + 576 * s, row k at 144 * k within it.
    for (let s = 0; s < w.cols / 256; s++) dequantize(GgmlType.Q4_K, bytes, group + 576 * s + 144 * k, 256, out, 256 * s);
    return;
  }
  for (let b = 0; b < w.cols / 32; b++) {
    const at = group + b * ROWS4_BLOCK_BYTES;
    const d = readF16(bytes, at + 2 * k);
    const values = at + 8 + 32 * k;
    for (let j = 0; j < 32; j++) out[32 * b + j] = d * readI8(bytes, values + j);
  }
}

/** Bytes of one row of `cols` values of `type`. */
export function rowBytes(type: GgmlType, cols: number): number {
  const layout = GGML_TYPE_LAYOUT[type];
  return (cols / layout.blockSize) * layout.blockBytes;
}
