// Matrix products with quantized weights applied directly on ggml blocks, against activations
// quantized by quantizeRows (int8 blocks of 32 with an f32 scale and the block's int8 sum).
//
// Every function computes y[i * ldy + r] = dot(weight row r, activation row i) for weight rows
// r0 <= r < r1 and activation rows 0 <= i < n. The weight row pointer stays fixed while the inner
// loop walks the activation rows, so a row is read from memory once and then from cache.

import { dot16, f16ToF32, sumF32x4 } from './simd';

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
    const high = i8x16.sub(i8x16.shr_u(raw, 4), eight);
    const sum = i32x4.add(dot16(low, a), dot16(high, a + 16));
    const scale = f16ToF32(load<u16>(wb)) * activationScale(xs, b);
    acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sum), f32x4.splat(scale)));
  }
  return sumF32x4(acc);
}

@inline function q4kScale(scales: usize, j: i32): u32 {
  if (j < 4) return load<u8>(scales + j) & 63;
  return (load<u8>(scales + j + 4) & 0x0f) | ((load<u8>(scales + j - 4) >> 6) << 4);
}

@inline function q4kMin(scales: usize, j: i32): u32 {
  if (j < 4) return load<u8>(scales + j + 4) & 63;
  return (load<u8>(scales + j + 4) >> 4) | ((load<u8>(scales + j) >> 6) << 4);
}

/**
 * Q4_K row (144-byte super-blocks of 256) times one activation row. Value = d * scale_j * q - dmin * min_j
 * for sub-block j of 32, so the dot is d * scale_j * Σ q·a minus dmin * min_j * Σ a, and Σ a per
 * block of 32 was stored by quantizeRows.
 */
@inline function dotQ4_K(w: usize, xq: usize, xs: usize, superBlocks: i32): f32 {
  let acc = f32x4.splat(0);
  let minTotal: f32 = 0;
  const lowMask = i8x16.splat(0x0f);
  for (let sb = 0; sb < superBlocks; sb++) {
    const wb = w + <usize>sb * 144;
    const d = f16ToF32(load<u16>(wb));
    const dmin = f16ToF32(load<u16>(wb, 2));
    const scales = wb + 4;
    const quants = wb + 16;
    const block0 = sb << 3;
    for (let g = 0; g < 4; g++) {
      const raw0 = v128.load(quants + (<usize>g << 5));
      const raw1 = v128.load(quants + (<usize>g << 5), 16);
      const jLow = g << 1;
      const jHigh = jLow + 1;
      const aLow = xq + (<usize>(block0 + jLow) << 5);
      const aHigh = aLow + 32;
      const sumLow = i32x4.add(dot16(v128.and(raw0, lowMask), aLow), dot16(v128.and(raw1, lowMask), aLow + 16));
      const sumHigh = i32x4.add(dot16(i8x16.shr_u(raw0, 4), aHigh), dot16(i8x16.shr_u(raw1, 4), aHigh + 16));
      const scaleLow = activationScale(xs, block0 + jLow);
      const scaleHigh = activationScale(xs, block0 + jHigh);
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sumLow), f32x4.splat(d * <f32>q4kScale(scales, jLow) * scaleLow)));
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sumHigh), f32x4.splat(d * <f32>q4kScale(scales, jHigh) * scaleHigh)));
      minTotal += dmin * (<f32>q4kMin(scales, jLow) * scaleLow * activationSum(xs, block0 + jLow)
        + <f32>q4kMin(scales, jHigh) * scaleHigh * activationSum(xs, block0 + jHigh));
    }
  }
  return sumF32x4(acc) - minTotal;
}

/** Decodes 16 Q6_K values: 4 low bits from `low` (already shifted down), 2 high bits from `high` at `shift`, minus 32. */
@inline function q6kDecode(low: v128, high: v128, shift: i32): v128 {
  const top = v128.and(i8x16.shr_u(high, shift), i8x16.splat(3));
  return i8x16.sub(v128.or(v128.and(low, i8x16.splat(0x0f)), i8x16.shl(top, 4)), i8x16.splat(32));
}

@inline function q6kBlock(q0: v128, q1: v128, a: usize, scale0: i32, scale1: i32): v128 {
  return i32x4.add(i32x4.mul(dot16(q0, a), i32x4.splat(scale0)), i32x4.mul(dot16(q1, a + 16), i32x4.splat(scale1)));
}

/**
 * Q6_K row (210-byte super-blocks: 128 bytes ql, 64 bytes qh, 16 int8 scales, f16 d) times one
 * activation row. Each half of 128 values has four quarters of 32, one activation block each;
 * a quarter's two runs of 16 values have their own int8 scale.
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

      const s0 = q6kBlock(q6kDecode(l0a, ha, 0), q6kDecode(l0b, hb, 0), a, load<i8>(sc), load<i8>(sc, 1));
      const s1 = q6kBlock(q6kDecode(l1a, ha, 2), q6kDecode(l1b, hb, 2), a + 32, load<i8>(sc, 2), load<i8>(sc, 3));
      const s2 = q6kBlock(q6kDecode(i8x16.shr_u(l0a, 4), ha, 4), q6kDecode(i8x16.shr_u(l0b, 4), hb, 4), a + 64, load<i8>(sc, 4), load<i8>(sc, 5));
      const s3 = q6kBlock(q6kDecode(i8x16.shr_u(l1a, 4), ha, 6), q6kDecode(i8x16.shr_u(l1b, 4), hb, 6), a + 96, load<i8>(sc, 6), load<i8>(sc, 7));
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(s0), f32x4.splat(d * activationScale(xs, block))));
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(s1), f32x4.splat(d * activationScale(xs, block + 1))));
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(s2), f32x4.splat(d * activationScale(xs, block + 2))));
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(s3), f32x4.splat(d * activationScale(xs, block + 3))));
    }
  }
  return sumF32x4(acc);
}

export function matmulQ8_0(y: usize, ldy: i32, w: usize, rowBytes: i32, xq: usize, xs: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  const blocks = cols >> 5;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) {
      const value = dotQ8_0(row, xq + <usize>i * cols, xs + (<usize>(i * blocks) << 3), blocks);
      store<f32>(y + ((<usize>i * ldy + r) << 2), value);
    }
  }
}

export function matmulQ4_0(y: usize, ldy: i32, w: usize, rowBytes: i32, xq: usize, xs: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  const blocks = cols >> 5;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) {
      const value = dotQ4_0(row, xq + <usize>i * cols, xs + (<usize>(i * blocks) << 3), blocks);
      store<f32>(y + ((<usize>i * ldy + r) << 2), value);
    }
  }
}

export function matmulQ4_K(y: usize, ldy: i32, w: usize, rowBytes: i32, xq: usize, xs: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  const blocks = cols >> 5;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) {
      const value = dotQ4_K(row, xq + <usize>i * cols, xs + (<usize>(i * blocks) << 3), cols >> 8);
      store<f32>(y + ((<usize>i * ldy + r) << 2), value);
    }
  }
}

export function matmulQ6_K(y: usize, ldy: i32, w: usize, rowBytes: i32, xq: usize, xs: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  const blocks = cols >> 5;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    for (let i = 0; i < n; i++) {
      const value = dotQ6_K(row, xq + <usize>i * cols, xs + (<usize>(i * blocks) << 3), cols >> 8);
      store<f32>(y + ((<usize>i * ldy + r) << 2), value);
    }
  }
}
