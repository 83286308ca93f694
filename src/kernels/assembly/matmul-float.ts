// Matrix products with F32, F16 and BF16 weights against f32 activations (row stride `cols`).
// Same contract as the quantized ones: y[i * ldy + r] for weight rows r0..r1-1 and activation rows 0..n-1.

import { f16ToF32, f16x4ToF32x4, laneSumsF32x4, sumF32x4 } from './simd';

@inline function dotF32(w: usize, x: usize, cols: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let c = 0;
  for (; c + 8 <= cols; c += 8) {
    const offset = <usize>c << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(w + offset), v128.load(x + offset)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(w + offset, 16), v128.load(x + offset, 16)));
  }
  let total = sumF32x4(f32x4.add(acc0, acc1));
  for (; c < cols; c++) total += load<f32>(w + (<usize>c << 2)) * load<f32>(x + (<usize>c << 2));
  return total;
}

@inline function dotF16(w: usize, x: usize, cols: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let c = 0;
  for (; c + 8 <= cols; c += 8) {
    const halves = v128.load(w + (<usize>c << 1));
    const xAt = x + (<usize>c << 2);
    acc0 = f32x4.add(acc0, f32x4.mul(f16x4ToF32x4(i32x4.extend_low_i16x8_s(halves)), v128.load(xAt)));
    acc1 = f32x4.add(acc1, f32x4.mul(f16x4ToF32x4(i32x4.extend_high_i16x8_s(halves)), v128.load(xAt, 16)));
  }
  let total = sumF32x4(f32x4.add(acc0, acc1));
  for (; c < cols; c++) total += f16ToF32(load<u16>(w + (<usize>c << 1))) * load<f32>(x + (<usize>c << 2));
  return total;
}

@inline function dotBF16(w: usize, x: usize, cols: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let c = 0;
  for (; c + 8 <= cols; c += 8) {
    const wAt = w + (<usize>c << 1);
    const xAt = x + (<usize>c << 2);
    acc0 = f32x4.add(acc0, f32x4.mul(i32x4.shl(v128.load16x4_u(wAt), 16), v128.load(xAt)));
    acc1 = f32x4.add(acc1, f32x4.mul(i32x4.shl(v128.load16x4_u(wAt, 8), 16), v128.load(xAt, 16)));
  }
  let total = sumF32x4(f32x4.add(acc0, acc1));
  for (; c < cols; c++) total += reinterpret<f32>(<u32>load<u16>(w + (<usize>c << 1)) << 16) * load<f32>(x + (<usize>c << 2));
  return total;
}

/** Four weights of kind 0 (F32), 1 (F16) or 2 (BF16) starting at column c, as f32x4. */
@inline function loadWeights(kind: i32, w: usize, c: i32): v128 {
  if (kind == 0) return v128.load(w + (<usize>c << 2));
  if (kind == 1) return f16x4ToF32x4(v128.load16x4_s(w + (<usize>c << 1)));
  return i32x4.shl(v128.load16x4_u(w + (<usize>c << 1)), 16);
}

@inline function loadWeight(kind: i32, w: usize, c: i32): f32 {
  if (kind == 0) return load<f32>(w + (<usize>c << 2));
  if (kind == 1) return f16ToF32(load<u16>(w + (<usize>c << 1)));
  return reinterpret<f32>(<u32>load<u16>(w + (<usize>c << 1)) << 16);
}

/**
 * One weight row times four activation rows (x, x + stride, ...), written to y, y + ldyBytes, ...
 * Each group of four weights is loaded and converted once for the four rows, which matters most
 * for F16 and BF16 in prefill.
 */
@inline function dot1x4(kind: i32, w: usize, x: usize, stride: usize, cols: i32, y: usize, ldyBytes: usize): void {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= cols; c += 4) {
    const weights = loadWeights(kind, w, c);
    const at = x + (<usize>c << 2);
    acc0 = f32x4.add(acc0, f32x4.mul(weights, v128.load(at)));
    acc1 = f32x4.add(acc1, f32x4.mul(weights, v128.load(at + stride)));
    acc2 = f32x4.add(acc2, f32x4.mul(weights, v128.load(at + 2 * stride)));
    acc3 = f32x4.add(acc3, f32x4.mul(weights, v128.load(at + 3 * stride)));
  }
  let sum0 = sumF32x4(acc0);
  let sum1 = sumF32x4(acc1);
  let sum2 = sumF32x4(acc2);
  let sum3 = sumF32x4(acc3);
  for (; c < cols; c++) {
    const weight = loadWeight(kind, w, c);
    const at = x + (<usize>c << 2);
    sum0 += weight * load<f32>(at);
    sum1 += weight * load<f32>(at + stride);
    sum2 += weight * load<f32>(at + 2 * stride);
    sum3 += weight * load<f32>(at + 3 * stride);
  }
  store<f32>(y, sum0);
  store<f32>(y + ldyBytes, sum1);
  store<f32>(y + 2 * ldyBytes, sum2);
  store<f32>(y + 3 * ldyBytes, sum3);
}

/**
 * Activation rows per tile: each weight row is applied to a tile of rows while it sits in L1, and
 * the tile (16 rows of a 4096-wide layer: 256 KiB as f32) stays in L2.
 */
const ROW_TILE = 16;

/** Returns one weight row of kind 0 (F32), 1 (F16) or 2 (BF16) times one activation row. */
@inline function dotFloat(kind: i32, w: usize, x: usize, cols: i32): f32 {
  if (kind == 0) return dotF32(w, x, cols);
  if (kind == 1) return dotF16(w, x, cols);
  return dotBF16(w, x, cols);
}

/** The matmul of the float kinds (0 F32, 1 F16, 2 BF16; a constant at every call) on plain rows. */
@inline function matmulFloat(kind: i32, y: usize, ldy: i32, w: usize, x: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  const stride = <usize>cols << 2;
  const ldyBytes = <usize>ldy << 2;
  const rowBytes = <usize>cols << (kind == 0 ? 2 : 1);
  for (let i0 = 0; i0 < n; i0 += ROW_TILE) {
    const i1 = min(n, i0 + ROW_TILE);
    for (let r = r0; r < r1; r++) {
      const row = w + <usize>r * rowBytes;
      let i = i0;
      for (; i + 4 <= i1; i += 4) dot1x4(kind, row, x + <usize>i * stride, stride, cols, y + ((<usize>i * ldy + r) << 2), ldyBytes);
      for (; i < i1; i++) store<f32>(y + ((<usize>i * ldy + r) << 2), dotFloat(kind, row, x + <usize>i * stride, cols));
    }
  }
}

export function matmulF32(y: usize, ldy: i32, w: usize, x: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  matmulFloat(0, y, ldy, w, x, n, cols, r0, r1);
}

export function matmulF16(y: usize, ldy: i32, w: usize, x: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  matmulFloat(1, y, ldy, w, x, n, cols, r0, r1);
}

export function matmulBF16(y: usize, ldy: i32, w: usize, x: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  matmulFloat(2, y, ldy, w, x, n, cols, r0, r1);
}

// F16 weights in the rows4 layout (rows4.ts): values 8c..8c+7 of the four rows of a group lie
// side by side, 16 bytes per row, at group start + 64 * c.

/** Four interleaved F16 rows times one activation row at x; returns the four dot products. */
@inline function dot4RowsF16(group: usize, x: usize, cols: i32): v128 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  for (let c = 0; c < cols; c += 8) {
    const xLow = v128.load(x + (<usize>c << 2));
    const xHigh = v128.load(x + (<usize>c << 2), 16);
    const at = group + (<usize>c << 3);
    const h0 = v128.load(at);
    const h1 = v128.load(at, 16);
    const h2 = v128.load(at, 32);
    const h3 = v128.load(at, 48);
    acc0 = f32x4.add(acc0, f32x4.add(f32x4.mul(f16x4ToF32x4(i32x4.extend_low_i16x8_s(h0)), xLow), f32x4.mul(f16x4ToF32x4(i32x4.extend_high_i16x8_s(h0)), xHigh)));
    acc1 = f32x4.add(acc1, f32x4.add(f32x4.mul(f16x4ToF32x4(i32x4.extend_low_i16x8_s(h1)), xLow), f32x4.mul(f16x4ToF32x4(i32x4.extend_high_i16x8_s(h1)), xHigh)));
    acc2 = f32x4.add(acc2, f32x4.add(f32x4.mul(f16x4ToF32x4(i32x4.extend_low_i16x8_s(h2)), xLow), f32x4.mul(f16x4ToF32x4(i32x4.extend_high_i16x8_s(h2)), xHigh)));
    acc3 = f32x4.add(acc3, f32x4.add(f32x4.mul(f16x4ToF32x4(i32x4.extend_low_i16x8_s(h3)), xLow), f32x4.mul(f16x4ToF32x4(i32x4.extend_high_i16x8_s(h3)), xHigh)));
  }
  return laneSumsF32x4(acc0, acc1, acc2, acc3);
}

/** Values per row converted to f32 at a time in the prefill path: four rows of them fill the 4 KiB thread scratch. */
const CHUNK = 256;

/** Converts values c0..c0+count-1 (count a multiple of 8) of the four rows of an interleaved F16 group to f32: row k's at out + 4 * CHUNK * k. */
@inline function convertChunk(group: usize, c0: i32, count: i32, out: usize): void {
  for (let c = 0; c < count; c += 8) {
    const at = group + (<usize>(c0 + c) << 3);
    const to = out + (<usize>c << 2);
    for (let k = 0; k < 4; k++) {
      const halves = v128.load(at + (<usize>k << 4));
      const row = to + <usize>k * (CHUNK << 2);
      v128.store(row, f16x4ToF32x4(i32x4.extend_low_i16x8_s(halves)));
      v128.store(row, f16x4ToF32x4(i32x4.extend_high_i16x8_s(halves)), 16);
    }
  }
}

/**
 * Multiplies four converted weight rows (f32 at w, rows 4 * CHUNK bytes apart) by `count` values
 * of the activation rows at xa and xb. Adds the two results (four outputs each) to ya and yb, or
 * stores them when `first`. Each weight load serves two activation rows, and each activation load
 * serves four weight rows.
 */
@inline function chunk4x2(w: usize, xa: usize, xb: usize, count: i32, ya: usize, yb: usize, first: bool): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0);
  let b1 = f32x4.splat(0);
  let b2 = f32x4.splat(0);
  let b3 = f32x4.splat(0);
  const rowBytes = <usize>CHUNK << 2;
  for (let c = 0; c < count; c += 4) {
    const at = <usize>c << 2;
    const va = v128.load(xa + at);
    const vb = v128.load(xb + at);
    const w0 = v128.load(w + at);
    a0 = f32x4.add(a0, f32x4.mul(w0, va));
    b0 = f32x4.add(b0, f32x4.mul(w0, vb));
    const w1 = v128.load(w + rowBytes + at);
    a1 = f32x4.add(a1, f32x4.mul(w1, va));
    b1 = f32x4.add(b1, f32x4.mul(w1, vb));
    const w2 = v128.load(w + 2 * rowBytes + at);
    a2 = f32x4.add(a2, f32x4.mul(w2, va));
    b2 = f32x4.add(b2, f32x4.mul(w2, vb));
    const w3 = v128.load(w + 3 * rowBytes + at);
    a3 = f32x4.add(a3, f32x4.mul(w3, va));
    b3 = f32x4.add(b3, f32x4.mul(w3, vb));
  }
  const sumsA = laneSumsF32x4(a0, a1, a2, a3);
  const sumsB = laneSumsF32x4(b0, b1, b2, b3);
  v128.store(ya, first ? sumsA : f32x4.add(sumsA, v128.load(ya)));
  v128.store(yb, first ? sumsB : f32x4.add(sumsB, v128.load(yb)));
}

/**
 * matmulF16 for weights in the rows4 layout; r0 and r1 are multiples of 4 and cols of 8. In
 * prefill, pairs of activation rows use the four rows of a group converted to f32 in chunks in
 * `scratch` (4 KiB per thread). A single activation row (decode, or an odd last one) reads the
 * interleaved F16 stream directly.
 */
export function matmulF16Rows4(y: usize, ldy: i32, w: usize, x: usize, n: i32, cols: i32, r0: i32, r1: i32, scratch: usize): void {
  const stride = <usize>cols << 2;
  const groupBytes = <usize>cols << 3;
  for (let i0 = 0; i0 < n; i0 += ROW_TILE) {
    const i1 = min(n, i0 + ROW_TILE);
    for (let r = r0; r < r1; r += 4) {
      const group = w + <usize>(r >> 2) * groupBytes;
      const pairsEnd = i0 + ((i1 - i0) & ~1);
      if (pairsEnd > i0) {
        // Prefill: each chunk of the four rows is converted once for the whole tile.
        for (let c0 = 0; c0 < cols; c0 += CHUNK) {
          const count = min(CHUNK, cols - c0);
          convertChunk(group, c0, count, scratch);
          for (let i = i0; i < pairsEnd; i += 2) {
            const xa = x + <usize>i * stride + (<usize>c0 << 2);
            const ya = y + ((<usize>i * ldy + r) << 2);
            chunk4x2(scratch, xa, xa + stride, count, ya, ya + (<usize>ldy << 2), c0 == 0);
          }
        }
      }
      for (let i = pairsEnd; i < i1; i++) v128.store(y + ((<usize>i * ldy + r) << 2), dot4RowsF16(group, x + <usize>i * stride, cols));
    }
  }
}
