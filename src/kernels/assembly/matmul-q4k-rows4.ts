// Q4_K matrix products on the rows4 layout (rows4.ts), against activations widened to i16.
//
// A Q4_K super-block stores 256 values as nibbles: byte l of 32-byte group g contains value l of
// sub-block 2g in its low nibble and value l of sub-block 2g + 1 in its high nibble. Read as
// eight i16 lanes, 16 bytes give the even values (lane & 15, or lane >> 4 & 15 for the high
// nibbles) and the odd values (lane >> 8 & 15, or lane >> 12) of 16 consecutive values, with no
// widening step. widenActivations stores each activation block in the same even/odd order, so
// one i32x4.dot_i16x8_s multiplies them directly.
//
// The 6-bit scales and mins of a super-block are unpacked with SIMD once per row. The scale
// factors d * scale_j * xScale_j go to per-thread scratch memory. The mins term
// dmin * Σ_j min_j * xScale_j * xSum_j is subtracted from the row's accumulator in one step.

import { f16ToF32, laneSumsF32x4 } from './simd';

/**
 * Writes activation rows quantized by quantizeRows (int8 at xq) as i16 at xw, 64 bytes per
 * block of 32: the 8 even then the 8 odd values of the block's first 16, then the same for its
 * last 16.
 */
export function widenActivations(xq: usize, xw: usize, n: i32, cols: i32): void {
  const chunks = (n * cols) >> 4;
  for (let c = 0; c < chunks; c++) {
    const split = i8x16.shuffle(v128.load(xq + (<usize>c << 4)), i8x16.splat(0), 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    const out = xw + (<usize>c << 5);
    v128.store(out, i16x8.extend_low_i8x16_s(split));
    v128.store(out, i16x8.extend_high_i8x16_s(split), 16);
  }
}

/**
 * Returns the integer dot of one sub-block with its widened activation block (x0..x3): the low nibbles of the
 * 32 bytes at `raw` when `high` is false, else the high nibbles. `high` is a constant at every call.
 */
@inline function subBlockDot(raw: usize, high: bool, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const mask = i16x8.splat(0x000f);
  const raw0 = v128.load(raw);
  const raw1 = v128.load(raw, 16);
  let even0: v128, odd0: v128, even1: v128, odd1: v128;
  if (high) {
    even0 = v128.and(i16x8.shr_u(raw0, 4), mask);
    odd0 = i16x8.shr_u(raw0, 12);
    even1 = v128.and(i16x8.shr_u(raw1, 4), mask);
    odd1 = i16x8.shr_u(raw1, 12);
  } else {
    even0 = v128.and(raw0, mask);
    odd0 = v128.and(i16x8.shr_u(raw0, 8), mask);
    even1 = v128.and(raw1, mask);
    odd1 = v128.and(i16x8.shr_u(raw1, 8), mask);
  }
  return i32x4.add(
    i32x4.add(i32x4.dot_i16x8_s(even0, x0), i32x4.dot_i16x8_s(odd0, x1)),
    i32x4.add(i32x4.dot_i16x8_s(even1, x2), i32x4.dot_i16x8_s(odd1, x3)),
  );
}

/** Returns the f32 scales of the four activation blocks whose quantizeRows records (scale, sum) start at meta. */
@inline function blockScales(meta: usize): v128 {
  return v128.shuffle<i32>(v128.load(meta), v128.load(meta, 16), 0, 2, 4, 6);
}

/** Returns scale * sum of the same four activation blocks: what a Q4_K min multiplies. */
@inline function blockMinWeights(meta: usize): v128 {
  const first = v128.load(meta);
  const second = v128.load(meta, 16);
  return f32x4.mul(v128.shuffle<i32>(first, second, 0, 2, 4, 6), f32x4.convert_i32x4_s(v128.shuffle<i32>(first, second, 1, 3, 5, 7)));
}

/**
 * Returns the eight 6-bit scales (bytes 0..7) and eight 6-bit mins (bytes 8..15) of the Q4_K
 * super-block at wb. The 12 header bytes are read as three u32 words w0, w1, w2. Scales 0..3 and
 * mins 0..3 are the low 6 bits of w0's and w1's bytes. Scales and mins 4..7 take their low 4 bits
 * from w2's low and high nibbles, and their top 2 bits from the top bits of w0's and w1's bytes.
 */
@inline function scalesAndMins(wb: usize): v128 {
  const w0 = load<u32>(wb, 4);
  const w1 = load<u32>(wb, 8);
  const w2 = load<u32>(wb, 12);
  const scales = <u64>(w0 & 0x3f3f3f3f) | (<u64>((w2 & 0x0f0f0f0f) | ((w0 >> 2) & 0x30303030)) << 32);
  const mins = <u64>(w1 & 0x3f3f3f3f) | (<u64>(((w2 >> 4) & 0x0f0f0f0f) | ((w1 >> 2) & 0x30303030)) << 32);
  return i64x2.replace_lane(i64x2.splat(scales), 1, mins);
}

/**
 * Unpacks the header of the super-block at wb: stores its eight factors d * scale_j * xScale_j
 * at `factors` and returns the vector whose lane sum is dmin * Σ_j min_j * xScale_j * xSum_j.
 */
@inline function unpackHeader(wb: usize, xScaleLow: v128, xScaleHigh: v128, xMinLow: v128, xMinHigh: v128, factors: usize): v128 {
  // Scales and mins are below 64, so the signed conversion to f32 is exact. x86 has no unsigned
  // conversion, and the emulated f32x4.convert_i32x4_u cost this kernel 16% of its speed.
  const packed = scalesAndMins(wb);
  const scales16 = i16x8.extend_low_i8x16_u(packed);
  const mins16 = i16x8.extend_high_i8x16_u(packed);
  const d = f32x4.splat(f16ToF32(load<u16>(wb)));
  const dmin = f32x4.splat(f16ToF32(load<u16>(wb, 2)));
  v128.store(factors, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(scales16)), xScaleLow), d));
  v128.store(factors, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(scales16)), xScaleHigh), d), 16);
  const minTerms = f32x4.add(
    f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(mins16)), xMinLow),
    f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(mins16)), xMinHigh),
  );
  return f32x4.mul(minTerms, dmin);
}

/** Adds one sub-block's integer dot (see subBlockDot) to acc, scaled by the f32 factor at `factor`. */
@inline function addSubBlock(acc: v128, raw: usize, high: bool, x0: v128, x1: v128, x2: v128, x3: v128, factor: usize): v128 {
  const sum = subBlockDot(raw, high, x0, x1, x2, x3);
  return f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sum), v128.load32_splat(factor)));
}

/** Activation rows per tile, as in the other quantized kernels. */
const ROW_TILE = 16;
/**
 * y[i * ldy + r] = dot(weight row r, activation row i) for r0 <= r < r1 (multiples of 4) and
 * 0 <= i < n, with Q4_K weights in the rows4 layout: super-block s of row 4g + k at group start
 * + 576 * s + 144 * k. Activations: i16 from widenActivations at xw, and the f32 scale and i32
 * sum per block of 32 from quantizeRows at xs. `scratch` takes 2432 bytes per calling thread.
 */
export function matmulQ4_KRows4(y: usize, ldy: i32, w: usize, rowBytes: i32, xw: usize, xs: usize, n: i32, cols: i32, r0: i32, r1: i32, scratch: usize): void {
  // NOTE: on one thread an 8192-wide matrix (ffn_down of Llama-3.2-1B) runs at about 5 GB/s against
  // 8 for 2048-wide ones, for a reason not found. Column tiles that keep a 4 KiB slice of the
  // activation row in L1 measured slower still.
  const blocks = cols >> 5;
  const superBlocks = cols >> 8;
  for (let i0 = 0; i0 < n; i0 += ROW_TILE) {
    const i1 = min(n, i0 + ROW_TILE);
    for (let r = r0; r < r1; r += 4) {
      const group = w + <usize>r * rowBytes;
      if (i1 - i0 > 1) {
        tileProduct(group, xw, xs, i0, i1, cols, superBlocks, y + (<usize>r << 2), <usize>ldy << 2, scratch);
        continue;
      }
      for (let i = i0; i < i1; i++) {
        const product = groupProduct(group, xw + ((<usize>i * cols) << 1), xs + (<usize>(i * blocks) << 3), superBlocks, scratch);
        v128.store(y + ((<usize>i * ldy + r) << 2), product);
      }
    }
  }
}

/** Offsets in the per-thread scratch of the prefill path, after the 128 bytes of factors: decoded weights, then scales. */
const DECODED_AT: usize = 128;
const DECODED_SCALES_AT: usize = DECODED_AT + 2048;

/**
 * Decodes one super-block of the four rows of a group (at wb, rows 144 bytes apart) for reuse by
 * many activation rows. For row k and sub-block j, the 64 bytes at weights + 512 k + 64 j contain the
 * i16 values in the even/odd order of widenActivations. For row k, the 64 bytes at scales + 64 k
 * contain d * scale_j (8 f32), then dmin * min_j (8 f32).
 */
@inline function decodeSuperBlock(wb: usize, weights: usize, scales: usize): void {
  const mask = i16x8.splat(0x000f);
  for (let k = 0; k < 4; k++) {
    const row = wb + <usize>k * 144;
    const packed = scalesAndMins(row);
    const scales16 = i16x8.extend_low_i8x16_u(packed);
    const mins16 = i16x8.extend_high_i8x16_u(packed);
    const d = f32x4.splat(f16ToF32(load<u16>(row)));
    const dmin = f32x4.splat(f16ToF32(load<u16>(row, 2)));
    const out = scales + (<usize>k << 6);
    v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(scales16)), d));
    v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(scales16)), d), 16);
    v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(mins16)), dmin), 32);
    v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(mins16)), dmin), 48);
    for (let g = 0; g < 4; g++) {
      const raw0 = v128.load(row + 16 + (<usize>g << 5));
      const raw1 = v128.load(row + 16 + (<usize>g << 5), 16);
      const low = weights + (<usize>k << 9) + (<usize>g << 7);
      v128.store(low, v128.and(raw0, mask));
      v128.store(low, v128.and(i16x8.shr_u(raw0, 8), mask), 16);
      v128.store(low, v128.and(raw1, mask), 32);
      v128.store(low, v128.and(i16x8.shr_u(raw1, 8), mask), 48);
      v128.store(low, v128.and(i16x8.shr_u(raw0, 4), mask), 64);
      v128.store(low, i16x8.shr_u(raw0, 12), 80);
      v128.store(low, v128.and(i16x8.shr_u(raw1, 4), mask), 96);
      v128.store(low, i16x8.shr_u(raw1, 12), 112);
    }
  }
}

/** Returns the integer dot of one decoded sub-block at `decoded` (64 bytes) with the widened activation block x0..x3. */
@inline function decodedDot(decoded: usize, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  return i32x4.add(
    i32x4.add(i32x4.dot_i16x8_s(v128.load(decoded), x0), i32x4.dot_i16x8_s(v128.load(decoded, 16), x1)),
    i32x4.add(i32x4.dot_i16x8_s(v128.load(decoded, 32), x2), i32x4.dot_i16x8_s(v128.load(decoded, 48), x3)),
  );
}

/**
 * Computes the prefill path: the four rows of `group` times activation rows i0 <= i < i1, written to
 * out + i * ldyBytes (four f32). Each super-block is decoded once into thread scratch and then
 * used by every activation row of the tile.
 */
@inline function tileProduct(group: usize, xw: usize, xs: usize, i0: i32, i1: i32, cols: i32, superBlocks: i32, out: usize, ldyBytes: usize, scratch: usize): void {
  const blocks = cols >> 5;
  const weights = scratch + DECODED_AT;
  const scales = scratch + DECODED_SCALES_AT;
  for (let s = 0; s < superBlocks; s++) {
    decodeSuperBlock(group + <usize>s * 576, weights, scales);
    for (let i = i0; i < i1; i++) {
      const meta = xs + (<usize>(i * blocks + (s << 3)) << 3);
      const xScaleLow = blockScales(meta);
      const xScaleHigh = blockScales(meta + 32);
      const xMinLow = blockMinWeights(meta);
      const xMinHigh = blockMinWeights(meta + 32);
      // Factors d * scale_j * xScale_j of the four rows go to the first 128 bytes of scratch.
      let acc0 = rowFactors(scales, xScaleLow, xScaleHigh, xMinLow, xMinHigh, scratch);
      let acc1 = rowFactors(scales + 64, xScaleLow, xScaleHigh, xMinLow, xMinHigh, scratch + 32);
      let acc2 = rowFactors(scales + 128, xScaleLow, xScaleHigh, xMinLow, xMinHigh, scratch + 64);
      let acc3 = rowFactors(scales + 192, xScaleLow, xScaleHigh, xMinLow, xMinHigh, scratch + 96);
      const xBlock = xw + ((<usize>i * cols) << 1) + (<usize>s << 9);
      for (let j = 0; j < 8; j++) {
        const x = xBlock + (<usize>j << 6);
        const x0 = v128.load(x);
        const x1 = v128.load(x, 16);
        const x2 = v128.load(x, 32);
        const x3 = v128.load(x, 48);
        const decoded = weights + (<usize>j << 6);
        const factor = scratch + (<usize>j << 2);
        acc0 = f32x4.add(acc0, f32x4.mul(f32x4.convert_i32x4_s(decodedDot(decoded, x0, x1, x2, x3)), v128.load32_splat(factor)));
        acc1 = f32x4.add(acc1, f32x4.mul(f32x4.convert_i32x4_s(decodedDot(decoded + 512, x0, x1, x2, x3)), v128.load32_splat(factor + 32)));
        acc2 = f32x4.add(acc2, f32x4.mul(f32x4.convert_i32x4_s(decodedDot(decoded + 1024, x0, x1, x2, x3)), v128.load32_splat(factor + 64)));
        acc3 = f32x4.add(acc3, f32x4.mul(f32x4.convert_i32x4_s(decodedDot(decoded + 1536, x0, x1, x2, x3)), v128.load32_splat(factor + 96)));
      }
      const at = out + <usize>i * ldyBytes;
      const partial = laneSumsF32x4(acc0, acc1, acc2, acc3);
      v128.store(at, s == 0 ? partial : f32x4.add(partial, v128.load(at)));
    }
  }
}

/**
 * Stores the eight factors (d * scale_j) * xScale_j of one decoded row at `factors` and returns
 * the start of its accumulator: minus the mins term, whose lane sum is Σ_j dmin * min_j * xScale_j * xSum_j.
 */
@inline function rowFactors(scales: usize, xScaleLow: v128, xScaleHigh: v128, xMinLow: v128, xMinHigh: v128, factors: usize): v128 {
  v128.store(factors, f32x4.mul(v128.load(scales), xScaleLow));
  v128.store(factors, f32x4.mul(v128.load(scales, 16), xScaleHigh), 16);
  return f32x4.neg(f32x4.add(f32x4.mul(v128.load(scales, 32), xMinLow), f32x4.mul(v128.load(scales, 48), xMinHigh)));
}

/** Returns the products of the four rows of `group` with one activation row. */
@inline function groupProduct(group: usize, xRow: usize, sRow: usize, superBlocks: i32, scratch: usize): v128 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  for (let s = 0; s < superBlocks; s++) {
    // Scales and sums of the super-block's eight activation blocks, split into two f32x4 each.
    const meta = sRow + (<usize>s << 6);
    const xScaleLow = blockScales(meta);
    const xScaleHigh = blockScales(meta + 32);
    const xMinLow = blockMinWeights(meta);
    const xMinHigh = blockMinWeights(meta + 32);
    const wb = group + <usize>s * 576;
    acc0 = f32x4.sub(acc0, unpackHeader(wb, xScaleLow, xScaleHigh, xMinLow, xMinHigh, scratch));
    acc1 = f32x4.sub(acc1, unpackHeader(wb + 144, xScaleLow, xScaleHigh, xMinLow, xMinHigh, scratch + 32));
    acc2 = f32x4.sub(acc2, unpackHeader(wb + 288, xScaleLow, xScaleHigh, xMinLow, xMinHigh, scratch + 64));
    acc3 = f32x4.sub(acc3, unpackHeader(wb + 432, xScaleLow, xScaleHigh, xMinLow, xMinHigh, scratch + 96));
    // Group g of 32 nibble bytes contains sub-block 2g (low nibbles) and 2g + 1 (high nibbles). Each
    // activation block is loaded once for the four rows.
    const xBlock = xRow + (<usize>s << 9);
    for (let g = 0; g < 4; g++) {
      const raw = wb + 16 + (<usize>g << 5);
      const factor = scratch + (<usize>g << 3);
      let x = xBlock + (<usize>g << 7);
      let x0 = v128.load(x);
      let x1 = v128.load(x, 16);
      let x2 = v128.load(x, 32);
      let x3 = v128.load(x, 48);
      acc0 = addSubBlock(acc0, raw, false, x0, x1, x2, x3, factor);
      acc1 = addSubBlock(acc1, raw + 144, false, x0, x1, x2, x3, factor + 32);
      acc2 = addSubBlock(acc2, raw + 288, false, x0, x1, x2, x3, factor + 64);
      acc3 = addSubBlock(acc3, raw + 432, false, x0, x1, x2, x3, factor + 96);
      x += 64;
      x0 = v128.load(x);
      x1 = v128.load(x, 16);
      x2 = v128.load(x, 32);
      x3 = v128.load(x, 48);
      acc0 = addSubBlock(acc0, raw, true, x0, x1, x2, x3, factor + 4);
      acc1 = addSubBlock(acc1, raw + 144, true, x0, x1, x2, x3, factor + 36);
      acc2 = addSubBlock(acc2, raw + 288, true, x0, x1, x2, x3, factor + 68);
      acc3 = addSubBlock(acc3, raw + 432, true, x0, x1, x2, x3, factor + 100);
    }
  }
  return laneSumsF32x4(acc0, acc1, acc2, acc3);
}
