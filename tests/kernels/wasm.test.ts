// Every WebAssembly kernel against the reference backend on random data, for every weight type,
// odd shapes and 1 and 2 threads. Quantized matmuls quantize the activations to 8 bits per
// block of 32, so their tolerance is the bound on that rounding: Σ |w| · scale / 2 per output.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GgmlType, GGML_TYPE_LAYOUT } from '../../src/model/types.js';
import { weightToF32 } from '../../src/model/load.js';
import { Arena } from '../../src/kernels/arena.js';
import type { Buf } from '../../src/kernels/backend.js';
import { ReferenceBackend } from '../../src/kernels/reference/backend.js';
import { createBackend, type WasmBackend } from '../../src/kernels/wasm/backend.js';
import { KernelPool } from '../../src/kernels/wasm/pool.js';
import { Op, STAGING_BYTES, STAGING_OFFSET, loadKernelModule } from '../../src/kernels/wasm/protocol.js';
import { ALL_TYPES, encodeFloat, encodeRandom, makeRandom, placeWeight, type EncodedBlocks } from './blocks.js';

const QUANTIZED = new Set([GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K]);

function fill(backend: WasmBackend, values: Float32Array): Buf {
  const buf = backend.allocF32(values.length);
  backend.view(buf).set(values);
  return buf;
}

function randomValues(random: () => number, count: number, spread = 1): Float32Array {
  return Float32Array.from({ length: count }, () => (random() - 0.5) * 2 * spread);
}

/** Per output, the largest error that 8-bit quantization of the activation rows can cause. */
function quantizationBound(weights: Float32Array, x: Float32Array, rows: number, cols: number, n: number): Float32Array {
  const bound = new Float32Array(n * rows);
  for (let i = 0; i < n; i++) {
    const step = new Float32Array(cols); // [cols] half the quantization step of each value's block
    for (let b = 0; b < cols / 32; b++) {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[i * cols + 32 * b + j]));
      step.fill(amax / 127 / 2, 32 * b, 32 * b + 32);
    }
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.abs(weights[r * cols + c]) * step[c];
      bound[i * rows + r] = sum;
    }
  }
  return bound;
}

/** Rounds to the nearest integer, ties to even, as wasm's f32x4.nearest does. */
function roundTiesEven(value: number): number {
  const floor = Math.floor(value);
  const rest = value - floor;
  if (rest !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Returns the activations as the quantized kernels see them: 8-bit per block of 32, scale max |x| / 127, in f32. */
function quantizeActivations(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < x.length / 32; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
    const scale = Math.fround(amax / 127);
    const inverse = scale !== 0 ? Math.fround(1 / scale) : 0;
    for (let j = 0; j < 32; j++) out[32 * b + j] = scale * roundTiesEven(Math.fround(x[32 * b + j] * inverse));
  }
  return out;
}

/** Asserts |actual - expected| <= bound + absolute per element and returns the max diff. */
function assertWithin(actual: Float32Array, expected: Float32Array, bound: Float32Array | null, absolute: number, label: string): number {
  let maxDiff = 0;
  const mismatches: string[] = [];
  for (let j = 0; j < expected.length; j++) {
    const diff = Math.abs(actual[j] - expected[j]);
    maxDiff = Math.max(maxDiff, diff);
    const limit = (bound ? bound[j] * 1.05 : 0) + absolute;
    if (!(diff <= limit) && mismatches.length < 4) mismatches.push(`[${j}] ${actual[j]} vs ${expected[j]} (limit ${limit})`);
  }
  assert.equal(mismatches.length, 0, `${label}: max diff ${maxDiff}; first mismatches ${mismatches.join(', ')}`);
  return maxDiff;
}

for (const threads of [1, 2]) {
  describe(`wasm kernels with ${threads} threads`, () => {
    let backend: WasmBackend;
    let reference: ReferenceBackend;
    const diffs: string[] = [];

    before(async () => {
      backend = await createBackend({ threads });
      reference = new ReferenceBackend(backend.arena);
    });
    after(async () => {
      await backend.close();
      console.log(`max diffs (${threads} threads): ${diffs.join('; ')}`);
    });

    function checkMatmul(type: GgmlType, rows: number, cols: number, n: number, random: () => number): void {
      const encoded: EncodedBlocks = encodeRandom(type, random, rows * cols);
      const w = placeWeight(backend.arena, 'w', type, rows, cols, encoded.bytes);
      const xs = randomValues(random, n * cols);
      const x = fill(backend, xs);
      const actual = backend.allocF32(n * rows);
      const expected = backend.allocF32(n * rows);
      backend.matmul(actual, x, w, n);
      reference.matmul(expected, x, w, n);
      const bound = QUANTIZED.has(type) ? quantizationBound(encoded.values, xs, rows, cols, n) : null;
      const label = `${GGML_TYPE_LAYOUT[type].name} [${rows}, ${cols}] n=${n}`;
      const diff = assertWithin(backend.view(actual), backend.view(expected), bound, 1e-4, label);
      diffs.push(`${label}: ${diff.toExponential(2)}`);
      if (!QUANTIZED.has(type)) return;

      // Against the reference fed the same 8-bit activations, only f32 rounding remains.
      const exact = backend.allocF32(n * rows);
      reference.matmul(exact, fill(backend, quantizeActivations(xs)), w, n);
      const exactDiff = assertWithin(backend.view(actual), backend.view(exact), null, 5e-5, `${label} on quantized activations`);
      diffs.push(`same activations: ${exactDiff.toExponential(2)}`);
    }

    test('matmul every type and shape', () => {
      const random = makeRandom(100 + threads);
      for (const type of ALL_TYPES) {
        // Small products run on the calling thread alone; [37, 2048] n=7 and n=64 are split across threads.
        for (const [rows, cols, n] of [[37, 256, 1], [5, 512, 7], [64, 256, 64], [1, 768, 3], [37, 2048, 7]]) checkMatmul(type, rows, cols, n, random);
      }
    });

    test('matmul float types with odd widths', () => {
      const random = makeRandom(7);
      for (const type of [GgmlType.F32, GgmlType.F16, GgmlType.BF16]) checkMatmul(type, 9, 45, 7, random);
    });

    test('getRows matches reference for every type', () => {
      const random = makeRandom(20);
      for (const type of ALL_TYPES) {
        const rows = 5;
        const cols = 512;
        const table = placeWeight(backend.arena, 'token_embd', type, rows, cols, encodeRandom(type, random, rows * cols).bytes);
        const ids = Int32Array.from([4, 0, 2, 4, 1, 3, 3]);
        const actual = backend.allocF32(ids.length * cols);
        const expected = backend.allocF32(ids.length * cols);
        backend.getRows(actual, table, ids);
        reference.getRows(expected, table, ids);
        const diff = assertWithin(backend.view(actual), backend.view(expected), null, 1e-6, `getRows ${GGML_TYPE_LAYOUT[type].name}`);
        diffs.push(`getRows ${GGML_TYPE_LAYOUT[type].name}: ${diff.toExponential(2)}`);
        assert.throws(() => backend.getRows(actual, table, Int32Array.from([5])), /row id 5 at index 0 is outside tensor token_embd/);
      }
    });

    // The smallest shape runs on the calling thread alone; the others are split across threads.
    const rows4Shapes: [GgmlType, number, number, number][] = [
      [GgmlType.Q8_0, 8, 64, 3], [GgmlType.Q8_0, 36, 896, 1], [GgmlType.Q8_0, 64, 512, 21],
      [GgmlType.Q4_K, 8, 512, 3], [GgmlType.Q4_K, 36, 1024, 1], [GgmlType.Q4_K, 64, 512, 21],
      [GgmlType.F16, 8, 64, 3], [GgmlType.F16, 36, 1024, 1], [GgmlType.F16, 64, 520, 21],
    ];
    test('rows4 layout keeps values and products', () => {
      const random = makeRandom(40 + threads);
      for (const [type, rows, cols, n] of rows4Shapes) {
        const encoded = encodeRandom(type, random, rows * cols);
        const plain = placeWeight(backend.arena, 'plain', type, rows, cols, encoded.bytes);
        const w = placeWeight(backend.arena, 'w', type, rows, cols, encoded.bytes);
        backend.prepareWeights([w]);
        assert.equal(w.interleaved, true);
        const moved = backend.arena.bytes(w.shard, w.offset, w.nbytes);
        assert.notDeepEqual(moved, encoded.bytes, 'the bytes were rewritten');
        // Row 1 starts rowBytes into the plain tensor. In Q8_0 its first scale follows row 0's, in
        // Q4_K its first super-block, in F16 its first 8 values.
        const rowBytes = (cols / GGML_TYPE_LAYOUT[type].blockSize) * GGML_TYPE_LAYOUT[type].blockBytes;
        const movedAt = { [GgmlType.Q8_0]: 2, [GgmlType.Q4_K]: 144, [GgmlType.F16]: 16 }[type as number] ?? 0;
        assert.deepEqual([moved[movedAt], moved[movedAt + 1]], [encoded.bytes[rowBytes], encoded.bytes[rowBytes + 1]]);
        backend.prepareWeights([w]); // a second call leaves an interleaved tensor alone
        assert.deepEqual(backend.arena.bytes(w.shard, w.offset, w.nbytes), moved);

        assert.deepEqual(weightToF32(backend.arena, w), weightToF32(backend.arena, plain));
        const ids = Int32Array.from({ length: 9 }, (_, i) => (i * 7 + 3) % rows);
        for (const kernels of [backend, reference]) {
          const fromInterleaved = kernels.allocF32(ids.length * cols);
          const fromPlain = kernels.allocF32(ids.length * cols);
          kernels.getRows(fromInterleaved, w, ids);
          kernels.getRows(fromPlain, plain, ids);
          assert.deepEqual(kernels.view(fromInterleaved), kernels.view(fromPlain), `getRows on ${kernels.name}`);
        }

        const xs = randomValues(random, n * cols);
        const x = fill(backend, xs);
        const actual = backend.allocF32(n * rows);
        const onPlain = backend.allocF32(n * rows);
        const expected = backend.allocF32(n * rows);
        backend.matmul(actual, x, w, n);
        backend.matmul(onPlain, x, plain, n);
        reference.matmul(expected, x, plain, n);
        const label = `interleaved ${GGML_TYPE_LAYOUT[type].name} [${rows}, ${cols}] n=${n}`;
        const bound = QUANTIZED.has(type) ? quantizationBound(encoded.values, xs, rows, cols, n) : null;
        const diff = assertWithin(backend.view(actual), backend.view(expected), bound, 1e-4, label);
        // Both wasm kernels see the same activations; only the order of f32 operations differs.
        assertWithin(backend.view(actual), backend.view(onPlain), null, 2e-5, `${label} against the plain kernel`);
        const onInterleaved = backend.allocF32(n * rows);
        reference.matmul(onInterleaved, x, w, n);
        assert.deepEqual(backend.view(onInterleaved), backend.view(expected), `${label}: the reference reads both layouts alike`);
        diffs.push(`${label}: ${diff.toExponential(2)}`);
      }
      // Row counts that are not a multiple of 4, and other types, stay as they are.
      const odd = placeWeight(backend.arena, 'odd', GgmlType.Q8_0, 37, 64, encodeRandom(GgmlType.Q8_0, random, 37 * 64).bytes);
      const q4 = placeWeight(backend.arena, 'q4', GgmlType.Q4_0, 8, 64, encodeRandom(GgmlType.Q4_0, random, 8 * 64).bytes);
      backend.prepareWeights([odd, q4]);
      assert.equal(odd.interleaved, undefined);
      assert.equal(q4.interleaved, undefined);
    });

    test('rmsNorm matches reference', () => {
      const random = makeRandom(21);
      for (const [n, d] of [[1, 64], [7, 130], [64, 256]]) {
        const x = fill(backend, randomValues(random, n * d, 3));
        const weightValues = randomValues(random, d);
        const weight = placeWeight(backend.arena, 'norm', GgmlType.F32, 1, d, encodeFloat(GgmlType.F32, weightValues).bytes);
        const actual = backend.allocF32(n * d);
        const expected = backend.allocF32(n * d);
        backend.rmsNorm(actual, x, weight, n, d, 1e-5);
        reference.rmsNorm(expected, x, weight, n, d, 1e-5);
        const diff = assertWithin(backend.view(actual), backend.view(expected), null, 2e-5, `rmsNorm n=${n} d=${d}`);
        diffs.push(`rmsNorm n=${n}: ${diff.toExponential(2)}`);
      }
    });

    test('rope matches reference for both styles', () => {
      const random = makeRandom(22);
      for (const style of ['neox', 'interleaved'] as const) {
        const n = 7;
        const heads = 3;
        const hd = 64;
        const values = randomValues(random, n * heads * hd);
        const invFreq = Float32Array.from({ length: hd / 2 }, (_, j) => 10000 ** (-(2 * j) / hd));
        const positions = Int32Array.from({ length: n }, (_, i) => 3 + 5 * i);
        const actual = fill(backend, values);
        const expected = fill(backend, values);
        backend.rope(actual, n, heads, hd, positions, { invFreq, style });
        reference.rope(expected, n, heads, hd, positions, { invFreq, style });
        const diff = assertWithin(backend.view(actual), backend.view(expected), null, 1e-5, `rope ${style}`);
        diffs.push(`rope ${style}: ${diff.toExponential(2)}`);
      }
    });

    test('swiglu and add match reference above the local size', () => {
      const random = makeRandom(23);
      for (const count of [1, 37, 40_001]) {
        const gate = randomValues(random, count, 6);
        const up = randomValues(random, count);
        const actual = fill(backend, gate);
        const expected = fill(backend, gate);
        const upBuf = fill(backend, up);
        backend.swiglu(actual, actual, upBuf, count);
        reference.swiglu(expected, expected, upBuf, count);
        const swigluDiff = assertWithin(backend.view(actual), backend.view(expected), null, 1e-5, `swiglu ${count}`);
        backend.add(actual, upBuf, count);
        reference.add(expected, upBuf, count);
        const addDiff = assertWithin(backend.view(actual), backend.view(expected), null, 1e-5, `add ${count}`);
        diffs.push(`swiglu ${count}: ${swigluDiff.toExponential(2)}, add: ${addDiff.toExponential(2)}`);
      }
    });

    test('attention matches reference', () => {
      const random = makeRandom(24);
      // The last two are large enough to be split across threads; head size 36 covers the 4-wide tail.
      for (const [n, start, nh, nkv, hd] of [[1, 0, 4, 2, 64], [1, 33, 8, 2, 32], [7, 5, 4, 4, 16], [3, 10, 2, 1, 36], [64, 0, 2, 1, 64], [9, 100, 6, 2, 64]]) {
        const capacity = start + n + 3;
        const q = fill(backend, randomValues(random, n * nh * hd, 2));
        const keys = fill(backend, randomValues(random, capacity * nkv * hd, 2));
        const values = fill(backend, randomValues(random, capacity * nkv * hd));
        const actual = backend.allocF32(n * nh * hd);
        const expected = backend.allocF32(n * nh * hd);
        backend.attention(actual, q, keys, values, n, start, nh, nkv, hd);
        reference.attention(expected, q, keys, values, n, start, nh, nkv, hd);
        const label = `attention n=${n} start=${start} nh=${nh} nkv=${nkv} hd=${hd}`;
        const diff = assertWithin(backend.view(actual), backend.view(expected), null, 1e-5, label);
        diffs.push(`${label}: ${diff.toExponential(2)}`);
      }
    });
  });
}

test('matmul across arena memories', async () => {
  // Memories of 8 MiB put the weight in one shard and the activations and output in another,
  // created after the backend started, so it must be announced to the workers.
  const arena = new Arena(8 << 20);
  const backend = await createBackend({ threads: 2, arena });
  try {
    const reference = new ReferenceBackend(arena);
    const random = makeRandom(31);
    const rows = 300;
    const cols = 1024;
    const n = 70;
    const encoded = encodeRandom(GgmlType.Q8_0, random, rows * cols);
    const w = placeWeight(arena, 'w', GgmlType.Q8_0, rows, cols, encoded.bytes);
    // The staged output of a matmul takes half the scratch area, so a pass covers rowsPerPass rows.
    // That is not a multiple of 4 here, so an interleaved tensor must round it down to whole groups.
    const rowsPerPass = Math.floor(STAGING_BYTES / 2 / (4 * n));
    assert.notEqual(rowsPerPass % 4, 0);
    const bigRows = rowsPerPass - (rowsPerPass % 4) + 8;
    const big = encodeRandom(GgmlType.Q8_0, random, bigRows * cols);
    const wi = placeWeight(arena, 'wi', GgmlType.Q8_0, bigRows, cols, big.bytes);
    arena.alloc((8 << 20) - arena.totalBytes - 1024); // fills the first memory
    const xs = randomValues(random, n * cols);
    const x = fill(backend, xs);
    const actual = backend.allocF32(n * rows);
    const expected = backend.allocF32(n * rows);
    assert.notEqual(x.shard, w.shard);
    assert.equal(actual.shard, x.shard);
    backend.matmul(actual, x, w, n);
    reference.matmul(expected, x, w, n);
    const bound = quantizationBound(encoded.values, xs, rows, cols, n);
    const diff = assertWithin(backend.view(actual), backend.view(expected), bound, 1e-4, 'cross-memory Q8_0');
    console.log(`cross-memory Q8_0 [${rows}, ${cols}] n=${n}: max diff ${diff.toExponential(2)}`);

    // An interleaved tensor whose output is staged in two passes split at a whole four-row group.
    backend.prepareWeights([wi]);
    assert.equal(wi.interleaved, true);
    assert.notEqual(wi.shard, x.shard);
    const yi = backend.allocF32(n * bigRows);
    const ei = backend.allocF32(n * bigRows);
    backend.matmul(yi, x, wi, n);
    reference.matmul(ei, x, wi, n);
    assertWithin(backend.view(yi), backend.view(ei), quantizationBound(big.values, xs, bigRows, cols, n), 1e-4, 'cross-memory interleaved Q8_0');

    const f32 = encodeRandom(GgmlType.F32, random, 40 * cols);
    const wf = placeWeight(arena, 'wf', GgmlType.F32, 40, cols, f32.bytes);
    const yf = backend.allocF32(n * 40);
    const ef = backend.allocF32(n * 40);
    backend.matmul(yf, x, wf, n);
    reference.matmul(ef, x, wf, n);
    assertWithin(backend.view(yf), backend.view(ef), null, 1e-4, 'cross-memory F32');
  } finally {
    await backend.close();
  }
});

test('worker kernel failure is reported', async () => {
  const arena = new Arena();
  const pool = await KernelPool.start(loadKernelModule(), arena.memories, 2);
  try {
    // F32 matmul of 16 rows writing its output to the last 32 bytes of the 1 MiB memory: rows 0..7
    // (the calling thread's share) fit, rows 8..15 (the worker's share) are out of bounds.
    const memoryBytes = arena.memories[0].buffer.byteLength;
    const args = [memoryBytes - 32, 16, STAGING_OFFSET, STAGING_OFFSET, 1, 4];
    args.forEach((value, k) => pool.setArg(k, value));
    assert.throws(() => pool.dispatch(Op.MatmulF32, 0, 16, 4), /kernel worker 1 failed on operation \d+: .*out of bounds/);

    // The pool stays usable: the same call within bounds succeeds on both threads.
    pool.setArg(0, memoryBytes - 64);
    pool.dispatch(Op.MatmulF32, 0, 16, 4);
  } finally {
    await pool.close();
  }
});
