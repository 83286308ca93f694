// Choice of the files that make up a Hugging Face model folder, online (from the tree) and offline (from a snapshot).

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { ModelFileError } from '../util/errors.js';
import type { RepoFile } from './api.js';
import { fileSize } from './cache.js';
import { checkRepoFilePath } from './spec.js';

export const CONFIG_FILE = 'config.json';
export const SAFETENSORS_INDEX = 'model.safetensors.index.json';
/** Small files of the folder, taken when the repository has them. */
export const OPTIONAL_FOLDER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json'];

/** An index above this size is not a real shard index, so it is rejected before parsing. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

/** Returns the root-level safetensors files of a tree or folder listing. */
export function rootSafetensors(paths: string[]): string[] {
  return paths.filter((path) => !path.includes('/') && path.endsWith('.safetensors')).sort();
}

export function ggufFiles(paths: string[]): string[] {
  return paths.filter((path) => path.toLowerCase().endsWith('.gguf')).sort();
}

/** Returns the shard files named by a safetensors index (`weight_map` values), checked to stay inside the repository. */
export async function readIndexShards(indexPath: string): Promise<string[]> {
  const size = await fileSize(indexPath);
  if (size === undefined) throw new ModelFileError(indexPath, 'a safetensors index file', 'no file');
  if (size > MAX_INDEX_BYTES) throw new ModelFileError(indexPath, `at most ${MAX_INDEX_BYTES} bytes`, `${size} bytes`);

  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(indexPath, 'utf8'));
  } catch (error) {
    throw new ModelFileError(indexPath, 'JSON', `invalid JSON (${(error as Error).message})`);
  }
  const weightMap = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new ModelFileError(indexPath, 'an object "weight_map" from tensor names to shard files', JSON.stringify(weightMap)?.slice(0, 80) ?? 'nothing');
  }
  const shards = new Set<string>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string') throw new ModelFileError(indexPath, `a file name for tensor ${tensor}`, JSON.stringify(shard));
    checkRepoFilePath(shard, indexPath);
    shards.add(shard);
  }
  if (shards.size === 0) throw new ModelFileError(indexPath, 'at least one shard in "weight_map"', 'an empty map');
  return [...shards].sort();
}

/** Lists the files of a snapshot folder (recursively), as repository paths with '/' separators. */
export async function listSnapshot(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listSnapshot(join(dir, entry.name), path)));
    else out.push(path);
  }
  return out;
}

/** Returns the tree entries for `paths`, in order. */
export function pickFiles(tree: RepoFile[], paths: string[]): RepoFile[] {
  const byPath = new Map(tree.map((file) => [file.path, file]));
  return paths.map((path) => byPath.get(path)).filter((file): file is RepoFile => file !== undefined);
}
