// A Hugging Face model folder: config.json, one model.safetensors or shards listed in
// model.safetensors.index.json, and the tokenizer files.

import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { log } from '../util/log.js';
import { ModelFileError } from '../util/errors.js';
import { readSafetensors, type SafetensorsFile, type SafetensorsTensorInfo } from './safetensors.js';
import { canonicalFromHf } from './tensor-names.js';
import type { TensorName } from './types.js';

export interface HfTensorSource {
  readonly hfName: string;
  readonly file: string;
  readonly info: SafetensorsTensorInfo;
}

export interface HfFolder {
  readonly dir: string;
  readonly configPath: string;
  readonly config: Record<string, unknown>;
  /** Safetensors files in shard order. */
  readonly weightFiles: readonly string[];
  /** Tensors by canonical name; tensors the engine does not use are left out. */
  readonly tensors: Map<TensorName, HfTensorSource>;
  readonly tokenizerJson: string;
  readonly tokenizerConfig?: string;
  readonly generationConfig?: string;
}

function readJsonObject(path: string, description: string): Record<string, unknown> {
  if (!existsSync(path)) throw new ModelFileError(path, `${description}`, 'no such file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ModelFileError(path, `${description} as valid JSON`, `invalid JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ModelFileError(path, `${description} as a JSON object`, JSON.stringify(parsed)?.slice(0, 80) ?? 'nothing');
  return parsed as Record<string, unknown>;
}

/** Returns the shard file names of an index's weight_map, checking that each is a plain file name in the folder. */
function readShardIndex(indexPath: string): Map<string, string> {
  const index = readJsonObject(indexPath, 'a safetensors shard index');
  const weightMap = index.weight_map;
  if (weightMap === null || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
    throw new ModelFileError(indexPath, 'a weight_map object of tensor name to shard file', JSON.stringify(weightMap)?.slice(0, 80) ?? 'nothing');
  }
  const byTensor = new Map<string, string>();
  for (const [name, file] of Object.entries(weightMap)) {
    if (typeof file !== 'string' || file !== basename(file) || !file.endsWith('.safetensors')) {
      throw new ModelFileError(indexPath, `weight_map['${name}'] to be a .safetensors file name inside the folder`, JSON.stringify(file));
    }
    byTensor.set(name, file);
  }
  return byTensor;
}

function optionalFile(dir: string, name: string): string | undefined {
  const path = join(dir, name);
  return existsSync(path) ? path : undefined;
}

/** Reads the folder's config and the headers of its weight files; loads no tensor data. */
export function readHfFolder(dir: string): HfFolder {
  const configPath = join(dir, 'config.json');
  const config = readJsonObject(configPath, 'config.json of a Hugging Face model folder');

  const indexPath = join(dir, 'model.safetensors.index.json');
  const singlePath = join(dir, 'model.safetensors');
  let shardOf: Map<string, string> | undefined;
  let weightFiles: string[];
  if (existsSync(indexPath)) {
    shardOf = readShardIndex(indexPath);
    weightFiles = [...new Set(shardOf.values())].sort().map((file) => join(dir, file));
  } else if (existsSync(singlePath)) {
    weightFiles = [singlePath];
  } else {
    throw new ModelFileError(dir, 'model.safetensors or model.safetensors.index.json', 'neither file', 'only safetensors weights are supported');
  }

  const tensors = new Map<TensorName, HfTensorSource>();
  const files = new Map<string, SafetensorsFile>();
  for (const path of weightFiles) files.set(path, readSafetensors(path));
  for (const [path, file] of files) {
    for (const [hfName, info] of file.tensors) {
      if (shardOf !== undefined && shardOf.get(hfName) !== basename(path)) {
        throw new ModelFileError(path, `tensor '${hfName}' to be listed for this shard in ${basename(indexPath)}`, `listed for ${shardOf.get(hfName) ?? 'no shard'}`);
      }
      const canonical = canonicalFromHf(hfName);
      if (canonical === undefined) {
        log.debug(`${path}: ignoring tensor '${hfName}', which the engine does not use`);
        continue;
      }
      tensors.set(canonical, { hfName, file: path, info });
    }
  }
  if (shardOf !== undefined) {
    for (const [hfName, file] of shardOf) {
      if (!files.get(join(dir, file))?.tensors.has(hfName)) throw new ModelFileError(join(dir, file), `tensor '${hfName}' listed in ${basename(indexPath)}`, 'no such tensor in the shard');
    }
  }

  const tokenizerJson = join(dir, 'tokenizer.json');
  if (!existsSync(tokenizerJson)) throw new ModelFileError(tokenizerJson, 'the tokenizer of the model folder', 'no such file', 'only tokenizer.json tokenizers are supported');
  return {
    dir,
    configPath,
    config,
    weightFiles,
    tensors,
    tokenizerJson,
    tokenizerConfig: optionalFile(dir, 'tokenizer_config.json'),
    generationConfig: optionalFile(dir, 'generation_config.json'),
  };
}
