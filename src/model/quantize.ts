// Reference quantizers from F32 to every supported ggml type, used to build test models. They
// produce ggml's exact block layouts (see src/kernels/reference/dequant.ts for the decoding side)
// but choose scales by a plain absolute-max or min/max rule, not ggml's error-minimizing search,
// so their output is valid ggml data without being bit-identical to llama-quantize.

import { f32ToBf16, f32ToF16, F16_TABLE } from '../kernels/reference/half.js';
import { GGML_TYPE_LAYOUT, GgmlType, tensorBytes } from './types.js';

function writeF16(out: Uint8Array, at: number, value: number): number {
  const bits = f32ToF16(value);
  out[at] = bits & 0xff;
  out[at + 1] = bits >> 8;
  return F16_TABLE[bits];
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function quantizeQ8_0(src: Float32Array, out: Uint8Array): void {
  for (let b = 0, at = 0; b < src.length; b += 32, at += 34) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(src[b + j]));
    const d = writeF16(out, at, amax / 127);
    const inverse = d === 0 ? 0 : 1 / d;
    for (let j = 0; j < 32; j++) out[at + 2 + j] = clamp(Math.round(src[b + j] * inverse), -127, 127) & 0xff;
  }
}

/** Q4_0: the value of largest magnitude maps to -8, so d carries its sign (as ggml does). */
function quantizeQ4_0(src: Float32Array, out: Uint8Array): void {
  for (let b = 0, at = 0; b < src.length; b += 32, at += 18) {
    let extreme = 0;
    for (let j = 0; j < 32; j++) if (Math.abs(src[b + j]) > Math.abs(extreme)) extreme = src[b + j];
    const d = writeF16(out, at, extreme / -8);
    const inverse = d === 0 ? 0 : 1 / d;
    for (let j = 0; j < 16; j++) {
      const low = clamp(Math.round(src[b + j] * inverse) + 8, 0, 15);
      const high = clamp(Math.round(src[b + j + 16] * inverse) + 8, 0, 15);
      out[at + 2 + j] = low | (high << 4);
    }
  }
}

/** Packs eight 6-bit scales and mins into Q4_K's 12 bytes (the inverse of q4kScaleMin). */
function packQ4kScales(out: Uint8Array, at: number, scales: Uint8Array, mins: Uint8Array): void {
  for (let j = 0; j < 12; j++) out[at + j] = 0;
  for (let j = 0; j < 8; j++) {
    if (j < 4) {
      out[at + j] = scales[j];
      out[at + j + 4] = mins[j];
    } else {
      out[at + j + 4] = (scales[j] & 0x0f) | ((mins[j] & 0x0f) << 4);
      out[at + j - 4] |= (scales[j] >> 4) << 6;
      out[at + j] |= (mins[j] >> 4) << 6;
    }
  }
}

/** Returns the 4-bit code q of x = step * q - offset. */
function q4kCode(x: number, step: number, offset: number): number {
  if (step === 0) return 0;
  return clamp(Math.round((x + offset) / step), 0, 15);
}

/** Q4_K: 8 sub-blocks of 32, each x = d * sc * q - dmin * m with q in 0..15 and sc, m in 0..63. */
function quantizeQ4_K(src: Float32Array, out: Uint8Array): void {
  const subScale = new Float32Array(8);
  const subMin = new Float32Array(8);
  const scales = new Uint8Array(8);
  const mins = new Uint8Array(8);
  for (let b = 0, at = 0; b < src.length; b += 256, at += 144) {
    for (let s = 0; s < 8; s++) {
      let low = 0;
      let high = -Infinity;
      for (let j = 0; j < 32; j++) {
        low = Math.min(low, src[b + 32 * s + j]);
        high = Math.max(high, src[b + 32 * s + j]);
      }
      subScale[s] = (high - low) / 15;
      subMin[s] = -low;
    }
    let maxScale = 0;
    let maxMin = 0;
    for (let s = 0; s < 8; s++) {
      maxScale = Math.max(maxScale, subScale[s]);
      maxMin = Math.max(maxMin, subMin[s]);
    }
    const d = writeF16(out, at, maxScale / 63);
    const dmin = writeF16(out, at + 2, maxMin / 63);
    for (let s = 0; s < 8; s++) {
      scales[s] = d === 0 ? 0 : clamp(Math.round(subScale[s] / d), 0, 63);
      mins[s] = dmin === 0 ? 0 : clamp(Math.round(subMin[s] / dmin), 0, 63);
    }
    packQ4kScales(out, at + 4, scales, mins);
    // Group g of 32 bytes holds sub-block 2g in its low nibbles and 2g + 1 in its high nibbles.
    for (let g = 0; g < 4; g++) {
      for (let l = 0; l < 32; l++) {
        const low = q4kCode(src[b + 64 * g + l], d * scales[2 * g], dmin * mins[2 * g]);
        const high = q4kCode(src[b + 64 * g + 32 + l], d * scales[2 * g + 1], dmin * mins[2 * g + 1]);
        out[at + 16 + 32 * g + l] = low | (high << 4);
      }
    }
  }
}

/** Q6_K: 16 sub-blocks of 16, each x = d * sc * (q - 32) with q in 0..63 and sc an int8. */
function quantizeQ6_K(src: Float32Array, out: Uint8Array): void {
  const subScale = new Float32Array(16);
  const q = new Uint8Array(256);
  for (let b = 0, at = 0; b < src.length; b += 256, at += 210) {
    for (let s = 0; s < 16; s++) {
      let amax = 0;
      for (let j = 0; j < 16; j++) amax = Math.max(amax, Math.abs(src[b + 16 * s + j]));
      subScale[s] = amax / 31;
    }
    let maxScale = 0;
    for (let s = 0; s < 16; s++) maxScale = Math.max(maxScale, subScale[s]);
    const d = writeF16(out, at + 208, maxScale / 127);
    for (let s = 0; s < 16; s++) {
      const sc = d === 0 ? 0 : clamp(Math.round(subScale[s] / d), -128, 127);
      out[at + 192 + s] = sc & 0xff;
      const step = d * sc;
      for (let j = 0; j < 16; j++) q[16 * s + j] = step === 0 ? 32 : clamp(Math.round(src[b + 16 * s + j] / step), -32, 31) + 32;
    }
    // In each half of 128 values, ql bytes 0..31 contain the low nibbles of values l and l + 64,
    // and bytes 32..63 those of l + 32 and l + 96. qh byte l contains the top 2 bits of the
    // four values l + 32k.
    for (let half = 0; half < 2; half++) {
      const ql = at + 64 * half;
      const qh = at + 128 + 32 * half;
      const base = 128 * half;
      for (let l = 0; l < 32; l++) {
        const [q0, q1, q2, q3] = [q[base + l], q[base + l + 32], q[base + l + 64], q[base + l + 96]];
        out[ql + l] = (q0 & 0x0f) | ((q2 & 0x0f) << 4);
        out[ql + l + 32] = (q1 & 0x0f) | ((q3 & 0x0f) << 4);
        out[qh + l] = (q0 >> 4) | ((q1 >> 4) << 2) | ((q2 >> 4) << 4) | ((q3 >> 4) << 6);
      }
    }
  }
}

/** Quantizes F32 values to the bytes of `type`; the count must be a whole number of blocks. */
export function quantize(type: GgmlType, src: Float32Array): Uint8Array {
  const out = new Uint8Array(tensorBytes(type, src.length));
  const view = new DataView(out.buffer);
  switch (type) {
    case GgmlType.F32:
      out.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
      return out;
    case GgmlType.F16:
      for (let i = 0; i < src.length; i++) view.setUint16(2 * i, f32ToF16(src[i]), true);
      return out;
    case GgmlType.BF16:
      for (let i = 0; i < src.length; i++) view.setUint16(2 * i, f32ToBf16(src[i]), true);
      return out;
    case GgmlType.Q8_0:
      quantizeQ8_0(src, out);
      return out;
    case GgmlType.Q4_0:
      quantizeQ4_0(src, out);
      return out;
    case GgmlType.Q4_K:
      quantizeQ4_K(src, out);
      return out;
    case GgmlType.Q6_K:
      quantizeQ6_K(src, out);
      return out;
    default:
      throw new RangeError(`cannot quantize to type id ${type as number}: supported are ${Object.values(GGML_TYPE_LAYOUT).map((l) => l.name).join(', ')}`);
  }
}
