// Causal attention with grouped keys and values, in three passes per query row and head: the
// scores, then their exponentials and sum, then the weighted sum of the values. Compared with a
// one-pass running softmax, this keeps the output accumulators in registers and computes the
// exponentials four at a time.

import { expF32x4, laneSumsF32x4, sumF32x4 } from './simd';

/** Returns the dot product of hd values (a multiple of 4) at a and b. */
@inline function dot(a: usize, b: usize, hd: i32): f32 {
  let acc = f32x4.splat(0);
  for (let c = 0; c < hd; c += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(a + (<usize>c << 2)), v128.load(b + (<usize>c << 2))));
  return sumF32x4(acc);
}

/**
 * Causal attention for units u0, u0 + step, ... below u1, unit = query row i * nh + head h. Query
 * row i attends to the start + i + 1 first cached rows. Later rows attend to more keys, so threads
 * take interleaved units to get equal work. `scores` is scratch memory of the calling thread for
 * start + (last row) + 1 f32 values. hd must be a multiple of 4.
 */
export function attention(out: usize, q: usize, keys: usize, values: usize, start: i32, nh: i32, nkv: i32, hd: i32, u0: i32, u1: i32, step: i32, scores: usize): void {
  const group = nh / nkv;
  const kvStride = <usize>(nkv * hd) << 2;
  const scale = f32x4.splat(1 / Mathf.sqrt(<f32>hd));
  for (let unit = u0; unit < u1; unit += step) {
    const i = unit / nh;
    const h = unit % nh;
    const qr = q + ((<usize>unit * hd) << 2);
    const or = out + ((<usize>unit * hd) << 2);
    const headOffset = (<usize>(h / group) * hd) << 2;
    const count = start + i + 1;
    const firstKey = keys + headOffset;

    // Scores, four keys at a time, and their maximum.
    let largest = f32x4.splat(-Infinity);
    let t = 0;
    for (; t + 4 <= count; t += 4) {
      const k0 = firstKey + <usize>t * kvStride;
      let acc0 = f32x4.splat(0);
      let acc1 = f32x4.splat(0);
      let acc2 = f32x4.splat(0);
      let acc3 = f32x4.splat(0);
      for (let c = 0; c < hd; c += 4) {
        const at = <usize>c << 2;
        const qv = v128.load(qr + at);
        acc0 = f32x4.add(acc0, f32x4.mul(qv, v128.load(k0 + at)));
        acc1 = f32x4.add(acc1, f32x4.mul(qv, v128.load(k0 + kvStride + at)));
        acc2 = f32x4.add(acc2, f32x4.mul(qv, v128.load(k0 + 2 * kvStride + at)));
        acc3 = f32x4.add(acc3, f32x4.mul(qv, v128.load(k0 + 3 * kvStride + at)));
      }
      const four = f32x4.mul(laneSumsF32x4(acc0, acc1, acc2, acc3), scale);
      v128.store(scores + (<usize>t << 2), four);
      largest = f32x4.max(largest, four);
    }
    let maxScore = max(max(f32x4.extract_lane(largest, 0), f32x4.extract_lane(largest, 1)), max(f32x4.extract_lane(largest, 2), f32x4.extract_lane(largest, 3)));
    for (; t < count; t++) {
      const score = dot(qr, firstKey + <usize>t * kvStride, hd) * f32x4.extract_lane(scale, 0);
      store<f32>(scores + (<usize>t << 2), score);
      maxScore = max(maxScore, score);
    }

    // Weights exp(score - max) and their sum. The last scores (fewer than four) go through the same vector exp one at a time.
    const shift = f32x4.splat(maxScore);
    let sums = f32x4.splat(0);
    t = 0;
    for (; t + 4 <= count; t += 4) {
      const at = scores + (<usize>t << 2);
      const weights = expF32x4(f32x4.sub(v128.load(at), shift));
      v128.store(at, weights);
      sums = f32x4.add(sums, weights);
    }
    let total = sumF32x4(sums);
    for (; t < count; t++) {
      const at = scores + (<usize>t << 2);
      const weight = f32x4.extract_lane(expF32x4(f32x4.splat(load<f32>(at) - maxScore)), 0);
      store<f32>(at, weight);
      total += weight;
    }

    // Weighted sum of the values, 16 output values at a time in registers, then 4 at a time.
    const inverse = f32x4.splat(1 / total);
    const firstValue = values + headOffset;
    let c = 0;
    for (; c + 16 <= hd; c += 16) {
      let acc0 = f32x4.splat(0);
      let acc1 = f32x4.splat(0);
      let acc2 = f32x4.splat(0);
      let acc3 = f32x4.splat(0);
      let vr = firstValue + (<usize>c << 2);
      for (let u = 0; u < count; u++) {
        const weight = v128.load32_splat(scores + (<usize>u << 2));
        acc0 = f32x4.add(acc0, f32x4.mul(weight, v128.load(vr)));
        acc1 = f32x4.add(acc1, f32x4.mul(weight, v128.load(vr, 16)));
        acc2 = f32x4.add(acc2, f32x4.mul(weight, v128.load(vr, 32)));
        acc3 = f32x4.add(acc3, f32x4.mul(weight, v128.load(vr, 48)));
        vr += kvStride;
      }
      const at = or + (<usize>c << 2);
      v128.store(at, f32x4.mul(acc0, inverse));
      v128.store(at, f32x4.mul(acc1, inverse), 16);
      v128.store(at, f32x4.mul(acc2, inverse), 32);
      v128.store(at, f32x4.mul(acc3, inverse), 48);
    }
    for (; c < hd; c += 4) {
      let acc = f32x4.splat(0);
      let vr = firstValue + (<usize>c << 2);
      for (let u = 0; u < count; u++) {
        acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(scores + (<usize>u << 2)), v128.load(vr)));
        vr += kvStride;
      }
      v128.store(or + (<usize>c << 2), f32x4.mul(acc, inverse));
    }
  }
}
