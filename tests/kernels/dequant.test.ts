import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GgmlType, GGML_TYPE_LAYOUT } from '../../src/model/types.js';
import { dequantize } from '../../src/kernels/reference/dequant.js';
import { f32ToF16 } from '../../src/kernels/reference/half.js';
import { InputError } from '../../src/util/errors.js';
import { ALL_TYPES, encodeRandom, makeRandom, maxAbsDiff } from './blocks.js';

test('dequantize Q8_0 hand block', () => {
  const bytes = new Uint8Array(34);
  bytes[0] = 0x00;
  bytes[1] = 0x38; // f16 0x3800 = 0.5
  bytes[2] = 4;
  bytes[3] = 0xfe; // -2
  bytes[33] = 0x81; // -127
  const out = new Float32Array(32);
  dequantize(GgmlType.Q8_0, bytes, 0, 32, out);
  assert.equal(out[0], 2);
  assert.equal(out[1], -1);
  assert.equal(out[2], 0);
  assert.equal(out[31], -63.5);
});

test('dequantize Q4_0 hand block', () => {
  const bytes = new Uint8Array(18);
  bytes[0] = 0x00;
  bytes[1] = 0x40; // f16 0x4000 = 2
  bytes[2] = 0xf0; // value 0: nibble 0 -> -8; value 16: nibble 15 -> 7
  bytes[17] = 0x89; // value 15: nibble 9 -> 1; value 31: nibble 8 -> 0
  const out = new Float32Array(32);
  dequantize(GgmlType.Q4_0, bytes, 0, 32, out);
  assert.equal(out[0], -16);
  assert.equal(out[16], 14);
  assert.equal(out[15], 2);
  assert.equal(out[31], 0);
  assert.equal(out[1], -16);
});

test('dequantize Q4_K hand block', () => {
  const bytes = new Uint8Array(144);
  const d = f32ToF16(0.5);
  const dmin = f32ToF16(0.25);
  bytes[0] = d & 0xff;
  bytes[1] = d >> 8;
  bytes[2] = dmin & 0xff;
  bytes[3] = dmin >> 8;
  // Sub-block 0: scale 3, min 4. Sub-block 5: scale 0b110001 = 49, min 0b100010 = 34.
  bytes[4] = 3;
  bytes[8] = 4;
  bytes[4 + 1] |= (49 >> 4) << 6;
  bytes[8 + 1] |= (34 >> 4) << 6;
  bytes[12 + 1] = (49 & 15) | ((34 & 15) << 4);
  bytes[16] = 0x07; // value 0 (sub-block 0, low nibble) = 7
  bytes[16 + 64 + 3] = 0xa0; // value 128+32+3 = 163 (sub-block 5, high nibble) = 10
  const out = new Float32Array(256);
  dequantize(GgmlType.Q4_K, bytes, 0, 256, out);
  assert.equal(out[0], 0.5 * 3 * 7 - 0.25 * 4);
  assert.equal(out[163], 0.5 * 49 * 10 - 0.25 * 34);
  assert.equal(out[160], -0.25 * 34);
  assert.equal(out[40], 0); // sub-block 1 has scale 0 and min 0
});

test('dequantize Q6_K hand block', () => {
  const bytes = new Uint8Array(210);
  const d = f32ToF16(0.125);
  bytes[208] = d & 0xff;
  bytes[209] = d >> 8;
  for (let s = 0; s < 16; s++) bytes[192 + s] = s + 1;
  bytes[192 + 15] = 0xfe; // scale 15 = -2
  // Value 0: q = 0b10_0101 = 37 -> 5. Value 255 (second half, quarter 3, l = 31): q = 63 -> 31.
  bytes[0] = 0x05;
  bytes[128] = 0b10;
  bytes[64 + 31 + 32] |= 0xf0;
  bytes[128 + 32 + 31] |= 0b11 << 6;
  const out = new Float32Array(256);
  dequantize(GgmlType.Q6_K, bytes, 0, 256, out);
  assert.equal(out[0], 0.125 * 1 * 5);
  assert.equal(out[255], 0.125 * -2 * 31);
  assert.equal(out[16], 0.125 * 2 * -32);
});

test('dequantize random blocks of every type', () => {
  const random = makeRandom(11);
  for (const type of ALL_TYPES) {
    const count = 512;
    const encoded = encodeRandom(type, random, count);
    const out = new Float32Array(count + 8);
    // Leading padding checks that the start offset is honoured.
    const padded = new Uint8Array(encoded.bytes.length + 5);
    padded.set(encoded.bytes, 5);
    dequantize(type, padded, 5, count, out, 8);
    const diff = maxAbsDiff(out.subarray(8), encoded.values);
    assert.equal(diff, 0, `${GGML_TYPE_LAYOUT[type].name}: max diff ${diff}`);
  }
});

test('dequantize rejects short input', () => {
  const bytes = new Uint8Array(33);
  assert.throws(() => dequantize(GgmlType.Q8_0, bytes, 0, 32, new Float32Array(32)), InputError);
  assert.throws(() => dequantize(GgmlType.Q4_K, new Uint8Array(144), 0, 100, new Float32Array(256)), /multiple of the block size 256/);
  assert.throws(() => dequantize(GgmlType.Q8_0, new Uint8Array(34), 0, 32, new Float32Array(16)), InputError);
  assert.throws(() => dequantize(99 as GgmlType, new Uint8Array(34), 0, 32, new Float32Array(32)), /type id 99/);
});
