// GGUF (versions 2 and 3) header parser. The header is read through a small buffer, so parsing
// never loads tensor data, and every count and length is checked against a named limit and
// against the bytes left in the file before anything is allocated.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

import { ModelFileError } from '../util/errors.js';
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_SCALAR_BYTES,
  GgufValueType,
  type GgufArray,
  type GgufEntry,
  type GgufHeader,
  type GgufMetadata,
  type GgufScalar,
  type GgufTensorInfo,
} from './gguf-types.js';
import { GGML_TYPE_LAYOUT, GgmlType } from './types.js';

export const GGUF_LIMITS = {
  maxTensors: 65_536,
  maxMetadataEntries: 65_536,
  /** Maximum string length in bytes. Chat templates, the longest strings in real files, take tens of KB. */
  maxStringBytes: 16 * 1024 * 1024,
  /** Maximum array length. The largest real arrays, vocabularies and merge lists, have a few hundred thousand items. */
  maxArrayLength: 16 * 1024 * 1024,
  maxArrayNesting: 4,
  maxDims: 4,
  maxAlignment: 1 << 20,
} as const;

export const SUPPORTED_GGUF_VERSIONS = [2, 3] as const;

const SUPPORTED_TYPE_NAMES = Object.values(GGML_TYPE_LAYOUT).map((layout) => layout.name).join(', ');
const CHUNK_BYTES = 1 << 20;
const decoder = new TextDecoder('utf-8');

/** Sequential little-endian reads of a file through a buffer, with truncation reported by offset. */
class HeaderCursor {
  private buffer = new Uint8Array(CHUNK_BYTES);
  private view = new DataView(this.buffer.buffer);
  private bufferStart = 0;
  private bufferLength = 0;
  position = 0;

  constructor(
    private readonly fd: number,
    readonly path: string,
    readonly fileSize: number,
  ) {}

  get remaining(): number {
    return this.fileSize - this.position;
  }

  /** Makes `n` bytes at the current position available and returns their index in the buffer. */
  private fill(n: number, field: string): number {
    if (n > this.remaining) {
      throw new ModelFileError(this.path, `${n} bytes for ${field} at offset ${this.position}`, `end of file after ${this.remaining} bytes (file size ${this.fileSize})`, 'the file is truncated or not a GGUF file');
    }
    const end = this.bufferStart + this.bufferLength;
    if (this.position >= this.bufferStart && this.position + n <= end) return this.position - this.bufferStart;
    if (n > this.buffer.length) {
      this.buffer = new Uint8Array(n);
      this.view = new DataView(this.buffer.buffer);
    }
    const want = Math.min(Math.max(n, this.buffer.length), this.remaining);
    let got = 0;
    while (got < want) {
      const read = readSync(this.fd, this.buffer, got, want - got, this.position + got);
      if (read === 0) break;
      got += read;
    }
    if (got < n) throw new ModelFileError(this.path, `${n} bytes for ${field} at offset ${this.position}`, `only ${got} bytes could be read`);
    this.bufferStart = this.position;
    this.bufferLength = got;
    return 0;
  }

  u8(field: string): number {
    const at = this.fill(1, field);
    this.position += 1;
    return this.buffer[at];
  }

  u32(field: string): number {
    const at = this.fill(4, field);
    this.position += 4;
    return this.view.getUint32(at, true);
  }

  u64(field: string): bigint {
    const at = this.fill(8, field);
    this.position += 8;
    return this.view.getBigUint64(at, true);
  }

  /** Reads a uint64 that must fit in a JavaScript number and be at most `limit`. */
  count(field: string, limit: number, limitName: string): number {
    const start = this.position;
    const value = this.u64(field);
    if (value > BigInt(limit)) {
      throw new ModelFileError(this.path, `${field} at most ${limit} (${limitName})`, `${value} at offset ${start}`);
    }
    return Number(value);
  }

  scalar(type: GgufValueType, field: string): GgufScalar {
    const size = GGUF_SCALAR_BYTES[type];
    if (size === undefined) return this.string(field);
    const at = this.fill(size, field);
    this.position += size;
    const v = this.view;
    switch (type) {
      case GgufValueType.UINT8: return v.getUint8(at);
      case GgufValueType.INT8: return v.getInt8(at);
      case GgufValueType.BOOL: return v.getUint8(at) !== 0;
      case GgufValueType.UINT16: return v.getUint16(at, true);
      case GgufValueType.INT16: return v.getInt16(at, true);
      case GgufValueType.UINT32: return v.getUint32(at, true);
      case GgufValueType.INT32: return v.getInt32(at, true);
      case GgufValueType.FLOAT32: return v.getFloat32(at, true);
      case GgufValueType.UINT64: return v.getBigUint64(at, true);
      case GgufValueType.INT64: return v.getBigInt64(at, true);
      case GgufValueType.FLOAT64: return v.getFloat64(at, true);
      default: throw new Error(`no scalar reader for GGUF value type ${type}`);
    }
  }

  string(field: string): string {
    const length = this.count(`length of ${field}`, GGUF_LIMITS.maxStringBytes, 'GGUF_LIMITS.maxStringBytes');
    const at = this.fill(length, field);
    this.position += length;
    return decoder.decode(this.buffer.subarray(at, at + length));
  }

  skipTo(offset: number): void {
    this.position = offset;
  }
}

function valueTypeName(type: number): string {
  return GgufValueType[type] ?? `unknown (${type})`;
}

function readValueType(cursor: HeaderCursor, field: string): GgufValueType {
  const start = cursor.position;
  const type = cursor.u32(`value type of ${field}`);
  if (GgufValueType[type] === undefined) {
    throw new ModelFileError(cursor.path, `a GGUF value type id 0..12 for ${field}`, `${type} at offset ${start}`);
  }
  return type as GgufValueType;
}

function readArray(cursor: HeaderCursor, field: string, depth: number): GgufArray {
  if (depth > GGUF_LIMITS.maxArrayNesting) {
    throw new ModelFileError(cursor.path, `arrays nested at most ${GGUF_LIMITS.maxArrayNesting} deep (GGUF_LIMITS.maxArrayNesting) in ${field}`, `depth ${depth}`);
  }
  const itemType = readValueType(cursor, `items of ${field}`);
  const length = cursor.count(`length of array ${field}`, GGUF_LIMITS.maxArrayLength, 'GGUF_LIMITS.maxArrayLength');
  // Strings take at least their 8-byte length and arrays at least 12 bytes each.
  const minItemBytes = GGUF_SCALAR_BYTES[itemType] ?? (itemType === GgufValueType.STRING ? 8 : 12);
  if (length * minItemBytes > cursor.remaining) {
    throw new ModelFileError(cursor.path, `array ${field} of ${length} ${valueTypeName(itemType)} items (at least ${length * minItemBytes} bytes) to fit in the file`, `${cursor.remaining} bytes left at offset ${cursor.position}`);
  }
  if (itemType === GgufValueType.ARRAY) {
    const items: GgufArray[] = [];
    for (let i = 0; i < length; i++) items.push(readArray(cursor, `${field}[${i}]`, depth + 1));
    return { itemType, items };
  }
  const items: GgufScalar[] = new Array(length);
  for (let i = 0; i < length; i++) items[i] = cursor.scalar(itemType, `${field}[${i}]`);
  return { itemType, items };
}

function readEntry(cursor: HeaderCursor, key: string): GgufEntry {
  const type = readValueType(cursor, `metadata key '${key}'`);
  if (type === GgufValueType.ARRAY) return { type, value: readArray(cursor, `'${key}'`, 1) };
  return { type, value: cursor.scalar(type, `metadata value of '${key}'`) };
}

function readAlignment(path: string, metadata: GgufMetadata): number {
  const entry = metadata.get('general.alignment');
  if (entry === undefined) return GGUF_DEFAULT_ALIGNMENT;
  const value = entry.value;
  const isPowerOfTwo = typeof value === 'number' && Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0;
  if (entry.type !== GgufValueType.UINT32 || !isPowerOfTwo || value > GGUF_LIMITS.maxAlignment) {
    throw new ModelFileError(path, `general.alignment to be a UINT32 power of two up to ${GGUF_LIMITS.maxAlignment}`, `${valueTypeName(entry.type)} ${String(value)}`);
  }
  return value;
}

interface RawTensorInfo {
  name: string;
  dims: number[];
  type: GgmlType;
  relativeOffset: number;
  nbytes: number;
}

function readTensorInfo(cursor: HeaderCursor, index: number): RawTensorInfo {
  const name = cursor.string(`name of tensor ${index}`);
  const dimsAt = cursor.position;
  const nDims = cursor.u32(`dimension count of tensor '${name}'`);
  if (nDims < 1 || nDims > GGUF_LIMITS.maxDims) {
    throw new ModelFileError(cursor.path, `tensor '${name}' to have 1..${GGUF_LIMITS.maxDims} dimensions (GGUF_LIMITS.maxDims)`, `${nDims} at offset ${dimsAt}`);
  }
  const dims: number[] = [];
  let elements = 1;
  for (let i = 0; i < nDims; i++) {
    // No dimension can exceed the file size, which bounds the product before it is formed.
    const dim = cursor.count(`dimension ${i} of tensor '${name}'`, cursor.fileSize, 'the file size');
    if (dim < 1) throw new ModelFileError(cursor.path, `dimension ${i} of tensor '${name}' to be positive`, `${dim}`);
    dims.push(dim);
    elements *= dim;
  }
  if (!Number.isSafeInteger(elements)) {
    throw new ModelFileError(cursor.path, `tensor '${name}' to have at most ${Number.MAX_SAFE_INTEGER} elements`, `dims [${dims.join(', ')}]`);
  }

  const typeAt = cursor.position;
  const type = cursor.u32(`type of tensor '${name}'`);
  const layout = GGML_TYPE_LAYOUT[type as GgmlType];
  if (layout === undefined) {
    throw new ModelFileError(cursor.path, `tensor '${name}' to have a supported type (${SUPPORTED_TYPE_NAMES})`, `type id ${type} at offset ${typeAt}`, 'requantize the model to one of the supported types');
  }
  if (dims[0] % layout.blockSize !== 0) {
    throw new ModelFileError(cursor.path, `the first dimension of ${layout.name} tensor '${name}' to be a multiple of ${layout.blockSize}`, `${dims[0]}`);
  }

  const relativeOffset = cursor.count(`data offset of tensor '${name}'`, cursor.fileSize, 'the file size');
  const nbytes = (elements / layout.blockSize) * layout.blockBytes;
  return { name, dims, type: type as GgmlType, relativeOffset, nbytes };
}

function readMagicAndVersion(cursor: HeaderCursor): number {
  const magic = cursor.u32('magic');
  if (magic !== GGUF_MAGIC) {
    const found = Array.from(new Uint8Array(new Uint32Array([magic]).buffer)).map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ModelFileError(cursor.path, `GGUF magic bytes 47 47 55 46 ("GGUF")`, `bytes ${found}`, 'the file is not a GGUF model');
  }
  const version = cursor.u32('version');
  if (!(SUPPORTED_GGUF_VERSIONS as readonly number[]).includes(version)) {
    throw new ModelFileError(cursor.path, `GGUF version ${SUPPORTED_GGUF_VERSIONS.join(' or ')}`, `version ${version}`, 'convert the model with a recent llama.cpp');
  }
  return version;
}

/** Parses the header of the GGUF file at `path`: metadata, tensor records and where the data starts. */
export function readGgufHeader(path: string): GgufHeader {
  const fd = openSync(path, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const cursor = new HeaderCursor(fd, path, fileSize);
    const version = readMagicAndVersion(cursor);
    const tensorCount = cursor.count('tensor count', GGUF_LIMITS.maxTensors, 'GGUF_LIMITS.maxTensors');
    const entryCount = cursor.count('metadata entry count', GGUF_LIMITS.maxMetadataEntries, 'GGUF_LIMITS.maxMetadataEntries');

    const metadata: GgufMetadata = new Map();
    for (let i = 0; i < entryCount; i++) {
      const key = cursor.string(`key of metadata entry ${i}`);
      if (metadata.has(key)) throw new ModelFileError(path, `unique metadata keys`, `'${key}' twice`);
      metadata.set(key, readEntry(cursor, key));
    }
    const alignment = readAlignment(path, metadata);

    const raw: RawTensorInfo[] = [];
    const names = new Set<string>();
    for (let i = 0; i < tensorCount; i++) {
      const info = readTensorInfo(cursor, i);
      if (names.has(info.name)) throw new ModelFileError(path, 'unique tensor names', `'${info.name}' twice`);
      names.add(info.name);
      raw.push(info);
    }
    const dataOffset = Math.ceil(cursor.position / alignment) * alignment;

    const tensors: GgufTensorInfo[] = raw.map((info) => {
      if (info.relativeOffset % alignment !== 0) {
        throw new ModelFileError(path, `data offset of tensor '${info.name}' to be a multiple of the alignment ${alignment}`, `${info.relativeOffset}`);
      }
      const fileOffset = dataOffset + info.relativeOffset;
      if (fileOffset + info.nbytes > fileSize) {
        throw new ModelFileError(path, `tensor '${info.name}' (${GGML_TYPE_LAYOUT[info.type].name} [${info.dims.join(', ')}], ${info.nbytes} bytes at file offset ${fileOffset}) to end within the file`, `file size ${fileSize}`, 'the file is truncated');
      }
      return { ...info, fileOffset };
    });
    return { path, version, metadata, tensors, alignment, dataOffset, fileSize };
  } finally {
    closeSync(fd);
  }
}
