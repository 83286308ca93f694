// The "rows4" layout of weight matrices (F16, Q8_0, Q4_K): each group of four consecutive rows is rewritten so
// that the four rows share every block position. A group keeps the 4 * rowBytes bytes it had in
// the file, so the rewrite happens in place.
//   Q8_0  for rows 4g..4g+3 and block b, the 136 bytes at (group start + 136 * b) contain the four
//         f16 scales (row 4g first), then the four rows' 32 int8 values one after another.
//   Q4_K  super-block s of the four rows lies at (group start + 576 * s), row 4g first, each
//         144-byte super-block unchanged.
//   F16   values 8c..8c+7 of the four rows lie at (group start + 64 * c), 16 bytes per row.
//
// Why: the plain kernel reads four rows at once as four short streams (a row of 896 values is 952
// bytes). One thread measured 4.3 GB/s on such a matrix against 12.5 GB/s for the same bytes
// interleaved, which the hardware prefetcher can follow as one stream (an explanation, not measured).
// The four scales also convert to f32 with one SIMD sequence instead of four scalar ones.

import { f16ToF32, f16x4ToF32x4 } from './simd';

/** Bytes of one block position of a four-row group: 4 f16 scales and 4 × 32 int8. */
const GROUP_BLOCK_BYTES: usize = 136;

/**
 * Rewrites `groups` groups of four plain Q8_0 rows at `w` (rowBytes each) into the rows4 layout,
 * in place, through 4 * rowBytes bytes of scratch memory at `scratch`.
 */
export function interleaveQ8_0Rows4(w: usize, rowBytes: i32, groups: i32, scratch: usize): void {
  const groupBytes = <usize>rowBytes << 2;
  const blocks = rowBytes / 34;
  for (let g = 0; g < groups; g++) {
    const base = w + <usize>g * groupBytes;
    memory.copy(scratch, base, groupBytes);
    for (let b = 0; b < blocks; b++) {
      const dst = base + <usize>b * GROUP_BLOCK_BYTES;
      for (let k = 0; k < 4; k++) {
        const src = scratch + <usize>k * rowBytes + <usize>b * 34;
        store<u16>(dst + (<usize>k << 1), load<u16>(src));
        const values = dst + 8 + (<usize>k << 5);
        v128.store(values, v128.load(src, 2));
        v128.store(values, v128.load(src, 18), 16);
      }
    }
  }
}

/**
 * Rewrites `groups` groups of four rows at `w` (rowBytes each, blocks of blockBytes, a multiple of
 * 16) so that block b of row k moves to position 4b + k, in place, through 4 * rowBytes bytes of
 * scratch memory at `scratch`. This gives the Q4_K rows4 layout, and the F16 one when a block is
 * taken as 8 values (16 bytes).
 */
export function interleaveBlocksRows4(w: usize, rowBytes: i32, blockBytes: i32, groups: i32, scratch: usize): void {
  const groupBytes = <usize>rowBytes << 2;
  const blocks = rowBytes / blockBytes;
  for (let g = 0; g < groups; g++) {
    const base = w + <usize>g * groupBytes;
    memory.copy(scratch, base, groupBytes);
    let dst = base;
    for (let b = 0; b < blocks; b++) {
      for (let k = 0; k < 4; k++) {
        const src = scratch + <usize>k * rowBytes + <usize>b * blockBytes;
        for (let j = 0; j < blockBytes; j += 16) v128.store(dst + j, v128.load(src + j));
        dst += blockBytes;
      }
    }
  }
}

/** Writes the 32 values of row k (0..3) of the group at `group` to `dst` as f32: the embedding lookup. */
export function dequantQ8_0Rows4(group: usize, k: i32, blocks: i32, dst: usize): void {
  for (let b = 0; b < blocks; b++) {
    const at = group + <usize>b * GROUP_BLOCK_BYTES;
    const scale = f16ToF32(load<u16>(at + (<usize>k << 1)));
    const values = at + 8 + (<usize>k << 5);
    const out = dst + (<usize>b << 7);
    for (let j = 0; j < 32; j++) store<f32>(out + (<usize>j << 2), scale * <f32>load<i8>(values + j));
  }
}

/** Integer dot of 32 int8 weights at `q` with one activation block widened to i16 (x0..x3), as four partial sums. */
@inline function rowDot(q: usize, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  return i32x4.add(
    i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(q), x0), i32x4.dot_i16x8_s(v128.load8x8_s(q, 8), x1)),
    i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(q, 16), x2), i32x4.dot_i16x8_s(v128.load8x8_s(q, 24), x3)),
  );
}

/** Returns the vector whose lane k is the sum of the four lanes of argument k. */
@inline function laneSums(a: v128, b: v128, c: v128, d: v128): v128 {
  // ab = [a0+a2, b0+b2, a1+a3, b1+b3], cd likewise; then the halves of ab and cd are added.
  const ab = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i64>(ab, cd, 0, 2), v128.shuffle<i64>(ab, cd, 1, 3));
}

/** Activation rows per tile, as in matmul-quant.ts: a group's 4 * rowBytes stay in L1 across the tile. */
const ROW_TILE = 16;

/**
 * y[i * ldy + r] = dot(weight row r, activation row i) for r0 <= r < r1 and 0 <= i < n, with the
 * weights in the rows4 layout. r0 and r1 must be multiples of 4. Activations are quantized by
 * quantizeRows (int8 blocks of 32 at xq, f32 scale and i32 sum per block at xs).
 */
export function matmulQ8_0Rows4(y: usize, ldy: i32, w: usize, rowBytes: i32, xq: usize, xs: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  const blocks = cols >> 5;
  for (let i0 = 0; i0 < n; i0 += ROW_TILE) {
    const i1 = min(n, i0 + ROW_TILE);
    for (let r = r0; r < r1; r += 4) {
      const group = w + <usize>r * rowBytes;
      for (let i = i0; i < i1; i++) {
        const a = xq + <usize>i * cols;
        const s = xs + (<usize>(i * blocks) << 3);
        let acc = f32x4.splat(0);
        for (let b = 0; b < blocks; b++) {
          const block = a + (<usize>b << 5);
          const x0 = v128.load8x8_s(block);
          const x1 = v128.load8x8_s(block, 8);
          const x2 = v128.load8x8_s(block, 16);
          const x3 = v128.load8x8_s(block, 24);
          const wb = group + <usize>b * GROUP_BLOCK_BYTES;
          const scales = f32x4.mul(f16x4ToF32x4(v128.load16x4_s(wb)), f32x4.splat(load<f32>(s + (<usize>b << 3))));
          const sums = laneSums(rowDot(wb + 8, x0, x1, x2, x3), rowDot(wb + 40, x0, x1, x2, x3), rowDot(wb + 72, x0, x1, x2, x3), rowDot(wb + 104, x0, x1, x2, x3));
          acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sums), scales));
        }
        v128.store(y + ((<usize>i * ldy + r) << 2), acc);
      }
    }
  }
}
