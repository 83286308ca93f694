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
