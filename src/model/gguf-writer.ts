// GGUF writer (version 3 by default, 2 on request; the two differ only in the version field for
// little-endian files). Tensor data is streamed, so a file larger than memory can be written.

import { closeSync, openSync, writeSync } from 'node:fs';

import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GgufValueType,
  type GgufArray,
  type GgufEntry,
  type GgufScalar,
} from './gguf-types.js';
import { GGML_TYPE_LAYOUT, GgmlType, tensorBytes } from './types.js';

/** Tensor bytes, either whole or as chunks produced in order (their total must be the tensor's size). */
export type TensorData = Uint8Array | (() => Iterable<Uint8Array>);

export interface GgufTensorToWrite {
  readonly name: string;
  /** ggml order: dims[0] is the contiguous dimension. */
  readonly dims: readonly number[];
  readonly type: GgmlType;
  readonly data: TensorData;
}

export interface GgufWriteOptions {
  readonly version?: 2 | 3;
  /** Entries in the order they should appear; `general.alignment` is honored when present. */
  readonly metadata: ReadonlyArray<readonly [string, GgufEntry]> | ReadonlyMap<string, GgufEntry>;
  readonly tensors: readonly GgufTensorToWrite[];
}

const encoder = new TextEncoder();

/** Growable little-endian byte builder for the header. */
class ByteBuilder {
  private bytes = new Uint8Array(1 << 16);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private reserve(n: number): number {
    if (this.length + n > this.bytes.length) {
      const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
      next.set(this.bytes.subarray(0, this.length));
      this.bytes = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  // reserve() may replace the buffer, so it runs before the view is read.
  u8(value: number): void { const at = this.reserve(1); this.view.setUint8(at, value); }
  i8(value: number): void { const at = this.reserve(1); this.view.setInt8(at, value); }
  u16(value: number): void { const at = this.reserve(2); this.view.setUint16(at, value, true); }
  i16(value: number): void { const at = this.reserve(2); this.view.setInt16(at, value, true); }
  u32(value: number): void { const at = this.reserve(4); this.view.setUint32(at, value, true); }
  i32(value: number): void { const at = this.reserve(4); this.view.setInt32(at, value, true); }
  f32(value: number): void { const at = this.reserve(4); this.view.setFloat32(at, value, true); }
  f64(value: number): void { const at = this.reserve(8); this.view.setFloat64(at, value, true); }
  u64(value: bigint | number): void { const at = this.reserve(8); this.view.setBigUint64(at, BigInt(value), true); }
  i64(value: bigint | number): void { const at = this.reserve(8); this.view.setBigInt64(at, BigInt(value), true); }

  raw(data: Uint8Array): void {
    const at = this.reserve(data.length);
    this.bytes.set(data, at);
  }

  string(value: string): void {
    const data = encoder.encode(value);
    this.u64(data.length);
    this.raw(data);
  }

  padTo(alignment: number): void {
    const padded = Math.ceil(this.length / alignment) * alignment;
    this.reserve(padded - this.length);
  }

  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

function expectType(key: string, value: unknown, jsType: string): void {
  if (typeof value !== jsType) throw new TypeError(`GGUF value for '${key}' must be a ${jsType}, got ${typeof value}`);
}

function writeScalar(out: ByteBuilder, type: GgufValueType, value: GgufScalar, key: string): void {
  switch (type) {
    case GgufValueType.STRING: expectType(key, value, 'string'); return out.string(value as string);
    case GgufValueType.BOOL: expectType(key, value, 'boolean'); return out.u8(value ? 1 : 0);
    case GgufValueType.UINT64: return out.u64(value as bigint | number);
    case GgufValueType.INT64: return out.i64(value as bigint | number);
    default: break;
  }
  expectType(key, value, 'number');
  const n = value as number;
  switch (type) {
    case GgufValueType.UINT8: return out.u8(n);
    case GgufValueType.INT8: return out.i8(n);
    case GgufValueType.UINT16: return out.u16(n);
    case GgufValueType.INT16: return out.i16(n);
    case GgufValueType.UINT32: return out.u32(n);
    case GgufValueType.INT32: return out.i32(n);
    case GgufValueType.FLOAT32: return out.f32(n);
    case GgufValueType.FLOAT64: return out.f64(n);
    default: throw new TypeError(`GGUF value type ${type} of '${key}' is not a scalar type`);
  }
}

function writeArray(out: ByteBuilder, array: GgufArray, key: string): void {
  out.u32(array.itemType);
  out.u64(array.items.length);
  for (const item of array.items) {
    if (array.itemType === GgufValueType.ARRAY) writeArray(out, item as GgufArray, key);
    else writeScalar(out, array.itemType, item as GgufScalar, key);
  }
}

function alignmentOf(entries: ReadonlyArray<readonly [string, GgufEntry]>): number {
  const entry = entries.find(([key]) => key === 'general.alignment');
  return entry === undefined ? GGUF_DEFAULT_ALIGNMENT : Number(entry[1].value);
}

/** Returns each tensor's byte size and its offset from the start of the data section. */
function layoutTensors(tensors: readonly GgufTensorToWrite[], alignment: number): { nbytes: number; offset: number }[] {
  let offset = 0;
  return tensors.map((tensor) => {
    if (GGML_TYPE_LAYOUT[tensor.type] === undefined) throw new TypeError(`tensor '${tensor.name}' has unsupported type id ${tensor.type}`);
    const nbytes = tensorBytes(tensor.type, tensor.dims.reduce((a, b) => a * b, 1));
    const placed = { nbytes, offset };
    offset = Math.ceil((offset + nbytes) / alignment) * alignment;
    return placed;
  });
}

function* chunksOf(data: TensorData): Iterable<Uint8Array> {
  if (data instanceof Uint8Array) yield data;
  else yield* data();
}

/** Writes a GGUF file to `path`, replacing any file there. */
export function writeGguf(path: string, options: GgufWriteOptions): void {
  const entries = options.metadata instanceof Map ? [...options.metadata.entries()] : [...(options.metadata as ReadonlyArray<readonly [string, GgufEntry]>)];
  const alignment = alignmentOf(entries);
  const placements = layoutTensors(options.tensors, alignment);

  const header = new ByteBuilder();
  header.u32(GGUF_MAGIC);
  header.u32(options.version ?? 3);
  header.u64(options.tensors.length);
  header.u64(entries.length);
  for (const [key, entry] of entries) {
    header.string(key);
    header.u32(entry.type);
    if (entry.type === GgufValueType.ARRAY) writeArray(header, entry.value, key);
    else writeScalar(header, entry.type, entry.value, key);
  }
  options.tensors.forEach((tensor, i) => {
    header.string(tensor.name);
    header.u32(tensor.dims.length);
    for (const dim of tensor.dims) header.u64(dim);
    header.u32(tensor.type);
    header.u64(placements[i].offset);
  });
  header.padTo(alignment);

  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header.result());
    const dataStart = header.length;
    let position = dataStart;
    options.tensors.forEach((tensor, i) => {
      const start = dataStart + placements[i].offset;
      if (start > position) writeSync(fd, new Uint8Array(start - position));
      position = start;
      for (const chunk of chunksOf(tensor.data)) {
        writeSync(fd, chunk);
        position += chunk.length;
      }
      if (position - start !== placements[i].nbytes) {
        throw new RangeError(`tensor '${tensor.name}' data has ${position - start} bytes, expected ${placements[i].nbytes}`);
      }
    });
  } finally {
    closeSync(fd);
  }
}
