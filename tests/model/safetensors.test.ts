// safetensors writer and reader: round trips of each dtype with metadata, and headers that lie.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { readSafetensors, SAFETENSORS_LIMITS, writeSafetensors } from '../../src/model/safetensors.js';
import { assertModelFileError, scratchDir } from './helpers.js';

const dir = scratchDir('safetensors');
let counter = 0;

function fileWithHeader(header: unknown, dataBytes: number, headerText?: string): string {
  const json = Buffer.from(headerText ?? JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const path = join(dir, `case-${counter++}.safetensors`);
  writeFileSync(path, Buffer.concat([length, json, Buffer.alloc(dataBytes)]));
  return path;
}

test('safetensors round trip keeps dtype values', () => {
  const path = join(dir, 'round-trip.safetensors');
  const values = new Float32Array([0, 1, -2.5, 1 / 3, 65504, 1e-3]);
  writeSafetensors(path, [
    { name: 'f32', dtype: 'F32', shape: [2, 3], data: values },
    { name: 'f16', dtype: 'F16', shape: [6], data: values },
    { name: 'bf16', dtype: 'BF16', shape: [3, 2], data: values },
  ], { purpose: 'test', layer: '7' });

  const file = readSafetensors(path);
  assert.deepEqual(file.metadata, { purpose: 'test', layer: '7' });
  assert.deepEqual([...file.tensors.keys()], ['f32', 'f16', 'bf16']);
  assert.deepEqual(file.tensors.get('bf16')?.shape, [3, 2]);
  assert.deepEqual(file.readTensorF32('f32'), values);
  const f16 = file.readTensorF32('f16');
  const bf16 = file.readTensorF32('bf16');
  for (let i = 0; i < values.length; i++) {
    assert.ok(Math.abs(f16[i] - values[i]) <= Math.abs(values[i]) * 2 ** -11, `F16 value ${i}: ${f16[i]} vs ${values[i]}`);
    assert.ok(Math.abs(bf16[i] - values[i]) <= Math.abs(values[i]) * 2 ** -8, `BF16 value ${i}: ${bf16[i]} vs ${values[i]}`);
  }
  assert.equal(f16[2], -2.5);
  assert.equal(bf16[1], 1);
  // The data section starts at a multiple of 8 bytes.
  assert.equal((8 + Number(readFileSync(path).readBigUInt64LE(0))) % 8, 0);
});

test('safetensors raw bytes and empty tensors round trip', () => {
  const path = join(dir, 'raw.safetensors');
  const raw = new Uint8Array(new Float32Array([4, 5]).buffer);
  writeSafetensors(path, [
    { name: 'raw', dtype: 'F32', shape: [2], data: raw },
    { name: 'empty', dtype: 'F16', shape: [0, 4], data: new Uint8Array(0) },
  ]);
  const file = readSafetensors(path);
  assert.deepEqual(file.metadata, {});
  assert.deepEqual(file.readTensorF32('raw'), new Float32Array([4, 5]));
  assert.equal(file.readTensorF32('empty').length, 0);
});

test('header length larger than the file is rejected', () => {
  const path = fileWithHeader({}, 0);
  const bytes = readFileSync(path);
  bytes.writeBigUInt64LE(10_000n);
  writeFileSync(path, bytes);
  assertModelFileError(() => readSafetensors(path), [path, 'header length of 2..', `file size ${bytes.length}`, 'found 10000']);
});

test('header length over the limit is rejected', () => {
  const path = fileWithHeader({}, 0);
  const bytes = readFileSync(path);
  bytes.writeBigUInt64LE(2n ** 62n);
  writeFileSync(path, bytes);
  assertModelFileError(() => readSafetensors(path), [path, 'SAFETENSORS_LIMITS.maxHeaderBytes', String(2n ** 62n)]);
  assert.ok(SAFETENSORS_LIMITS.maxHeaderBytes < 2 ** 62);
});

test('file shorter than the length field is rejected', () => {
  const path = join(dir, 'short.safetensors');
  writeFileSync(path, Buffer.alloc(5));
  assertModelFileError(() => readSafetensors(path), [path, 'at least 8 bytes', '5 bytes']);
});

test('invalid header JSON is rejected', () => {
  const path = fileWithHeader(undefined, 0, '{"a": {"dtype": "F32",');
  assertModelFileError(() => readSafetensors(path), [path, 'JSON object', 'invalid JSON']);
});

test('header that is not an object is rejected', () => {
  const path = fileWithHeader([1, 2], 0);
  assertModelFileError(() => readSafetensors(path), [path, 'JSON object', 'an array']);
});

test('overlapping data_offsets are rejected', () => {
  const path = fileWithHeader({
    a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
    b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
  }, 24);
  assertModelFileError(() => readSafetensors(path), [path, "tensor 'b'", "end of 'a'", 'overlap']);
});

test('data_offsets past the file are rejected', () => {
  const path = fileWithHeader({ a: { dtype: 'F32', shape: [4], data_offsets: [16, 32] } }, 20);
  assertModelFileError(() => readSafetensors(path), [path, "tensor 'a'", 'to end within the file', 'file size']);
});

test('data_offsets disagreeing with the shape are rejected', () => {
  const path = fileWithHeader({ a: { dtype: 'BF16', shape: [2, 3], data_offsets: [0, 16] } }, 16);
  assertModelFileError(() => readSafetensors(path), [path, "tensor 'a'", 'BF16 [2, 3]', '12 bytes', '[0, 16], 16 bytes']);
});

test('reversed data_offsets are rejected', () => {
  const path = fileWithHeader({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, 8);
  assertModelFileError(() => readSafetensors(path), [path, "data_offsets of tensor 'a'", '[8,0]']);
});

test('absurd shape is rejected', () => {
  const path = fileWithHeader({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 16] } }, 16);
  assertModelFileError(() => readSafetensors(path), [path, "tensor 'a'", `[${2 ** 40}, ${2 ** 40}]`, '[0, 16], 16 bytes']);
});

test('unsupported dtype is rejected', () => {
  const path = fileWithHeader({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, 8);
  assertModelFileError(() => readSafetensors(path), [path, "tensor 'a'", 'F32, F16, BF16', '"I64"']);
});

test('negative shape is rejected', () => {
  const path = fileWithHeader({ a: { dtype: 'F32', shape: [-1, 4], data_offsets: [0, 16] } }, 16);
  assertModelFileError(() => readSafetensors(path), [path, "tensor 'a'", 'non-negative integers', '[-1,4]']);
});

test('non-string metadata is rejected', () => {
  const path = fileWithHeader({ __metadata__: { layer: 7 } }, 0);
  assertModelFileError(() => readSafetensors(path), [path, "__metadata__['layer']", '7']);
});

test('unknown tensor name is rejected on read', () => {
  const path = join(dir, 'named.safetensors');
  writeSafetensors(path, [{ name: 'x', dtype: 'F32', shape: [1], data: new Float32Array([1]) }]);
  assertModelFileError(() => readSafetensors(path).readTensorF32('y'), [path, "tensor named 'y'", 'only x']);
});
