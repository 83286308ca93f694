// Row-wise and element-wise kernels: rmsNorm, rope, swiglu and add (attention is in attention.ts).
// Each works on a range of independent units (rows, or query row × head) so threads can share it.

import { sumF32x4 } from './simd';

/** y[i, :] = x[i, :] / sqrt(mean(x[i, :]^2) + eps) * weight for rows i0 <= i < i1 of width d. */
export function rmsNorm(y: usize, x: usize, weight: usize, d: i32, eps: f32, i0: i32, i1: i32): void {
  for (let i = i0; i < i1; i++) {
    const xr = x + ((<usize>i * d) << 2);
    const yr = y + ((<usize>i * d) << 2);
    let acc = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= d; c += 4) {
      const v = v128.load(xr + (<usize>c << 2));
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    let sumSquares = sumF32x4(acc);
    for (; c < d; c++) sumSquares += load<f32>(xr + (<usize>c << 2)) * load<f32>(xr + (<usize>c << 2));
    const inverse: f32 = 1 / Mathf.sqrt(sumSquares / <f32>d + eps);
    const scale = f32x4.splat(inverse);
    c = 0;
    for (; c + 4 <= d; c += 4) {
      const at = <usize>c << 2;
      v128.store(yr + at, f32x4.mul(f32x4.mul(v128.load(xr + at), scale), v128.load(weight + at)));
    }
    for (; c < d; c++) {
      const at = <usize>c << 2;
      store<f32>(yr + at, load<f32>(xr + at) * inverse * load<f32>(weight + at));
    }
  }
}

/**
 * Rotates rows i0..i1-1 of `heads` heads of size hd in place. `angles` holds, per row, hd / 2
 * cosines followed by hd / 2 sines. neox != 0 pairs element j with j + hd/2, else 2j with 2j + 1.
 */
export function rope(x: usize, angles: usize, heads: i32, hd: i32, neox: i32, i0: i32, i1: i32): void {
  const half = hd >> 1;
  for (let i = i0; i < i1; i++) {
    const cosines = angles + ((<usize>i * hd) << 2);
    const sines = cosines + (<usize>half << 2);
    for (let h = 0; h < heads; h++) {
      const base = x + ((<usize>(i * heads + h) * hd) << 2);
      for (let j = 0; j < half; j++) {
        const cos = load<f32>(cosines + (<usize>j << 2));
        const sin = load<f32>(sines + (<usize>j << 2));
        const a = neox != 0 ? base + (<usize>j << 2) : base + (<usize>j << 3);
        const b = neox != 0 ? a + (<usize>half << 2) : a + 4;
        const x0 = load<f32>(a);
        const x1 = load<f32>(b);
        store<f32>(a, x0 * cos - x1 * sin);
        store<f32>(b, x0 * sin + x1 * cos);
      }
    }
  }
}

/** y[j] = silu(gate[j]) * up[j] for j0 <= j < j1; y may alias gate. */
export function swiglu(y: usize, gate: usize, up: usize, j0: i32, j1: i32): void {
  for (let j = j0; j < j1; j++) {
    const at = <usize>j << 2;
    const g = load<f32>(gate + at);
    store<f32>(y + at, (g / (1 + Mathf.exp(-g))) * load<f32>(up + at));
  }
}

/** y[j] += x[j] for j0 <= j < j1. */
export function add(y: usize, x: usize, j0: i32, j1: i32): void {
  let j = j0;
  for (; j + 4 <= j1; j += 4) {
    const at = <usize>j << 2;
    v128.store(y + at, f32x4.add(v128.load(y + at), v128.load(x + at)));
  }
  for (; j < j1; j++) {
    const at = <usize>j << 2;
    store<f32>(y + at, load<f32>(y + at) + load<f32>(x + at));
  }
}

/** Sum of f32 values j0..j1-1 (j0 and j1 multiples of 16): a pure read, for measuring memory bandwidth. */
export function sum(x: usize, j0: i32, j1: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  for (let j = j0; j < j1; j += 16) {
    const at = x + (<usize>j << 2);
    acc0 = f32x4.add(acc0, v128.load(at));
    acc1 = f32x4.add(acc1, v128.load(at, 16));
    acc2 = f32x4.add(acc2, v128.load(at, 32));
    acc3 = f32x4.add(acc3, v128.load(at, 48));
  }
  return sumF32x4(f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3)));
}
