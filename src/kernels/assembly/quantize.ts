// Quantization of f32 activation rows to 8-bit blocks of 32, the form the integer dot products
// of the quantized matmuls read. For row i and block b:
//   values  int8 at q + i * cols + 32 * b (32 bytes)
//   scale   f32 at s + 8 * (i * cols / 32 + b), then the i32 sum of the block's 32 int8 values
// value ≈ scale * int8, with scale = max |x| / 127 over the block.

import { sumI32x4 } from './simd';

/** Quantizes n rows of `cols` f32 values (row stride `cols`) at `x`; `cols` is a multiple of 32. */
export function quantizeRows(x: usize, q: usize, s: usize, n: i32, cols: i32): void {
  const blocks = (n * cols) >> 5;
  for (let b = 0; b < blocks; b++) {
    const src = x + (<usize>b << 7);
    const v0 = v128.load(src, 0);
    const v1 = v128.load(src, 16);
    const v2 = v128.load(src, 32);
    const v3 = v128.load(src, 48);
    const v4 = v128.load(src, 64);
    const v5 = v128.load(src, 80);
    const v6 = v128.load(src, 96);
    const v7 = v128.load(src, 112);
    let amax = f32x4.max(f32x4.max(f32x4.abs(v0), f32x4.abs(v1)), f32x4.max(f32x4.abs(v2), f32x4.abs(v3)));
    amax = f32x4.max(amax, f32x4.max(f32x4.max(f32x4.abs(v4), f32x4.abs(v5)), f32x4.max(f32x4.abs(v6), f32x4.abs(v7))));
    const largest = max<f32>(max<f32>(f32x4.extract_lane(amax, 0), f32x4.extract_lane(amax, 1)), max<f32>(f32x4.extract_lane(amax, 2), f32x4.extract_lane(amax, 3)));
    const scale: f32 = largest / 127;
    const inverse = f32x4.splat(scale != 0 ? 1 / scale : 0);

    const q0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v0, inverse)));
    const q1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v1, inverse)));
    const q2 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v2, inverse)));
    const q3 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v3, inverse)));
    const q4 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v4, inverse)));
    const q5 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v5, inverse)));
    const q6 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v6, inverse)));
    const q7 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v7, inverse)));
    const dst = q + (<usize>b << 5);
    v128.store(dst, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)), 0);
    v128.store(dst, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q4, q5), i16x8.narrow_i32x4_s(q6, q7)), 16);

    const total = i32x4.add(i32x4.add(i32x4.add(q0, q1), i32x4.add(q2, q3)), i32x4.add(i32x4.add(q4, q5), i32x4.add(q6, q7)));
    const meta = s + (<usize>b << 3);
    store<f32>(meta, scale);
    store<i32>(meta, sumI32x4(total), 4);
  }
}
