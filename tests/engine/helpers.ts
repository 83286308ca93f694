// Shared test helpers: a tiny random model on the reference backend, a greedy sampler, and a
// plain float64 Llama forward pass written independently of src/engine as the reference.

import { Arena } from '../../src/kernels/arena.js';
import { ReferenceBackend } from '../../src/kernels/reference/backend.js';
import type { ModelConfig } from '../../src/model/types.js';
import { Decoder } from '../../src/engine/forward.js';
import { createRandomModel, type RandomModelOptions } from '../../src/engine/random-model.js';
import type { ModelWeights } from '../../src/engine/weights.js';

export interface TestModel {
  decoder: Decoder;
  model: ModelWeights;
  arena: Arena;
}

export function makeTestModel(options: RandomModelOptions = {}, chunkRows?: number): TestModel {
  const arena = new Arena();
  const backend = new ReferenceBackend(arena);
  const model = createRandomModel(arena, options);
  return { decoder: new Decoder(backend, model, chunkRows), model, arena };
}

export const greedy = {
  sample(logits: Float32Array): number {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  },
};

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Logits [V] of every position, by a direct float64 evaluation of the Llama equations. */
export function naiveLogits(test: TestModel, tokens: number[]): Float64Array[] {
  const c: ModelConfig = test.model.config;
  const w = (name: string): Float64Array => {
    const t = test.model.weights.get(name)!;
    return Float64Array.from(test.arena.f32(t.shard, t.offset, t.rows * t.cols));
  };
  const has = (name: string): boolean => test.model.weights.has(name);
  const d = c.hiddenSize;
  const hd = c.headDim;
  const matvec = (m: Float64Array, x: Float64Array, rows: number): Float64Array => {
    const cols = x.length;
    const y = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += m[r * cols + j] * x[j];
      y[r] = s;
    }
    return y;
  };
  const norm = (x: Float64Array, weight: Float64Array): Float64Array => {
    let ss = 0;
    for (const v of x) ss += v * v;
    const inv = 1 / Math.sqrt(ss / x.length + c.rmsNormEps);
    return x.map((v, j) => v * inv * weight[j]);
  };
  const rotate = (x: Float64Array, heads: number, pos: number): void => {
    for (let h = 0; h < heads; h++) {
      for (let j = 0; j < hd / 2; j++) {
        const angle = pos * Math.pow(c.ropeTheta, (-2 * j) / hd);
        const a = c.ropeStyle === 'neox' ? h * hd + j : h * hd + 2 * j;
        const b = c.ropeStyle === 'neox' ? h * hd + j + hd / 2 : h * hd + 2 * j + 1;
        const [x0, x1] = [x[a], x[b]];
        x[a] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
        x[b] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
      }
    }
  };

  const embedding = w('token_embd');
  let xs = tokens.map((t) => embedding.slice(t * d, (t + 1) * d));
  for (let l = 0; l < c.numLayers; l++) {
    const p = `blk.${l}.`;
    const keys: Float64Array[] = [];
    const values: Float64Array[] = [];
    const queries: Float64Array[] = [];
    for (let i = 0; i < xs.length; i++) {
      const h = norm(xs[i], w(`${p}attn_norm`));
      const q = matvec(w(`${p}attn_q`), h, c.numHeads * hd);
      const k = matvec(w(`${p}attn_k`), h, c.numKvHeads * hd);
      const v = matvec(w(`${p}attn_v`), h, c.numKvHeads * hd);
      if (has(`${p}attn_q.bias`)) {
        w(`${p}attn_q.bias`).forEach((b, j) => (q[j] += b));
        w(`${p}attn_k.bias`).forEach((b, j) => (k[j] += b));
        w(`${p}attn_v.bias`).forEach((b, j) => (v[j] += b));
      }
      rotate(q, c.numHeads, i);
      rotate(k, c.numKvHeads, i);
      queries.push(q);
      keys.push(k);
      values.push(v);
    }
    xs = xs.map((x, i) => {
      const attended = new Float64Array(c.numHeads * hd);
      const group = c.numHeads / c.numKvHeads;
      for (let h = 0; h < c.numHeads; h++) {
        const kv = Math.floor(h / group) * hd;
        const scores = keys.slice(0, i + 1).map((k) => {
          let s = 0;
          for (let j = 0; j < hd; j++) s += queries[i][h * hd + j] * k[kv + j];
          return s / Math.sqrt(hd);
        });
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((a, b) => a + b, 0);
        exps.forEach((e, t) => {
          for (let j = 0; j < hd; j++) attended[h * hd + j] += (e / total) * values[t][kv + j];
        });
      }
      const after = x.map((v, j) => v + matvec(w(`${p}attn_output`), attended, d)[j]);
      const h2 = norm(after, w(`${p}ffn_norm`));
      const gate = matvec(w(`${p}ffn_gate`), h2, c.intermediateSize);
      const up = matvec(w(`${p}ffn_up`), h2, c.intermediateSize);
      const act = gate.map((g, j) => (g / (1 + Math.exp(-g))) * up[j]);
      const down = matvec(w(`${p}ffn_down`), act, d);
      return after.map((v, j) => v + down[j]);
    });
  }
  const head = has('output') ? w('output') : embedding;
  return xs.map((x) => matvec(head, norm(x, w('output_norm')), c.vocabSize));
}
