// Hostile GGUF headers: each damaged file must raise a ModelFileError that names the file, the
// expectation and the value found.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { GGUF_LIMITS, readGgufHeader } from '../../src/model/gguf-reader.js';
import { gguf, GgufValueType } from '../../src/model/gguf-types.js';
import { writeGguf } from '../../src/model/gguf-writer.js';
import { GgmlType } from '../../src/model/types.js';
import { assertModelFileError, scratchDir } from './helpers.js';

const dir = scratchDir('gguf-hostile');
let counter = 0;

/** Writes a valid file with one metadata string, tensors 'alpha' (F32 [32, 2]) and 'beta' (F32 [4]), and returns its bytes. */
function validFile(): Buffer {
  const path = join(dir, 'valid.gguf');
  writeGguf(path, {
    metadata: [['general.name', gguf.str('tiny')], ['list', gguf.array(GgufValueType.INT32, [1, 2, 3])]],
    tensors: [
      { name: 'alpha', dims: [32, 2], type: GgmlType.F32, data: new Uint8Array(256) },
      { name: 'beta', dims: [4], type: GgmlType.F32, data: new Uint8Array(16) },
    ],
  });
  return readFileSync(path);
}

function saved(bytes: Uint8Array): string {
  const path = join(dir, `case-${counter++}.gguf`);
  writeFileSync(path, bytes);
  return path;
}

/** Offset of the n_dims field of the tensor record named `name`. */
function tensorRecord(bytes: Buffer, name: string): number {
  const at = bytes.indexOf(Buffer.from(name, 'utf8'), 24);
  assert.ok(at > 0, `tensor name ${name} not found`);
  return at + name.length;
}

test('valid file parses', () => {
  const header = readGgufHeader(saved(validFile()));
  assert.equal(header.tensors.length, 2);
});

test('bad magic is rejected', () => {
  const bytes = validFile();
  bytes.write('GGML', 0, 'latin1');
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, 'GGUF magic', '47 47 4d 4c']);
});

test('unknown version is rejected', () => {
  const bytes = validFile();
  bytes.writeUInt32LE(7, 4);
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, 'version 2 or 3', 'version 7']);
});

test('version 1 is rejected', () => {
  const bytes = validFile();
  bytes.writeUInt32LE(1, 4);
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, 'version 2 or 3', 'version 1']);
});

test('truncated header is rejected', () => {
  const bytes = validFile();
  const path = saved(bytes.subarray(0, 40));
  assertModelFileError(() => readGgufHeader(path), [path, 'truncated', 'file size 40']);
});

test('truncated data is rejected', () => {
  const bytes = validFile();
  const path = saved(bytes.subarray(0, bytes.length - 8));
  assertModelFileError(() => readGgufHeader(path), [path, "tensor 'beta'", '16 bytes', `file size ${bytes.length - 8}`]);
});

test('absurd tensor count is rejected', () => {
  const bytes = validFile();
  bytes.writeBigUInt64LE(10n ** 12n, 8);
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, `at most ${GGUF_LIMITS.maxTensors}`, '1000000000000']);
});

test('absurd metadata count is rejected', () => {
  const bytes = validFile();
  bytes.writeBigUInt64LE(2n ** 40n, 16);
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, `at most ${GGUF_LIMITS.maxMetadataEntries}`, String(2 ** 40)]);
});

test('string longer than the limit is rejected', () => {
  const bytes = validFile();
  // The first key's length field follows the 24-byte fixed header.
  bytes.writeBigUInt64LE(2n ** 50n, 24);
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, `at most ${GGUF_LIMITS.maxStringBytes}`, String(2 ** 50)]);
});

test('array longer than the file is rejected', () => {
  const bytes = validFile();
  const at = bytes.indexOf(Buffer.from('list', 'utf8')) + 4 + 4 + 4;
  bytes.writeBigUInt64LE(1_000_000n, at);
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, "array 'list' of 1000000 INT32", 'bytes left']);
});

test('unknown value type is rejected', () => {
  const bytes = validFile();
  const at = bytes.indexOf(Buffer.from('general.name', 'utf8')) + 'general.name'.length;
  bytes.writeUInt32LE(99, at);
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, 'GGUF value type', '99']);
});

test('too many dimensions are rejected', () => {
  const bytes = validFile();
  bytes.writeUInt32LE(9, tensorRecord(bytes, 'alpha'));
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, "tensor 'alpha'", `1..${GGUF_LIMITS.maxDims} dimensions`, '9 at offset']);
});

test('absurd dimension is rejected', () => {
  const bytes = validFile();
  bytes.writeBigUInt64LE(2n ** 60n, tensorRecord(bytes, 'alpha') + 4);
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, "dimension 0 of tensor 'alpha'", String(2n ** 60n)]);
});

test('zero dimension is rejected', () => {
  const bytes = validFile();
  bytes.writeBigUInt64LE(0n, tensorRecord(bytes, 'alpha') + 4);
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, "dimension 0 of tensor 'alpha' to be positive", 'found 0']);
});

test('unknown tensor type is rejected', () => {
  const bytes = validFile();
  bytes.writeUInt32LE(13, tensorRecord(bytes, 'alpha') + 4 + 16);
  const path = saved(bytes);
  const error = assertModelFileError(() => readGgufHeader(path), [path, "tensor 'alpha'", 'type id 13', 'F32, F16', 'Q4_K', 'Q6_K', 'BF16']);
  assert.equal(error.details.found, `type id 13 at offset ${tensorRecord(bytes, 'alpha') + 4 + 16}`);
});

test('row not a whole block is rejected', () => {
  const bytes = validFile();
  bytes.writeUInt32LE(GgmlType.Q8_0, tensorRecord(bytes, 'beta') + 4 + 8);
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, "Q8_0 tensor 'beta'", 'multiple of 32', 'found 4']);
});

test('tensor offset past the end is rejected', () => {
  const bytes = validFile();
  const { dataOffset } = readGgufHeader(saved(bytes));
  // An aligned offset that still lies inside the file, so only the tensor's end is past it.
  const offset = Math.ceil((bytes.length - dataOffset - 8) / 32) * 32;
  bytes.writeBigUInt64LE(BigInt(offset), tensorRecord(bytes, 'beta') + 4 + 8 + 4);
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, "tensor 'beta'", `file offset ${dataOffset + offset}`, 'to end within the file', `file size ${bytes.length}`]);
});

test('tensor offset beyond file size is rejected', () => {
  const bytes = validFile();
  bytes.writeBigUInt64LE(2n ** 40n, tensorRecord(bytes, 'beta') + 4 + 8 + 4);
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, "data offset of tensor 'beta'", `at most ${bytes.length}`, String(2 ** 40)]);
});

test('tensor size past the end is rejected', () => {
  const bytes = validFile();
  bytes.writeBigUInt64LE(400n, tensorRecord(bytes, 'beta') + 4);
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, "tensor 'beta'", 'F32 [400], 1600 bytes', `file size ${bytes.length}`]);
});

test('misaligned tensor offset is rejected', () => {
  const bytes = validFile();
  bytes.writeBigUInt64LE(260n, tensorRecord(bytes, 'beta') + 4 + 8 + 4);
  const path = saved(bytes);
  assertModelFileError(() => readGgufHeader(path), [path, "tensor 'beta'", 'multiple of the alignment 32', 'found 260']);
});

test('empty file is rejected', () => {
  const path = saved(new Uint8Array(0));
  assertModelFileError(() => readGgufHeader(path), [path, 'magic', 'file size 0']);
});
