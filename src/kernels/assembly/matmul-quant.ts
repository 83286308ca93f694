// Matrix products with quantized weights applied directly on ggml blocks, against activations
// quantized by quantizeRows (int8 blocks of 32 with an f32 scale and the block's int8 sum).
//
// Every function computes y[i * ldy + r] = dot(weight row r, activation row i) for weight rows
// r0 <= r < r1 and activation rows 0 <= i < n. The weight row pointer stays fixed while the inner
// loop walks a tile of activation rows, so a row is read from memory once per tile.

import { dot16, f16ToF32, sumF32x4 } from './simd';

/** Returns the high nibble of each byte with an i16 shift and a byte mask, because x86 has no byte shift. */
@inline function highNibbles(bytes: v128): v128 {
  return v128.and(i16x8.shr_u(bytes, 4), i8x16.splat(0x0f));
}

@inline function activationScale(xs: usize, block: i32): f32 {
  return load<f32>(xs + (<usize>block << 3));
}

@inline function activationSum(xs: usize, block: i32): f32 {
  return <f32>load<i32>(xs + (<usize>block << 3), 4);
}

/** Q8_0 row (34-byte blocks: f16 scale, 32 int8) times one quantized activation row. */
@inline function dotQ8_0(w: usize, xq: usize, xs: usize, blocks: i32): f32 {
  let acc = f32x4.splat(0);
  for (let b = 0; b < blocks; b++) {
    const wb = w + <usize>b * 34;
    const a = xq + (<usize>b << 5);
    const sum = i32x4.add(dot16(v128.load(wb + 2), a), dot16(v128.load(wb + 18), a + 16));
    const scale = f16ToF32(load<u16>(wb)) * activationScale(xs, b);
    acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sum), f32x4.splat(scale)));
  }
  return sumF32x4(acc);
}

/** Q4_0 row (18-byte blocks: f16 scale, 16 bytes of nibbles, value j low and j + 16 high) times one activation row. */
@inline function dotQ4_0(w: usize, xq: usize, xs: usize, blocks: i32): f32 {
  let acc = f32x4.splat(0);
  const lowMask = i8x16.splat(0x0f);
  const eight = i8x16.splat(8);
  for (let b = 0; b < blocks; b++) {
    const wb = w + <usize>b * 18;
    const a = xq + (<usize>b << 5);
    const raw = v128.load(wb + 2);
    const low = i8x16.sub(v128.and(raw, lowMask), eight);
    const high = i8x16.sub(highNibbles(raw), eight);
    const sum = i32x4.add(dot16(low, a), dot16(high, a + 16));
    const scale = f16ToF32(load<u16>(wb)) * activationScale(xs, b);
    acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sum), f32x4.splat(scale)));
  }
  return sumF32x4(acc);
}

@inline function blockQ8_0(wb: usize, x0: v128, x1: v128, x2: v128, x3: v128, xScale: f32): v128 {
  const sum = i32x4.add(
    i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(wb, 2), x0), i32x4.dot_i16x8_s(v128.load8x8_s(wb, 10), x1)),
    i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(wb, 18), x2), i32x4.dot_i16x8_s(v128.load8x8_s(wb, 26), x3)),
  );
  return f32x4.mul(f32x4.convert_i32x4_s(sum), f32x4.splat(f16ToF32(load<u16>(wb)) * xScale));
}

@inline function blockQ4_0(wb: usize, x0: v128, x1: v128, x2: v128, x3: v128, xScale: f32): v128 {
  const raw = v128.load(wb, 2);
  const low = i8x16.sub(v128.and(raw, i8x16.splat(0x0f)), i8x16.splat(8));
  const high = i8x16.sub(highNibbles(raw), i8x16.splat(8));
  const sum = i32x4.add(
    i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(low), x0), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(low), x1)),
    i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(high), x2), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(high), x3)),
  );
  return f32x4.mul(f32x4.convert_i32x4_s(sum), f32x4.splat(f16ToF32(load<u16>(wb)) * xScale));
}

/**
 * Four consecutive weight rows (Q8_0 when q4 == 0, else Q4_0) times one activation row, written
 * to y, y + 4, y + 8 and y + 12. The activation block is loaded and widened once for the four rows.
 */
@inline function dot4Rows(q4: bool, w: usize, rowBytes: usize, xq: usize, xs: usize, blocks: i32, y: usize): void {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  const blockBytes: usize = q4 ? 18 : 34;
  for (let b = 0; b < blocks; b++) {
    const a = xq + (<usize>b << 5);
    const x0 = v128.load8x8_s(a);
    const x1 = v128.load8x8_s(a, 8);
    const x2 = v128.load8x8_s(a, 16);
    const x3 = v128.load8x8_s(a, 24);
    const xScale = activationScale(xs, b);
    const wb = w + <usize>b * blockBytes;
    if (q4) {
      acc0 = f32x4.add(acc0, blockQ4_0(wb, x0, x1, x2, x3, xScale));
      acc1 = f32x4.add(acc1, blockQ4_0(wb + rowBytes, x0, x1, x2, x3, xScale));
      acc2 = f32x4.add(acc2, blockQ4_0(wb + 2 * rowBytes, x0, x1, x2, x3, xScale));
      acc3 = f32x4.add(acc3, blockQ4_0(wb + 3 * rowBytes, x0, x1, x2, x3, xScale));
    } else {
      acc0 = f32x4.add(acc0, blockQ8_0(wb, x0, x1, x2, x3, xScale));
      acc1 = f32x4.add(acc1, blockQ8_0(wb + rowBytes, x0, x1, x2, x3, xScale));
      acc2 = f32x4.add(acc2, blockQ8_0(wb + 2 * rowBytes, x0, x1, x2, x3, xScale));
      acc3 = f32x4.add(acc3, blockQ8_0(wb + 3 * rowBytes, x0, x1, x2, x3, xScale));
    }
  }
  store<f32>(y, sumF32x4(acc0));
  store<f32>(y, sumF32x4(acc1), 4);
  store<f32>(y, sumF32x4(acc2), 8);
  store<f32>(y, sumF32x4(acc3), 12);
}

/**
 * Q4_K row (144-byte super-blocks of 256) times one activation row. Value = d * scale_j * q - dmin * min_j
 * for sub-block j of 32, so the dot is d * scale_j * Σ q·a minus dmin * min_j * Σ a, and Σ a per
 * block of 32 was stored by quantizeRows.
 *
 * The 12 scale bytes are read as three u32 words w0, w1, w2. Scales 0..3 and mins 0..3 are the
 * low 6 bits of w0's and w1's bytes. Scales 4..7 take their low 4 bits from w2's low nibbles and
 * their top 2 bits from the top bits of w0's bytes. Mins 4..7 do the same with w2's high nibbles and w1.
 */
@inline function dotQ4_K(w: usize, xq: usize, xs: usize, superBlocks: i32): f32 {
  let acc = f32x4.splat(0);
  let minTotal: f32 = 0;
  const lowMask = i8x16.splat(0x0f);
  for (let sb = 0; sb < superBlocks; sb++) {
    const wb = w + <usize>sb * 144;
    const d = f16ToF32(load<u16>(wb));
    const dmin = f16ToF32(load<u16>(wb, 2));
    const w0 = load<u32>(wb, 4);
    const w1 = load<u32>(wb, 8);
    const w2 = load<u32>(wb, 12);
    const scalesLow = w0 & 0x3f3f3f3f;
    const minsLow = w1 & 0x3f3f3f3f;
    const scalesHigh = (w2 & 0x0f0f0f0f) | ((w0 >> 2) & 0x30303030);
    const minsHigh = ((w2 >> 4) & 0x0f0f0f0f) | ((w1 >> 2) & 0x30303030);
    const quants = wb + 16;
    const block0 = sb << 3;
    for (let g = 0; g < 4; g++) {
      // Sub-blocks 2g and 2g + 1: bytes g*2 and g*2+1 of the packed scale words.
      const shiftLow = (<u32>(g & 1) << 4);
      const packedScales = g < 2 ? scalesLow : scalesHigh;
      const packedMins = g < 2 ? minsLow : minsHigh;
      const scaleLow = <f32>((packedScales >> shiftLow) & 0xff);
      const scaleHigh = <f32>((packedScales >> (shiftLow + 8)) & 0xff);
      const minLow = <f32>((packedMins >> shiftLow) & 0xff);
      const minHigh = <f32>((packedMins >> (shiftLow + 8)) & 0xff);

      const raw0 = v128.load(quants + (<usize>g << 5));
      const raw1 = v128.load(quants + (<usize>g << 5), 16);
      const blockLow = block0 + (g << 1);
      const aLow = xq + (<usize>blockLow << 5);
      const sumLow = i32x4.add(dot16(v128.and(raw0, lowMask), aLow), dot16(v128.and(raw1, lowMask), aLow + 16));
      const sumHigh = i32x4.add(dot16(highNibbles(raw0), aLow + 32), dot16(highNibbles(raw1), aLow + 48));
      const xScaleLow = activationScale(xs, blockLow);
      const xScaleHigh = activationScale(xs, blockLow + 1);
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sumLow), f32x4.splat(d * scaleLow * xScaleLow)));
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sumHigh), f32x4.splat(d * scaleHigh * xScaleHigh)));
      minTotal += dmin * (minLow * xScaleLow * activationSum(xs, blockLow) + minHigh * xScaleHigh * activationSum(xs, blockLow + 1));
    }
  }
  return sumF32x4(acc) - minTotal;
}

/**
 * Decodes 16 Q6_K values: 4 low bits from `low` at bit `lowShift` (0 or 4), 2 high bits from `high`
 * at bit `highShift` (0, 2, 4 or 6), minus 32. The shifts run on i16 lanes (x86 has no byte shifts,
 * so i8x16 shifts cost several instructions), and the masks drop the bits that cross into the
 * neighbouring byte.
 */
@inline function q6kDecode(low: v128, high: v128, lowShift: i32, highShift: i32): v128 {
  const lowBits = v128.and(lowShift == 0 ? low : i16x8.shr_u(low, lowShift), i8x16.splat(0x0f));
  const moved = highShift <= 4 ? i16x8.shl(high, 4 - highShift) : i16x8.shr_u(high, highShift - 4);
  return i8x16.sub(v128.or(lowBits, v128.and(moved, i8x16.splat(0x30))), i8x16.splat(32));
}

@inline function q6kBlock(q0: v128, q1: v128, a: usize, scale0: i32, scale1: i32): v128 {
  return i32x4.add(i32x4.mul(dot16(q0, a), i32x4.splat(scale0)), i32x4.mul(dot16(q1, a + 16), i32x4.splat(scale1)));
}

/**
 * Q6_K row (210-byte super-blocks: 128 bytes ql, 64 bytes qh, 16 int8 scales, f16 d) times one
 * activation row. Each half of 128 values has four quarters of 32, and each quarter matches one
 * activation block. The two runs of 16 values in a quarter have their own int8 scales.
 */
@inline function dotQ6_K(w: usize, xq: usize, xs: usize, superBlocks: i32): f32 {
  let acc = f32x4.splat(0);
  for (let sb = 0; sb < superBlocks; sb++) {
    const wb = w + <usize>sb * 210;
    const d = f16ToF32(load<u16>(wb, 208));
    for (let half = 0; half < 2; half++) {
      const ql = wb + (<usize>half << 6);
      const qh = wb + 128 + (<usize>half << 5);
      const sc = wb + 192 + (<usize>half << 3);
      const block = (sb << 3) + (half << 2);
      const a = xq + (<usize>block << 5);
      const l0a = v128.load(ql);
      const l0b = v128.load(ql, 16);
      const l1a = v128.load(ql, 32);
      const l1b = v128.load(ql, 48);
      const ha = v128.load(qh);
      const hb = v128.load(qh, 16);

      const s0 = q6kBlock(q6kDecode(l0a, ha, 0, 0), q6kDecode(l0b, hb, 0, 0), a, load<i8>(sc), load<i8>(sc, 1));
      const s1 = q6kBlock(q6kDecode(l1a, ha, 0, 2), q6kDecode(l1b, hb, 0, 2), a + 32, load<i8>(sc, 2), load<i8>(sc, 3));
      const s2 = q6kBlock(q6kDecode(l0a, ha, 4, 4), q6kDecode(l0b, hb, 4, 4), a + 64, load<i8>(sc, 4), load<i8>(sc, 5));
      const s3 = q6kBlock(q6kDecode(l1a, ha, 4, 6), q6kDecode(l1b, hb, 4, 6), a + 96, load<i8>(sc, 6), load<i8>(sc, 7));
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(s0), f32x4.splat(d * activationScale(xs, block))));
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(s1), f32x4.splat(d * activationScale(xs, block + 1))));
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(s2), f32x4.splat(d * activationScale(xs, block + 2))));
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(s3), f32x4.splat(d * activationScale(xs, block + 3))));
    }
  }
  return sumF32x4(acc);
}

@inline function dotWidened(q: v128, x0: v128, x1: v128): v128 {
  return i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(q), x0), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(q), x1));
}

/** Byte j (0..7) of a pair of packed u32 words: bytes 0..3 of `low`, then bytes 0..3 of `high`. */
@inline function packedByte(low: u32, high: u32, j: i32): f32 {
  return <f32>(((j < 4 ? low : high) >> ((<u32>j & 3) << 3)) & 0xff);
}

/** Integer dot of Q4_K sub-block j (32 nibbles) with one widened activation block. */
@inline function q4kSubBlock(quants: usize, j: i32, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const at = quants + (<usize>(j >> 1) << 5);
  const raw0 = v128.load(at);
  const raw1 = v128.load(at, 16);
  const lowMask = i8x16.splat(0x0f);
  const q0 = (j & 1) != 0 ? highNibbles(raw0) : v128.and(raw0, lowMask);
  const q1 = (j & 1) != 0 ? highNibbles(raw1) : v128.and(raw1, lowMask);
  return i32x4.add(dotWidened(q0, x0, x1), dotWidened(q1, x2, x3));
}

/** Decoded header of one Q4_K super-block: scales d and dmin and the 6-bit scales and mins packed four per word. */
@unmanaged class Q4kHeader {
  d: f32 = 0;
  dmin: f32 = 0;
  scalesLow: u32 = 0;
  scalesHigh: u32 = 0;
  minsLow: u32 = 0;
  minsHigh: u32 = 0;
}

@inline function readQ4kHeader(header: Q4kHeader, wb: usize): void {
  const w0 = load<u32>(wb, 4);
  const w1 = load<u32>(wb, 8);
  const w2 = load<u32>(wb, 12);
  header.d = f16ToF32(load<u16>(wb));
  header.dmin = f16ToF32(load<u16>(wb, 2));
  header.scalesLow = w0 & 0x3f3f3f3f;
  header.minsLow = w1 & 0x3f3f3f3f;
  header.scalesHigh = (w2 & 0x0f0f0f0f) | ((w0 >> 2) & 0x30303030);
  header.minsHigh = ((w2 >> 4) & 0x0f0f0f0f) | ((w1 >> 2) & 0x30303030);
}

/**
 * Four Q4_K weight rows times one activation row, written to y .. y + 12. Super-block s of row k
 * starts at w + s * superBlockStride + k * rowStride, which covers the plain layout (rowBytes, 144)
 * and the rows4 layout (144, 576). Each activation block of 32 is widened once for the four rows.
 * `headers` points to scratch memory of the calling thread for four Q4kHeader records.
 */
@inline function dot4RowsQ4_K(w: usize, rowStride: usize, superBlockStride: usize, xq: usize, xs: usize, superBlocks: i32, y: usize, headers: usize): void {
  const h0 = changetype<Q4kHeader>(headers);
  const h1 = changetype<Q4kHeader>(headers + offsetof<Q4kHeader>());
  const h2 = changetype<Q4kHeader>(headers + 2 * offsetof<Q4kHeader>());
  const h3 = changetype<Q4kHeader>(headers + 3 * offsetof<Q4kHeader>());
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  let min0: f32 = 0;
  let min1: f32 = 0;
  let min2: f32 = 0;
  let min3: f32 = 0;
  for (let sb = 0; sb < superBlocks; sb++) {
    const wb = w + <usize>sb * superBlockStride;
    readQ4kHeader(h0, wb);
    readQ4kHeader(h1, wb + rowStride);
    readQ4kHeader(h2, wb + 2 * rowStride);
    readQ4kHeader(h3, wb + 3 * rowStride);
    for (let j = 0; j < 8; j++) {
      const block = (sb << 3) + j;
      const a = xq + (<usize>block << 5);
      const x0 = v128.load8x8_s(a);
      const x1 = v128.load8x8_s(a, 8);
      const x2 = v128.load8x8_s(a, 16);
      const x3 = v128.load8x8_s(a, 24);
      const xScale = activationScale(xs, block);
      const xMin = xScale * activationSum(xs, block);
      const quants = wb + 16;
      acc0 = f32x4.add(acc0, f32x4.mul(f32x4.convert_i32x4_s(q4kSubBlock(quants, j, x0, x1, x2, x3)), f32x4.splat(h0.d * packedByte(h0.scalesLow, h0.scalesHigh, j) * xScale)));
      acc1 = f32x4.add(acc1, f32x4.mul(f32x4.convert_i32x4_s(q4kSubBlock(quants + rowStride, j, x0, x1, x2, x3)), f32x4.splat(h1.d * packedByte(h1.scalesLow, h1.scalesHigh, j) * xScale)));
      acc2 = f32x4.add(acc2, f32x4.mul(f32x4.convert_i32x4_s(q4kSubBlock(quants + 2 * rowStride, j, x0, x1, x2, x3)), f32x4.splat(h2.d * packedByte(h2.scalesLow, h2.scalesHigh, j) * xScale)));
      acc3 = f32x4.add(acc3, f32x4.mul(f32x4.convert_i32x4_s(q4kSubBlock(quants + 3 * rowStride, j, x0, x1, x2, x3)), f32x4.splat(h3.d * packedByte(h3.scalesLow, h3.scalesHigh, j) * xScale)));
      min0 += h0.dmin * packedByte(h0.minsLow, h0.minsHigh, j) * xMin;
      min1 += h1.dmin * packedByte(h1.minsLow, h1.minsHigh, j) * xMin;
      min2 += h2.dmin * packedByte(h2.minsLow, h2.minsHigh, j) * xMin;
      min3 += h3.dmin * packedByte(h3.minsLow, h3.minsHigh, j) * xMin;
    }
  }
  store<f32>(y, sumF32x4(acc0) - min0);
  store<f32>(y, sumF32x4(acc1) - min1, 4);
  store<f32>(y, sumF32x4(acc2) - min2, 8);
  store<f32>(y, sumF32x4(acc3) - min3, 12);
}

/**
 * Activation rows per tile: each weight row is applied to a tile of rows while it sits in L1, and
 * the tile (16 rows of a 4096-wide layer: 64 KiB as int8, 256 KiB as f32) stays in L2.
 */
const ROW_TILE = 16;

/** The matmul of Q8_0 (q4 false) or Q4_0 (q4 true, a constant at every call) on plain rows: four rows at a time, then single rows. */
@inline function matmulBlocks32(q4: bool, y: usize, ldy: i32, w: usize, rowBytes: i32, xq: usize, xs: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  const blocks = cols >> 5;
  for (let i0 = 0; i0 < n; i0 += ROW_TILE) {
    const i1 = min(n, i0 + ROW_TILE);
    let r = r0;
    for (; r + 4 <= r1; r += 4) {
      const row = w + <usize>r * rowBytes;
      for (let i = i0; i < i1; i++) {
        dot4Rows(q4, row, rowBytes, xq + <usize>i * cols, xs + (<usize>(i * blocks) << 3), blocks, y + ((<usize>i * ldy + r) << 2));
      }
    }
    for (; r < r1; r++) {
      const row = w + <usize>r * rowBytes;
      for (let i = i0; i < i1; i++) {
        const a = xq + <usize>i * cols;
        const scales = xs + (<usize>(i * blocks) << 3);
        const value = q4 ? dotQ4_0(row, a, scales, blocks) : dotQ8_0(row, a, scales, blocks);
        store<f32>(y + ((<usize>i * ldy + r) << 2), value);
      }
    }
  }
}

export function matmulQ8_0(y: usize, ldy: i32, w: usize, rowBytes: i32, xq: usize, xs: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  matmulBlocks32(false, y, ldy, w, rowBytes, xq, xs, n, cols, r0, r1);
}

export function matmulQ4_0(y: usize, ldy: i32, w: usize, rowBytes: i32, xq: usize, xs: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  matmulBlocks32(true, y, ldy, w, rowBytes, xq, xs, n, cols, r0, r1);
}

export function matmulQ4_K(y: usize, ldy: i32, w: usize, rowBytes: i32, xq: usize, xs: usize, n: i32, cols: i32, r0: i32, r1: i32, scratch: usize): void {
  const blocks = cols >> 5;
  for (let i0 = 0; i0 < n; i0 += ROW_TILE) {
    const i1 = min(n, i0 + ROW_TILE);
    let r = r0;
    for (; r + 4 <= r1; r += 4) {
      const row = w + <usize>r * rowBytes;
      for (let i = i0; i < i1; i++) {
        dot4RowsQ4_K(row, rowBytes, 144, xq + <usize>i * cols, xs + (<usize>(i * blocks) << 3), cols >> 8, y + ((<usize>i * ldy + r) << 2), scratch);
      }
    }
    for (; r < r1; r++) {
      const row = w + <usize>r * rowBytes;
      for (let i = i0; i < i1; i++) {
        const value = dotQ4_K(row, xq + <usize>i * cols, xs + (<usize>(i * blocks) << 3), cols >> 8);
        store<f32>(y + ((<usize>i * ldy + r) << 2), value);
      }
    }
  }
}

export function matmulQ6_K(y: usize, ldy: i32, w: usize, rowBytes: i32, xq: usize, xs: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  // NOTE: a four-row variant sharing the activation loads measured slower here (3.1 against 4.0 GB/s per CPU second).
  const blocks = cols >> 5;
  for (let i0 = 0; i0 < n; i0 += ROW_TILE) {
    const i1 = min(n, i0 + ROW_TILE);
    for (let r = r0; r < r1; r++) {
      const row = w + <usize>r * rowBytes;
      for (let i = i0; i < i1; i++) {
        const value = dotQ6_K(row, xq + <usize>i * cols, xs + (<usize>(i * blocks) << 3), cols >> 8);
        store<f32>(y + ((<usize>i * ldy + r) << 2), value);
      }
    }
  }
}
