import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/kernels/reference/half.js';

const golden = JSON.parse(
  readFileSync(new URL('../../../tests/kernels/fixtures/half-golden.json', import.meta.url), 'utf8'),
) as { f32_bits: number[]; f16_bits: number[]; bf16_bits: number[] };

function fromBits(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0];
}

test('f16 known values', () => {
  assert.equal(f16ToF32(0x3c00), 1);
  assert.equal(f16ToF32(0xc000), -2);
  assert.equal(f16ToF32(0x7bff), 65504);
  assert.equal(f16ToF32(0x0001), 2 ** -24);
  assert.equal(f16ToF32(0x7c00), Infinity);
  assert.ok(Number.isNaN(f16ToF32(0x7e00)));
  assert.equal(f32ToF16(1), 0x3c00);
  assert.equal(f32ToF16(-0), 0x8000);
  assert.equal(f32ToF16(1e6), 0x7c00);
});

test('f16 round trip of every pattern', () => {
  for (let bits = 0; bits < 65536; bits++) {
    const value = f16ToF32(bits);
    if (Number.isNaN(value)) continue;
    assert.equal(f32ToF16(value), bits, `pattern 0x${bits.toString(16)} (${value})`);
  }
});

test('f16 and bf16 match numpy and torch', () => {
  for (let j = 0; j < golden.f32_bits.length; j++) {
    const value = fromBits(golden.f32_bits[j]);
    assert.equal(f32ToF16(value), golden.f16_bits[j], `f16 of ${value}`);
    assert.equal(f32ToBf16(value), golden.bf16_bits[j], `bf16 of ${value}`);
  }
  assert.ok(golden.f32_bits.length >= 300);
});

test('bf16 decodes the high half', () => {
  assert.equal(bf16ToF32(0x3f80), 1);
  assert.equal(bf16ToF32(0xc040), -3);
  assert.equal(bf16ToF32(0x7f80), Infinity);
});
