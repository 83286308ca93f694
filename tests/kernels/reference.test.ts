import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GgmlType, GGML_TYPE_LAYOUT, type WeightTensor } from '../../src/model/types.js';
import { ReferenceBackend } from '../../src/kernels/reference/backend.js';
import type { Buf } from '../../src/kernels/backend.js';
import { InputError } from '../../src/util/errors.js';
import { ALL_TYPES, encodeFloat, encodeRandom, makeRandom, maxAbsDiff, placeWeight } from './blocks.js';

function bufferOf(backend: ReferenceBackend, values: number[]): Buf {
  const buf = backend.allocF32(values.length);
  backend.view(buf).set(values);
  return buf;
}

function f32Tensor(backend: ReferenceBackend, name: string, values: number[]): WeightTensor {
  const encoded = encodeFloat(GgmlType.F32, Float32Array.from(values));
  return placeWeight(backend.arena, name, GgmlType.F32, 1, values.length, encoded.bytes);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  const diff = maxAbsDiff(actual, expected);
  assert.ok(diff <= tolerance, `${label}: max diff ${diff} > ${tolerance}; actual ${Array.from(actual).slice(0, 6)} expected ${Array.from(expected).slice(0, 6)}`);
}

test('matmul 2x3 hand case', () => {
  const backend = new ReferenceBackend();
  const w = f32Tensor(backend, 'w', [1, 2, 3, -1, 0, 4]);
  const wide = { ...w, rows: 2, cols: 3 };
  const x = bufferOf(backend, [1, 1, 1, 2, 0, -1]); // two rows of 3
  const y = backend.allocF32(4);
  backend.matmul(y, x, wide, 2);
  assert.deepEqual(Array.from(backend.view(y)), [6, 3, -1, -6]);
});

test('matmul every type matches dequantized weights', () => {
  const random = makeRandom(5);
  for (const type of ALL_TYPES) {
    const backend = new ReferenceBackend();
    const rows = 3;
    const cols = 256;
    const n = 2;
    const encoded = encodeRandom(type, random, rows * cols);
    const w = placeWeight(backend.arena, 'w', type, rows, cols, encoded.bytes);
    const xs = Array.from({ length: n * cols }, () => random() - 0.5);
    const y = backend.allocF32(n * rows);
    backend.matmul(y, bufferOf(backend, xs), w, n);
    const expected = new Float32Array(n * rows);
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let c = 0; c < cols; c++) sum += encoded.values[r * cols + c] * Math.fround(xs[i * cols + c]);
        expected[i * rows + r] = sum;
      }
    }
    assertClose(backend.view(y), expected, 1e-6, GGML_TYPE_LAYOUT[type].name);
  }
});

test('getRows picks and dequantizes rows', () => {
  const random = makeRandom(9);
  const backend = new ReferenceBackend();
  const encoded = encodeRandom(GgmlType.Q4_K, random, 4 * 256);
  const table = placeWeight(backend.arena, 'token_embd', GgmlType.Q4_K, 4, 256, encoded.bytes);
  const y = backend.allocF32(2 * 256);
  backend.getRows(y, table, Int32Array.from([3, 1]));
  assertClose(backend.view(y).subarray(0, 256), encoded.values.subarray(768, 1024), 0, 'row 3');
  assertClose(backend.view(y).subarray(256), encoded.values.subarray(256, 512), 0, 'row 1');
  assert.throws(() => backend.getRows(y, table, Int32Array.from([4])), /row id 4 at index 0 is outside tensor token_embd with 4 rows/);
});

test('rmsNorm hand case', () => {
  const backend = new ReferenceBackend();
  const x = bufferOf(backend, [3, 4, 0, 0, 1, 1, 1, 1]);
  const weight = f32Tensor(backend, 'norm', [1, 2, 1, 1]);
  const y = backend.allocF32(8);
  backend.rmsNorm(y, x, weight, 2, 4, 0);
  // Row 0: mean of squares 25 / 4, rms 2.5. Row 1: rms 1.
  assertClose(backend.view(y), [1.2, 3.2, 0, 0, 1, 2, 1, 1], 1e-6, 'rmsNorm');
  backend.rmsNorm(y, x, weight, 1, 4, 3.75);
  assertClose(backend.view(y).subarray(0, 4), [1.2 * 2.5 / Math.sqrt(10), 1.6 * 2.5 * 2 / Math.sqrt(10), 0, 0], 1e-6, 'rmsNorm eps');
});

test('addBias add addRowVector copy', () => {
  const backend = new ReferenceBackend();
  const y = bufferOf(backend, [1, 2, 3, 4]);
  backend.addBias(y, f32Tensor(backend, 'bias', [10, 20]), 2, 2);
  assert.deepEqual(Array.from(backend.view(y)), [11, 22, 13, 24]);
  backend.add(y, bufferOf(backend, [1, 1, 1, 100]), 3);
  assert.deepEqual(Array.from(backend.view(y)), [12, 23, 14, 24]);
  backend.addRowVector(y, Float32Array.from([1, -1]), 4, 0.5);
  assert.deepEqual(Array.from(backend.view(y)), [12.5, 22.5, 14.5, 23.5]);
  const z = backend.allocF32(4);
  backend.copy(z, y, 3);
  assert.deepEqual(Array.from(backend.view(z)), [12.5, 22.5, 14.5, 0]);
  assert.throws(() => backend.addRowVector(y, Float32Array.from([1, 2, 3]), 4, 1), /whole number of rows/);
});

test('swiglu hand case and aliasing', () => {
  const backend = new ReferenceBackend();
  const gate = bufferOf(backend, [0, 1, -2]);
  const up = bufferOf(backend, [5, 2, 3]);
  backend.swiglu(gate, gate, up, 3);
  const silu = (g: number) => g / (1 + Math.exp(-g));
  assertClose(backend.view(gate), [0, 2 * silu(1), 3 * silu(-2)], 1e-6, 'swiglu');
});

test('rope both pairings', () => {
  const backend = new ReferenceBackend();
  const invFreq = Float32Array.from([1, 0.5]);
  // One row, one head of size 4, position 2: angles 2 and 1.
  const neox = bufferOf(backend, [1, 2, 3, 4]);
  backend.rope(neox, 1, 1, 4, Int32Array.from([2]), { invFreq, style: 'neox' });
  const rotate = (a: number, b: number, angle: number) => [a * Math.cos(angle) - b * Math.sin(angle), a * Math.sin(angle) + b * Math.cos(angle)];
  const [n0, n2] = rotate(1, 3, 2);
  const [n1, n3] = rotate(2, 4, 1);
  assertClose(backend.view(neox), [n0, n1, n2, n3], 1e-6, 'neox');

  const interleaved = bufferOf(backend, [1, 2, 3, 4]);
  backend.rope(interleaved, 1, 1, 4, Int32Array.from([2]), { invFreq, style: 'interleaved' });
  assertClose(backend.view(interleaved), [...rotate(1, 2, 2), ...rotate(3, 4, 1)], 1e-6, 'interleaved');

  const still = bufferOf(backend, [1, 2, 3, 4, 5, 6, 7, 8]);
  backend.rope(still, 1, 2, 4, Int32Array.from([0]), { invFreq, style: 'neox' });
  assertClose(backend.view(still), [1, 2, 3, 4, 5, 6, 7, 8], 0, 'position 0 is the identity');
});

test('attention hand case with grouped heads', () => {
  const backend = new ReferenceBackend();
  // nh 2, nkv 1, hd 2; two cache rows, start 1, n 1: the query attends to rows 0 and 1.
  const keys = bufferOf(backend, [1, 0, 0, 1]);
  const values = bufferOf(backend, [10, 0, 0, 20]);
  const q = bufferOf(backend, [Math.SQRT2 * Math.log(3), 0, 0, 0]);
  const out = backend.allocF32(4);
  backend.attention(out, q, keys, values, 1, 1, 2, 1, 2);
  // Head 0: scores ln 3 and 0, so weights 3/4 and 1/4. Head 1: equal weights.
  assertClose(backend.view(out), [7.5, 5, 5, 10], 1e-5, 'attention');
});

test('attention is causal within a batch', () => {
  const backend = new ReferenceBackend();
  const keys = bufferOf(backend, [1, 0, 1, 0]);
  const values = bufferOf(backend, [1, 2, 100, 200]);
  const q = bufferOf(backend, [1, 0, 1, 0]);
  const out = backend.allocF32(4);
  backend.attention(out, q, keys, values, 2, 0, 1, 1, 2);
  assertClose(backend.view(out), [1, 2, 50.5, 101], 1e-5, 'causal');
});

test('attention softmax is stable for large scores', () => {
  const backend = new ReferenceBackend();
  const keys = bufferOf(backend, [1000, 0, 999, 0]);
  const values = bufferOf(backend, [1, 0, 0, 1]);
  const q = bufferOf(backend, [Math.SQRT2, 0]);
  const out = backend.allocF32(2);
  backend.attention(out, q, keys, values, 1, 1, 1, 1, 2);
  const w0 = 1 / (1 + Math.exp(-1));
  assertClose(backend.view(out), [w0, 1 - w0], 1e-6, 'stable softmax');
});

test('kernels reject wrong widths', () => {
  const backend = new ReferenceBackend();
  const w = f32Tensor(backend, 'w', [1, 2, 3, 4]);
  const small = backend.allocF32(3);
  assert.throws(() => backend.matmul(small, small, w, 1), InputError);
  assert.throws(() => backend.matmul(small, small, { ...w, nbytes: 12 }, 1), /declares 12 bytes/);
  assert.throws(() => backend.rmsNorm(small, small, w, 1, 3, 1e-5), /must be F32 with 3 values/);
  assert.throws(() => backend.attention(small, small, small, small, 1, 0, 3, 2, 2), /multiple of key\/value heads/);
  assert.throws(() => backend.rope(small, 1, 1, 4, Int32Array.from([0]), { invFreq: new Float32Array(1), style: 'neox' }), /needs 2 inverse frequencies/);
});
