// safetensors reader and writer. Layout: an 8-byte little-endian header length N, N bytes of JSON
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}), then the
// data. Offsets are relative to the end of the header. The reader trusts nothing in the header:
// lengths, shapes and offsets are checked against each other and against the file size.

import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../kernels/reference/half.js';
import { ModelFileError } from '../util/errors.js';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

export const SAFETENSORS_DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = { F32: 4, F16: 2, BF16: 2 };

export const SAFETENSORS_LIMITS = {
  /** Largest JSON header; real headers of sharded 70B models are well under 1 MiB. */
  maxHeaderBytes: 100 * 1024 * 1024,
  maxTensors: 65_536,
  maxDims: 8,
} as const;

export interface SafetensorsTensorInfo {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Byte offset of the first element from the start of the file. */
  readonly dataOffset: number;
  readonly nbytes: number;
}

export interface SafetensorsFile {
  readonly path: string;
  /** The parsed JSON header as stored. */
  readonly header: Record<string, unknown>;
  readonly metadata: Record<string, string>;
  readonly tensors: Map<string, SafetensorsTensorInfo>;
  readonly fileSize: number;
  /** Reads one tensor from the file and converts it to F32. */
  readTensorF32(name: string): Float32Array;
}

export interface SafetensorsTensorToWrite {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /**
   * A Float32Array is converted to `dtype`. A Uint8Array, or chunks produced in order, are the
   * raw little-endian bytes of `dtype` already.
   */
  readonly data: Uint8Array | Float32Array | (() => Iterable<Uint8Array>);
}

const SUPPORTED_DTYPES = Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ');

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function readExactly(fd: number, target: Uint8Array, position: number, path: string, field: string): void {
  let got = 0;
  while (got < target.length) {
    const read = readSync(fd, target, got, target.length - got, position + got);
    if (read === 0) throw new ModelFileError(path, `${target.length} bytes of ${field} at offset ${position}`, `end of file after ${got}`);
    got += read;
  }
}

function parseHeaderJson(path: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelFileError(path, 'a JSON object as the safetensors header', `invalid JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ModelFileError(path, 'a JSON object as the safetensors header', Array.isArray(parsed) ? 'an array' : String(parsed));
  }
  return parsed as Record<string, unknown>;
}

function parseMetadata(path: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ModelFileError(path, '__metadata__ to be an object of strings', JSON.stringify(value));
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw new ModelFileError(path, `__metadata__['${key}'] to be a string`, JSON.stringify(item));
  }
  return value as Record<string, string>;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseTensorEntry(path: string, name: string, value: unknown, dataStart: number, fileSize: number): SafetensorsTensorInfo {
  if (value === null || typeof value !== 'object') throw new ModelFileError(path, `tensor '${name}' to be an object`, JSON.stringify(value));
  const { dtype, shape, data_offsets: offsets } = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof dtype !== 'string' || !(dtype in SAFETENSORS_DTYPE_BYTES)) {
    throw new ModelFileError(path, `tensor '${name}' to have a supported dtype (${SUPPORTED_DTYPES})`, `dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || shape.length > SAFETENSORS_LIMITS.maxDims || !shape.every(isCount)) {
    throw new ModelFileError(path, `tensor '${name}' to have a shape of at most ${SAFETENSORS_LIMITS.maxDims} non-negative integers`, JSON.stringify(shape));
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw new ModelFileError(path, `data_offsets of tensor '${name}' to be [begin, end] with 0 <= begin <= end`, JSON.stringify(offsets));
  }
  const elements = elementCount(shape as number[]);
  const nbytes = elements * SAFETENSORS_DTYPE_BYTES[dtype as SafetensorsDtype];
  const [begin, end] = offsets as [number, number];
  if (!Number.isSafeInteger(nbytes) || end - begin !== nbytes) {
    throw new ModelFileError(path, `data_offsets of tensor '${name}' (${dtype} [${(shape as number[]).join(', ')}]) to span ${nbytes} bytes`, `[${begin}, ${end}], ${end - begin} bytes`);
  }
  if (dataStart + end > fileSize) {
    throw new ModelFileError(path, `tensor '${name}' to end within the file (data ends at offset ${dataStart + end})`, `file size ${fileSize}`, 'the file is truncated or its header is wrong');
  }
  return { dtype: dtype as SafetensorsDtype, shape: shape as number[], dataOffset: dataStart + begin, nbytes };
}

function checkNoOverlap(path: string, tensors: Map<string, SafetensorsTensorInfo>): void {
  const spans = [...tensors.entries()].filter(([, t]) => t.nbytes > 0).sort((a, b) => a[1].dataOffset - b[1].dataOffset);
  for (let i = 1; i < spans.length; i++) {
    const [prevName, prev] = spans[i - 1];
    const [name, tensor] = spans[i];
    if (tensor.dataOffset < prev.dataOffset + prev.nbytes) {
      throw new ModelFileError(path, `tensor '${name}' to start at or after the end of '${prevName}' (file offset ${prev.dataOffset + prev.nbytes})`, `start at file offset ${tensor.dataOffset}`, 'the data_offsets overlap');
    }
  }
}

/** Converts raw little-endian `dtype` bytes to F32. */
export function toF32(dtype: SafetensorsDtype, bytes: Uint8Array): Float32Array {
  const count = bytes.length / SAFETENSORS_DTYPE_BYTES[dtype];
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = 0; i < count; i++) {
    if (dtype === 'F32') out[i] = view.getFloat32(4 * i, true);
    else if (dtype === 'F16') out[i] = f16ToF32(view.getUint16(2 * i, true));
    else out[i] = bf16ToF32(view.getUint16(2 * i, true));
  }
  return out;
}

/** Converts F32 values to the raw little-endian bytes of `dtype`. */
export function fromF32(dtype: SafetensorsDtype, values: Float32Array): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  const convert = dtype === 'F16' ? f32ToF16 : f32ToBf16;
  for (let i = 0; i < values.length; i++) view.setUint16(2 * i, convert(values[i]), true);
  return out;
}

/** Parses the header of the safetensors file at `path` and checks it against the file. */
export function readSafetensors(path: string): SafetensorsFile {
  const fd = openSync(path, 'r');
  let header: Record<string, unknown>;
  let fileSize: number;
  let dataStart: number;
  try {
    fileSize = fstatSync(fd).size;
    if (fileSize < 8) throw new ModelFileError(path, 'at least 8 bytes (the safetensors header length)', `${fileSize} bytes`);
    const lengthBytes = new Uint8Array(8);
    readExactly(fd, lengthBytes, 0, path, 'the header length');
    const headerLength = new DataView(lengthBytes.buffer).getBigUint64(0, true);
    if (headerLength < 2n || headerLength > BigInt(Math.min(SAFETENSORS_LIMITS.maxHeaderBytes, fileSize - 8))) {
      throw new ModelFileError(path, `a header length of 2..${Math.min(SAFETENSORS_LIMITS.maxHeaderBytes, fileSize - 8)} bytes (file size ${fileSize}, limit SAFETENSORS_LIMITS.maxHeaderBytes)`, `${headerLength}`, 'the file is truncated or not a safetensors file');
    }
    const headerBytes = new Uint8Array(Number(headerLength));
    readExactly(fd, headerBytes, 8, path, 'the JSON header');
    header = parseHeaderJson(path, new TextDecoder().decode(headerBytes));
    dataStart = 8 + headerBytes.length;
  } finally {
    closeSync(fd);
  }

  const metadata = parseMetadata(path, header.__metadata__);
  const names = Object.keys(header).filter((key) => key !== '__metadata__');
  if (names.length > SAFETENSORS_LIMITS.maxTensors) {
    throw new ModelFileError(path, `at most ${SAFETENSORS_LIMITS.maxTensors} tensors (SAFETENSORS_LIMITS.maxTensors)`, `${names.length}`);
  }
  const tensors = new Map<string, SafetensorsTensorInfo>();
  for (const name of names) tensors.set(name, parseTensorEntry(path, name, header[name], dataStart, fileSize));
  checkNoOverlap(path, tensors);

  const readTensorF32 = (name: string): Float32Array => {
    const info = tensors.get(name);
    if (info === undefined) throw new ModelFileError(path, `a tensor named '${name}'`, `only ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''}`);
    const bytes = new Uint8Array(info.nbytes);
    const tensorFd = openSync(path, 'r');
    try {
      readExactly(tensorFd, bytes, info.dataOffset, path, `tensor '${name}'`);
    } finally {
      closeSync(tensorFd);
    }
    return toF32(info.dtype, bytes);
  };
  return { path, header, metadata, tensors, fileSize, readTensorF32 };
}

function* chunksOf(tensor: SafetensorsTensorToWrite): Iterable<Uint8Array> {
  const data = tensor.data;
  if (data instanceof Float32Array) yield fromF32(tensor.dtype, data);
  else if (data instanceof Uint8Array) yield data;
  else yield* data();
}

/** Writes a safetensors file to `path`, replacing any file there; tensors are stored in the given order. */
export function writeSafetensors(path: string, tensors: readonly SafetensorsTensorToWrite[], metadata?: Record<string, string>): void {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const sizes: number[] = [];
  for (const tensor of tensors) {
    if (tensor.name === '__metadata__' || tensor.name in header) throw new RangeError(`tensor name '${tensor.name}' is reserved or repeated`);
    const nbytes = elementCount(tensor.shape) * SAFETENSORS_DTYPE_BYTES[tensor.dtype];
    if (tensor.data instanceof Float32Array && tensor.data.length * SAFETENSORS_DTYPE_BYTES[tensor.dtype] !== nbytes) {
      throw new RangeError(`tensor '${tensor.name}' has ${tensor.data.length} values, its shape [${tensor.shape.join(', ')}] needs ${nbytes / SAFETENSORS_DTYPE_BYTES[tensor.dtype]}`);
    }
    header[tensor.name] = { dtype: tensor.dtype, shape: [...tensor.shape], data_offsets: [offset, offset + nbytes] };
    sizes.push(nbytes);
    offset += nbytes;
  }
  // Spaces pad the JSON so that the data starts at a multiple of 8 bytes.
  let json = JSON.stringify(header);
  const encoded = new TextEncoder().encode(json);
  json += ' '.repeat((8 - ((8 + encoded.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const lengthBytes = new Uint8Array(8);
  new DataView(lengthBytes.buffer).setBigUint64(0, BigInt(headerBytes.length), true);

  const fd = openSync(path, 'w');
  try {
    writeSync(fd, lengthBytes);
    writeSync(fd, headerBytes);
    tensors.forEach((tensor, i) => {
      let written = 0;
      for (const chunk of chunksOf(tensor)) {
        writeSync(fd, chunk);
        written += chunk.length;
      }
      if (written !== sizes[i]) throw new RangeError(`tensor '${tensor.name}' data has ${written} bytes, expected ${sizes[i]}`);
    });
  } finally {
    closeSync(fd);
  }
}
