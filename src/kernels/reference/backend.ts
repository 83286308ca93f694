// Plain TypeScript backend: obviously right and slow. Every fast kernel is tested against it.
// Sums are accumulated in f64 (JavaScript numbers) and stored as f32.

import type { WeightTensor } from '../../model/types.js';
import { InputError } from '../../util/errors.js';
import { Arena } from '../arena.js';
import type { Backend, Buf, RopeTable } from '../backend.js';
import { checkAttention, checkBuf, checkCount, checkF32Vector, checkWeight } from '../checks.js';
import { dequantizeTensorRow } from './dequant.js';

export class ReferenceBackend implements Backend {
  readonly name = 'reference';
  readonly threads = 1;

  constructor(readonly arena: Arena = new Arena()) {}

  allocF32(length: number): Buf {
    checkCount('buffer length', length);
    const { shard, offset } = this.arena.alloc(4 * length, 0);
    const buf = { shard, offset, length };
    this.view(buf).fill(0);
    return buf;
  }

  view(buf: Buf): Float32Array {
    return this.arena.f32(buf.shard, buf.offset, buf.length);
  }

  /** Dequantizes row `row` of `w` into out[0 .. w.cols). */
  dequantizeRow(w: WeightTensor, row: number, out: Float32Array): void {
    dequantizeTensorRow(this.arena.bytes(w.shard), w, row, out);
  }

  matmul(y: Buf, x: Buf, w: WeightTensor, n: number): void {
    checkWeight(this.arena, w);
    checkCount('n', n);
    checkBuf(this.arena, 'x', x, n * w.cols);
    checkBuf(this.arena, 'y', y, n * w.rows);
    const xs = this.view(x);
    const ys = this.view(y);
    const row = new Float32Array(w.cols); // [cols]
    for (let r = 0; r < w.rows; r++) {
      this.dequantizeRow(w, r, row);
      for (let i = 0; i < n; i++) {
        let sum = 0;
        const base = i * w.cols;
        for (let c = 0; c < w.cols; c++) sum += row[c] * xs[base + c];
        ys[i * w.rows + r] = sum;
      }
    }
  }

  getRows(y: Buf, table: WeightTensor, ids: Int32Array): void {
    checkWeight(this.arena, table);
    checkBuf(this.arena, 'y', y, ids.length * table.cols);
    const ys = this.view(y);
    const row = new Float32Array(table.cols); // [cols]
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id < 0 || id >= table.rows) {
        throw new InputError(`row id ${id} at index ${i} is outside tensor ${table.name} with ${table.rows} rows`);
      }
      this.dequantizeRow(table, id, row);
      ys.set(row, i * table.cols);
    }
  }

  rmsNorm(y: Buf, x: Buf, weight: WeightTensor, n: number, d: number, eps: number): void {
    checkCount('n', n);
    checkF32Vector(this.arena, weight, d);
    checkBuf(this.arena, 'x', x, n * d);
    checkBuf(this.arena, 'y', y, n * d);
    const xs = this.view(x);
    const ys = this.view(y);
    const ws = this.arena.f32(weight.shard, weight.offset, d);
    for (let i = 0; i < n; i++) {
      let sumSquares = 0;
      for (let c = 0; c < d; c++) sumSquares += xs[i * d + c] ** 2;
      const inverse = 1 / Math.sqrt(sumSquares / d + eps);
      for (let c = 0; c < d; c++) ys[i * d + c] = xs[i * d + c] * inverse * ws[c];
    }
  }

  addBias(y: Buf, bias: WeightTensor, n: number, d: number): void {
    checkCount('n', n);
    checkF32Vector(this.arena, bias, d);
    checkBuf(this.arena, 'y', y, n * d);
    const ys = this.view(y);
    const bs = this.arena.f32(bias.shard, bias.offset, d);
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) ys[i * d + c] += bs[c];
  }

  add(y: Buf, x: Buf, count: number): void {
    checkCount('count', count);
    checkBuf(this.arena, 'x', x, count);
    checkBuf(this.arena, 'y', y, count);
    const xs = this.view(x);
    const ys = this.view(y);
    for (let j = 0; j < count; j++) ys[j] += xs[j];
  }

  addRowVector(y: Buf, v: Float32Array, count: number, alpha: number): void {
    checkCount('count', count);
    if (v.length === 0 || count % v.length !== 0) {
      throw new InputError(`addRowVector: count ${count} must be a whole number of rows of the vector's width ${v.length}`);
    }
    checkBuf(this.arena, 'y', y, count);
    const ys = this.view(y);
    for (let j = 0; j < count; j++) ys[j] += alpha * v[j % v.length];
  }

  swiglu(y: Buf, gate: Buf, up: Buf, count: number): void {
    checkCount('count', count);
    checkBuf(this.arena, 'gate', gate, count);
    checkBuf(this.arena, 'up', up, count);
    checkBuf(this.arena, 'y', y, count);
    const gs = this.view(gate);
    const us = this.view(up);
    const ys = this.view(y);
    for (let j = 0; j < count; j++) {
      const g = gs[j];
      ys[j] = (g / (1 + Math.exp(-g))) * us[j];
    }
  }

  rope(x: Buf, n: number, heads: number, hd: number, positions: Int32Array, table: RopeTable): void {
    checkCount('n', n);
    checkCount('heads', heads);
    if (hd % 2 !== 0 || table.invFreq.length !== hd / 2) {
      throw new InputError(`rope: head size ${hd} needs ${hd / 2} inverse frequencies, the table has ${table.invFreq.length}`);
    }
    if (positions.length < n) throw new InputError(`rope: ${n} rows need ${n} positions, found ${positions.length}`);
    checkBuf(this.arena, 'x', x, n * heads * hd);
    const xs = this.view(x);
    const half = hd / 2;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < half; j++) {
        const angle = positions[i] * table.invFreq[j];
        const cos = Math.cos(angle);
        const sin = Math.sin(angle);
        for (let h = 0; h < heads; h++) {
          const base = (i * heads + h) * hd;
          // 'neox' pairs element j with j + hd/2; 'interleaved' pairs 2j with 2j + 1.
          const a = table.style === 'neox' ? base + j : base + 2 * j;
          const b = table.style === 'neox' ? base + j + half : base + 2 * j + 1;
          const x0 = xs[a];
          const x1 = xs[b];
          xs[a] = x0 * cos - x1 * sin;
          xs[b] = x0 * sin + x1 * cos;
        }
      }
    }
  }

  attention(out: Buf, q: Buf, keys: Buf, values: Buf, n: number, start: number, nh: number, nkv: number, hd: number): void {
    checkAttention(this.arena, out, q, keys, values, n, start, nh, nkv, hd);
    const kvWidth = nkv * hd;
    const qs = this.view(q);
    const ks = this.view(keys);
    const vs = this.view(values);
    const os = this.view(out);
    const group = nh / nkv;
    const scale = 1 / Math.sqrt(hd);
    const scores = new Float64Array(start + n); // [cache rows]
    const acc = new Float64Array(hd); // [hd]

    for (let i = 0; i < n; i++) {
      const last = start + i;
      for (let h = 0; h < nh; h++) {
        const qBase = (i * nh + h) * hd;
        const kvBase = Math.floor(h / group) * hd;
        let max = -Infinity;
        for (let t = 0; t <= last; t++) {
          let dot = 0;
          for (let c = 0; c < hd; c++) dot += qs[qBase + c] * ks[t * kvWidth + kvBase + c];
          scores[t] = dot * scale;
          if (scores[t] > max) max = scores[t];
        }
        // Subtracting the max keeps exp() from overflowing; it cancels in the normalisation.
        let total = 0;
        for (let t = 0; t <= last; t++) {
          scores[t] = Math.exp(scores[t] - max);
          total += scores[t];
        }
        acc.fill(0);
        for (let t = 0; t <= last; t++) {
          const p = scores[t] / total;
          for (let c = 0; c < hd; c++) acc[c] += p * vs[t * kvWidth + kvBase + c];
        }
        for (let c = 0; c < hd; c++) os[qBase + c] = acc[c];
      }
    }
  }

  copy(y: Buf, x: Buf, count: number): void {
    checkCount('count', count);
    checkBuf(this.arena, 'x', x, count);
    checkBuf(this.arena, 'y', y, count);
    this.view(y).set(this.view(x).subarray(0, count));
  }

  async close(): Promise<void> {}
}
