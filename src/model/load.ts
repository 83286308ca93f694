// Loads a model (a GGUF file or a Hugging Face folder) into the arena: config, shape checks, then
// tensor bytes read from the file straight into arena memory, so a model needs its own size once.

import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';

import type { Arena } from '../kernels/arena.js';
import { dequantize, dequantizeTensorRow } from '../kernels/reference/dequant.js';
import { ModelFileError } from '../util/errors.js';
import { log } from '../util/log.js';
import { configFromGguf, configFromHf } from './config.js';
import { readGgufHeader } from './gguf-reader.js';
import type { GgufMetadata } from './gguf-types.js';
import { readHfFolder } from './hf-folder.js';
import { canonicalFromGguf, expectedTensors, isSmallVector, ropeFreqsShape, type TensorShape } from './tensor-names.js';
import { GgmlType, type ModelConfig, type TensorName, type WeightTensor } from './types.js';

export type TokenizerFiles =
  | { readonly kind: 'gguf'; readonly metadata: GgufMetadata }
  | { readonly kind: 'hf'; readonly tokenizerJson: string; readonly tokenizerConfig?: string; readonly generationConfig?: string };

export interface LoadedModel {
  readonly config: ModelConfig;
  /** Weights by canonical name. Tied models have no `output`; Llama 3.1+ GGUFs may add `rope_freqs`. */
  readonly weights: Map<TensorName, WeightTensor>;
  readonly format: 'gguf' | 'hf';
  readonly path: string;
  /** GGUF metadata, or the parsed config.json of a folder. */
  readonly metadata: GgufMetadata | Record<string, unknown>;
  readonly tokenizerFiles: TokenizerFiles;
  /** The model's files: the GGUF file, or config.json and the safetensors files of a folder. */
  readonly files: readonly string[];
  /** Computes (once) the SHA-256 of the model's files, concatenated in `files` order, as hex. */
  hashFiles(): Promise<string>;
}

/** Location (file and byte range) and stored element type of one tensor. */
interface TensorSource {
  readonly name: TensorName;
  readonly file: string;
  readonly fileOffset: number;
  readonly nbytes: number;
  readonly type: GgmlType;
  readonly shape: TensorShape;
}

const READ_CHUNK_BYTES = 64 * 1024 * 1024;
const HASH_CHUNK_BYTES = 4 * 1024 * 1024;
const HF_DTYPES = { F32: GgmlType.F32, F16: GgmlType.F16, BF16: GgmlType.BF16 } as const;

/** Collapses stored dims to [rows, cols]: cols is the contiguous dimension. */
function shapeOf(contiguousFirst: readonly number[]): TensorShape {
  if (contiguousFirst.length === 0) return [1, 1];
  const rows = contiguousFirst.slice(1).reduce((a, b) => a * b, 1);
  return [rows, contiguousFirst[0]];
}

function checkShapes(config: ModelConfig, sources: Map<TensorName, TensorSource>, where: string): TensorSource[] {
  const expected = expectedTensors(config);
  if (sources.has('rope_freqs')) expected.set('rope_freqs', ropeFreqsShape(config));
  const ordered: TensorSource[] = [];
  for (const [name, shape] of expected) {
    const source = sources.get(name);
    if (source === undefined) throw new ModelFileError(where, `tensor '${name}' of shape [${shape.join(', ')}]`, 'no such tensor', 'the file is incomplete or of another architecture');
    if (source.shape[0] !== shape[0] || source.shape[1] !== shape[1]) {
      throw new ModelFileError(source.file, `tensor '${name}' of shape [${shape.join(', ')}] (rows, cols)`, `shape [${source.shape.join(', ')}]`);
    }
    ordered.push(source);
  }
  for (const name of sources.keys()) if (!expected.has(name)) log.debug(`${where}: ignoring tensor '${name}', which the engine does not use`);
  return ordered;
}

function readInto(fd: number, file: string, target: (offset: number, length: number) => Uint8Array, fileOffset: number, nbytes: number): void {
  for (let done = 0; done < nbytes; ) {
    const length = Math.min(READ_CHUNK_BYTES, nbytes - done);
    const read = readSync(fd, target(done, length), 0, length, fileOffset + done);
    if (read === 0) throw new ModelFileError(file, `${nbytes} bytes at offset ${fileOffset}`, `end of file after ${done}`);
    done += read;
  }
}

/** Copies one tensor into the arena; small vectors stored as F16 or BF16 become F32. */
function placeTensor(arena: Arena, fd: number, source: TensorSource): WeightTensor {
  const [rows, cols] = source.shape;
  if (isSmallVector(source.name) && source.type !== GgmlType.F32) {
    const raw = new Uint8Array(source.nbytes);
    readInto(fd, source.file, (offset, length) => raw.subarray(offset, offset + length), source.fileOffset, source.nbytes);
    const values = new Float32Array(rows * cols); // [rows, cols]
    dequantize(source.type, raw, 0, values.length, values);
    const { shard, offset } = arena.alloc(values.byteLength);
    arena.f32(shard, offset, values.length).set(values);
    return { name: source.name, type: GgmlType.F32, rows, cols, shard, offset, nbytes: values.byteLength };
  }
  const { shard, offset } = arena.alloc(source.nbytes);
  readInto(fd, source.file, (at, length) => arena.bytes(shard, offset + at, length), source.fileOffset, source.nbytes);
  return { name: source.name, type: source.type, rows, cols, shard, offset, nbytes: source.nbytes };
}

function placeAll(arena: Arena, sources: readonly TensorSource[]): Map<TensorName, WeightTensor> {
  const weights = new Map<TensorName, WeightTensor>();
  const fds = new Map<string, number>();
  try {
    for (const source of sources) {
      let fd = fds.get(source.file);
      if (fd === undefined) {
        fd = openSync(source.file, 'r');
        fds.set(source.file, fd);
      }
      weights.set(source.name, placeTensor(arena, fd, source));
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
  return weights;
}

async function hashAll(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  const buffer = new Uint8Array(HASH_CHUNK_BYTES);
  for (const file of files) {
    const handle = await open(file, 'r');
    try {
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        hash.update(buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
  }
  return hash.digest('hex');
}

function lazyHash(files: readonly string[]): () => Promise<string> {
  let result: Promise<string> | undefined;
  return () => {
    result ??= hashAll(files);
    return result;
  };
}

function loadGguf(path: string, arena: Arena): LoadedModel {
  const header = readGgufHeader(path);
  const config = configFromGguf(header);
  const sources = new Map<TensorName, TensorSource>();
  for (const tensor of header.tensors) {
    const name = canonicalFromGguf(tensor.name);
    sources.set(name, { name, file: path, fileOffset: tensor.fileOffset, nbytes: tensor.nbytes, type: tensor.type, shape: shapeOf(tensor.dims) });
  }
  const weights = placeAll(arena, checkShapes(config, sources, path));
  const files = [path];
  return { config, weights, format: 'gguf', path, metadata: header.metadata, tokenizerFiles: { kind: 'gguf', metadata: header.metadata }, files, hashFiles: lazyHash(files) };
}

function loadHf(dir: string, arena: Arena): LoadedModel {
  const folder = readHfFolder(dir);
  const config = configFromHf(folder.configPath, folder.config);
  const sources = new Map<TensorName, TensorSource>();
  for (const [name, source] of folder.tensors) {
    const { info } = source;
    // safetensors shapes list the contiguous dimension last, GGUF dims list it first.
    const shape = shapeOf([...info.shape].reverse());
    sources.set(name, { name, file: source.file, fileOffset: info.dataOffset, nbytes: info.nbytes, type: HF_DTYPES[info.dtype], shape });
  }
  const weights = placeAll(arena, checkShapes(config, sources, dir));
  const files = [folder.configPath, ...folder.weightFiles];
  const tokenizerFiles: TokenizerFiles = {
    kind: 'hf',
    tokenizerJson: folder.tokenizerJson,
    tokenizerConfig: folder.tokenizerConfig,
    generationConfig: folder.generationConfig,
  };
  return { config, weights, format: 'hf', path: dir, metadata: folder.config, tokenizerFiles, files, hashFiles: lazyHash(files) };
}

/** Loads the GGUF file or Hugging Face folder at `path` into `arena`. */
export async function loadModel(path: string, arena: Arena): Promise<LoadedModel> {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    throw new ModelFileError(path, 'a GGUF file or a Hugging Face model folder', 'no such file or folder');
  }
  const model = isDirectory ? loadHf(path, arena) : loadGguf(path, arena);
  const bytes = [...model.weights.values()].reduce((sum, w) => sum + w.nbytes, 0);
  log.info(`loaded ${path}: ${model.config.architecture}, ${model.config.numLayers} layers, ${model.weights.size} tensors, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
  return model;
}

/** Copies a weight out of the arena as F32 values [rows, cols] (dequantizing), for tests and inspection. */
export function weightToF32(arena: Arena, weight: WeightTensor): Float32Array {
  const values = new Float32Array(weight.rows * weight.cols); // [rows, cols]
  if (!weight.interleaved) {
    dequantize(weight.type, arena.bytes(weight.shard, weight.offset, weight.nbytes), 0, values.length, values);
    return values;
  }
  const bytes = arena.bytes(weight.shard);
  for (let r = 0; r < weight.rows; r++) dequantizeTensorRow(bytes, weight, r, values.subarray(r * weight.cols, (r + 1) * weight.cols));
  return values;
}
