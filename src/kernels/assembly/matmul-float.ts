// Matrix products with F32, F16 and BF16 weights against f32 activations (row stride `cols`).
// Same contract as the quantized ones: y[i * ldy + r] for weight rows r0..r1-1 and activation rows 0..n-1.

import { f16ToF32, f16x4ToF32x4, sumF32x4 } from './simd';

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

/**
 * Activation rows per tile: each weight row is applied to a tile of rows while it sits in L1, and
 * the tile (16 rows of a 4096-wide layer: 64 KiB as int8, 256 KiB as f32) stays in L2.
 */
const ROW_TILE = 16;

export function matmulF32(y: usize, ldy: i32, w: usize, x: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  for (let i0 = 0; i0 < n; i0 += ROW_TILE) {
    const i1 = min(n, i0 + ROW_TILE);
    for (let r = r0; r < r1; r++) {
      const row = w + ((<usize>r * cols) << 2);
      for (let i = i0; i < i1; i++) {
        store<f32>(y + ((<usize>i * ldy + r) << 2), dotF32(row, x + ((<usize>i * cols) << 2), cols));
      }
    }
  }
}

export function matmulF16(y: usize, ldy: i32, w: usize, x: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  for (let i0 = 0; i0 < n; i0 += ROW_TILE) {
    const i1 = min(n, i0 + ROW_TILE);
    for (let r = r0; r < r1; r++) {
      const row = w + ((<usize>r * cols) << 1);
      for (let i = i0; i < i1; i++) {
        store<f32>(y + ((<usize>i * ldy + r) << 2), dotF16(row, x + ((<usize>i * cols) << 2), cols));
      }
    }
  }
}

export function matmulBF16(y: usize, ldy: i32, w: usize, x: usize, n: i32, cols: i32, r0: i32, r1: i32): void {
  for (let i0 = 0; i0 < n; i0 += ROW_TILE) {
    const i1 = min(n, i0 + ROW_TILE);
    for (let r = r0; r < r1; r++) {
      const row = w + ((<usize>r * cols) << 1);
      for (let i = i0; i < i1; i++) {
        store<f32>(y + ((<usize>i * ldy + r) << 2), dotBF16(row, x + ((<usize>i * cols) << 2), cols));
      }
    }
  }
}
