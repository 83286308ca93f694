// GGUF writer and reader: round trips of every value type in versions 2 and 3, and a cross-check
// of the parsed header against node-llama-cpp's own GGUF parser.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { readGgufFileInfo } from 'node-llama-cpp';

import { readGgufHeader } from '../../src/model/gguf-reader.js';
import { gguf, GgufValueType, type GgufEntry } from '../../src/model/gguf-types.js';
import { writeGguf } from '../../src/model/gguf-writer.js';
import { GgmlType } from '../../src/model/types.js';
import { generateTestModel } from '../../tools/testmodel/generate.js';
import { scratchDir } from './helpers.js';

const dir = scratchDir('gguf');

const METADATA: [string, GgufEntry][] = [
  ['general.architecture', gguf.str('llama')],
  ['test.u8', gguf.u8(250)],
  ['test.i8', gguf.i8(-120)],
  ['test.u16', gguf.u16(65000)],
  ['test.i16', gguf.i16(-32000)],
  ['test.u32', gguf.u32(4_000_000_000)],
  ['test.i32', gguf.i32(-2_000_000_000)],
  ['test.f32', gguf.f32(0.5)],
  ['test.f64', gguf.f64(Math.PI)],
  ['test.u64', gguf.u64(2n ** 63n + 5n)],
  ['test.i64', gguf.i64(-(2n ** 62n))],
  ['test.bool', gguf.bool(true)],
  ['test.string', gguf.str('héllo wörld ✓')],
  ['test.strings', gguf.array(GgufValueType.STRING, ['a', '', 'Ġthe'])],
  ['test.ints', gguf.array(GgufValueType.INT32, [1, -2, 3])],
  ['test.floats', gguf.array(GgufValueType.FLOAT32, [0.25, -1.5])],
  ['test.nested', gguf.array(GgufValueType.ARRAY, [{ itemType: GgufValueType.UINT8, items: [1, 2] }, { itemType: GgufValueType.BOOL, items: [false] }])],
];

function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

for (const version of [2, 3] as const) {
  test(`GGUF v${version} round trip keeps values and types`, () => {
    const path = join(dir, `round-trip-v${version}.gguf`);
    const matrix = f32Bytes(Array.from({ length: 64 * 3 }, (_, i) => i / 7));
    const vector = f32Bytes([1, 2, 3, 4]);
    writeGguf(path, {
      version,
      metadata: METADATA,
      tensors: [
        { name: 'matrix', dims: [64, 3], type: GgmlType.F32, data: matrix },
        { name: 'vector', dims: [4], type: GgmlType.F32, data: () => [vector.subarray(0, 8), vector.subarray(8)] },
      ],
    });
    const header = readGgufHeader(path);
    assert.equal(header.version, version);
    assert.deepEqual([...header.metadata.entries()], METADATA);
    assert.equal(header.tensors.length, 2);
    assert.deepEqual(header.tensors[0].dims, [64, 3]);
    assert.deepEqual(header.tensors[1].dims, [4]);
    assert.equal(header.dataOffset % 32, 0);

    const bytes = readFileSync(path);
    const [first, second] = header.tensors;
    assert.deepEqual(new Uint8Array(bytes.subarray(first.fileOffset, first.fileOffset + first.nbytes)), matrix);
    assert.deepEqual(new Uint8Array(bytes.subarray(second.fileOffset, second.fileOffset + second.nbytes)), vector);
    assert.equal(second.relativeOffset % 32, 0);
  });
}

test('GGUF alignment key moves tensor offsets', () => {
  const path = join(dir, 'aligned.gguf');
  writeGguf(path, {
    metadata: [['general.alignment', gguf.u32(256)]],
    tensors: [
      { name: 'a', dims: [3], type: GgmlType.F32, data: f32Bytes([1, 2, 3]) },
      { name: 'b', dims: [1], type: GgmlType.F32, data: f32Bytes([4]) },
    ],
  });
  const header = readGgufHeader(path);
  assert.equal(header.alignment, 256);
  assert.equal(header.dataOffset % 256, 0);
  assert.equal(header.tensors[1].relativeOffset, 256);
  const bytes = readFileSync(path);
  assert.equal(bytes.readFloatLE(header.tensors[1].fileOffset), 4);
});

test('GGUF header matches node-llama-cpp parser', async () => {
  const files = generateTestModel({ seed: 3, out: join(dir, 'model'), formats: ['gguf-q8_0'] });
  const path = files.gguf['gguf-q8_0']!;
  const ours = readGgufHeader(path);
  const theirs = await readGgufFileInfo(path, { logWarnings: false });
  assert.equal(ours.version, theirs.version);
  assert.equal(ours.tensors.length, theirs.tensorInfo?.length);
  for (const [i, tensor] of ours.tensors.entries()) {
    const other = theirs.tensorInfo![i];
    assert.equal(tensor.name, other.name);
    assert.deepEqual(tensor.dims, other.dimensions.map(Number));
    assert.equal(tensor.type, other.ggmlType as number);
    assert.equal(tensor.fileOffset, Number(other.fileOffset));
  }
  const metadata = theirs.metadata as unknown as Record<string, Record<string, unknown>>;
  assert.equal(metadata.llama.embedding_length, ours.metadata.get('llama.embedding_length')?.value);
  assert.equal(metadata.llama.block_count, ours.metadata.get('llama.block_count')?.value);
  const tokens = (metadata.tokenizer.ggml as Record<string, unknown>).tokens as string[];
  assert.deepEqual(tokens, (ours.metadata.get('tokenizer.ggml.tokens')?.value as unknown as { items: string[] }).items);
});
