// Reference quantizers: round trips through the kernels' dequantizer, and hand-checked blocks.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dequantize } from '../../src/kernels/reference/dequant.js';
import { F16_TABLE } from '../../src/kernels/reference/half.js';
import { quantize } from '../../src/model/quantize.js';
import { GGML_TYPE_LAYOUT, GgmlType } from '../../src/model/types.js';
import { Xoshiro128 } from '../../tools/testmodel/prng.js';

function randomValues(count: number, seed: number): Float32Array {
  const random = new Xoshiro128(seed, 'quantize');
  return Float32Array.from({ length: count }, () => random.nextNormal() * 0.05);
}

/** Largest round-trip error relative to the largest magnitude of each 256-value span. */
function relativeError(type: GgmlType, values: Float32Array): number {
  const decoded = new Float32Array(values.length);
  dequantize(type, quantize(type, values), 0, values.length, decoded);
  let worst = 0;
  for (let start = 0; start < values.length; start += 256) {
    let scale = 0;
    for (let i = start; i < start + 256; i++) scale = Math.max(scale, Math.abs(values[i]));
    for (let i = start; i < start + 256; i++) worst = Math.max(worst, Math.abs(decoded[i] - values[i]) / scale);
  }
  return worst;
}

// Bounds: half a quantization step of each format relative to the block maximum, with slack for
// scales rounded to F16 and for the 6-bit sub-block scales of the K formats.
const BOUNDS: [GgmlType, number][] = [
  [GgmlType.F32, 0],
  [GgmlType.F16, 2 ** -11],
  [GgmlType.BF16, 2 ** -8],
  [GgmlType.Q8_0, 0.5 / 127 + 1e-3],
  [GgmlType.Q6_K, 0.5 / 31 + 0.02],
  // Q4_0 codes reach -8 d but only +7 d, so a value opposite the block's extreme can lose a full step.
  [GgmlType.Q4_0, 1 / 8 + 0.01],
  [GgmlType.Q4_K, 0.5 / 15 * 2 + 0.05],
];

for (const [type, bound] of BOUNDS) {
  const name = GGML_TYPE_LAYOUT[type].name;
  test(`${name} round trip error within bound`, () => {
    const values = randomValues(4096, type);
    const error = relativeError(type, values);
    assert.ok(error <= bound, `${name} relative error ${error.toFixed(5)} > ${bound.toFixed(5)}`);
  });
}

test('zero block quantizes to zeros', () => {
  for (const [type] of BOUNDS) {
    const decoded = new Float32Array(256);
    dequantize(type, quantize(type, new Float32Array(256)), 0, 256, decoded);
    // -0 counts as zero: a zero scale may be stored as F16 -0.
    assert.ok(decoded.every((value) => value === 0), GGML_TYPE_LAYOUT[type].name);
  }
});

test('Q8_0 block layout by hand', () => {
  const values = Float32Array.from({ length: 32 }, (_, i) => i - 16);
  const block = quantize(GgmlType.Q8_0, values);
  assert.equal(block.length, 34);
  const d = F16_TABLE[block[0] | (block[1] << 8)];
  assert.ok(Math.abs(d - 16 / 127) < 1e-4, `scale ${d}`);
  assert.equal((block[2] << 24) >> 24, -127, 'value -16 is the most negative code');
  assert.equal(block[2 + 16], 0, 'value 0');
});

test('Q4_0 block layout by hand', () => {
  const values = new Float32Array(32);
  values[0] = -8;
  values[16] = 7;
  const block = quantize(GgmlType.Q4_0, values);
  assert.equal(block.length, 18);
  // The extreme value -8 sets d = -8 / -8 = 1; byte j packs value j (low) and value j + 16 (high).
  assert.equal(F16_TABLE[block[0] | (block[1] << 8)], 1);
  assert.equal(block[2] & 0x0f, 0, 'value 0 is -8, code 0');
  assert.equal(block[2] >> 4, 15, 'value 16 is 7, code 15');
  assert.equal(block[3], 0x88, 'zeros are code 8');
});

test('Q6_K places d last', () => {
  const values = new Float32Array(256).fill(0.5);
  const block = quantize(GgmlType.Q6_K, values);
  assert.equal(block.length, 210);
  const d = F16_TABLE[block[208] | (block[209] << 8)];
  const scale0 = (block[192] << 24) >> 24;
  assert.ok(Math.abs(d * scale0 * 31 - 0.5) < 0.01, `d ${d} scale ${scale0}`);
});
