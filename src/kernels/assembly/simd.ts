// Small SIMD helpers shared by the kernels. Everything works on raw byte addresses in the
// imported shared memory.

/** Converts an F16 bit pattern to f32: shift into f32 position and rescale by 2^112 (exact for normals and subnormals; Inf and NaN are not handled). */
@inline export function f16ToF32(bits: u32): f32 {
  const magnitude = reinterpret<f32>((bits & 0x7fff) << 13) * 5.192296858534828e33;
  return reinterpret<f32>(reinterpret<u32>(magnitude) | ((bits & 0x8000) << 16));
}

/**
 * Converts four F16 values sign-extended into i32 lanes to f32x4 (Inf and NaN are not handled).
 * Shifting left by 13 puts exponent and mantissa in f32 position and leaves copies of the sign in
 * bits 28..31; clearing bits 28..30 keeps one sign bit, and the multiply by 2^112 fixes the exponent bias.
 */
@inline export function f16x4ToF32x4(signExtended: v128): v128 {
  return f32x4.mul(v128.and(i32x4.shl(signExtended, 13), i32x4.splat(0x8fffffff)), f32x4.splat(5.192296858534828e33));
}

/** Sum of the four f32 lanes. */
@inline export function sumF32x4(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Sum of the four i32 lanes. */
@inline export function sumI32x4(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** Integer dot product of 16 signed bytes (`q`, already decoded) with 16 int8 activations at `a`, as i32x4 partial sums. */
@inline export function dot16(q: v128, a: usize): v128 {
  return i32x4.add(
    i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(q), v128.load8x8_s(a)),
    i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(q), v128.load8x8_s(a, 8)),
  );
}

/** Returns the f32 vector whose lane k is the sum of the four lanes of argument k. */
@inline export function laneSumsF32x4(a: v128, b: v128, c: v128, d: v128): v128 {
  // ab = [a0+a2, b0+b2, a1+a3, b1+b3], cd likewise; then the halves of ab and cd are added.
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f64>(ab, cd, 0, 2), v128.shuffle<f64>(ab, cd, 1, 3));
}

/**
 * Returns e^x per lane for x <= 88, with about 1e-7 relative error; inputs below -87 give
 * e^-87 (about 1.6e-38) rather than a smaller number. x = n ln2 + r with |r| <= ln2 / 2, so
 * e^x = 2^n e^r, and e^r comes from its Taylor series to degree 6 (error below r^7 / 5040).
 */
@inline export function expF32x4(x: v128): v128 {
  const clamped = f32x4.max(x, f32x4.splat(-87));
  const n = f32x4.nearest(f32x4.mul(clamped, f32x4.splat(1.4426950408889634)));
  // ln 2 is split in two parts so that n times the first part is exact.
  const r = f32x4.sub(f32x4.sub(clamped, f32x4.mul(n, f32x4.splat(0.693145751953125))), f32x4.mul(n, f32x4.splat(1.428606765330187e-6)));
  let p = f32x4.splat(1.0 / 720);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}
