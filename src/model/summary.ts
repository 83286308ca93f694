// A model's description from its headers alone (no tensor data is read): config, tokenizer facts
// and a tensor table. Used by `nir inspect`.

import { existsSync, readFileSync, statSync } from 'node:fs';

import { ModelFileError } from '../util/errors.js';
import { configFromGguf, configFromHf } from './config.js';
import { optionalArray, optionalNumber, optionalString } from './gguf-metadata.js';
import { readGgufHeader } from './gguf-reader.js';
import { readHfFolder } from './hf-folder.js';
import { canonicalFromGguf } from './tensor-names.js';
import { GGML_TYPE_LAYOUT, type ModelConfig } from './types.js';

export interface TokenizerFacts {
  /** GGUF tokenizer.ggml.model ("gpt2", "llama") or the tokenizer.json model type ("BPE"). */
  readonly type: string;
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly eotId: number | null;
  readonly hasChatTemplate: boolean;
}

export interface TensorRow {
  /** Canonical name, or the file's name for tensors the engine does not use. */
  readonly name: string;
  readonly type: string;
  /** Dimensions with the contiguous one last, as PyTorch and safetensors list them. */
  readonly shape: readonly number[];
  readonly bytes: number;
}

export interface ModelSummary {
  readonly path: string;
  readonly format: 'gguf' | 'hf';
  readonly config: ModelConfig;
  readonly tokenizer: TokenizerFacts;
  readonly tensors: readonly TensorRow[];
}

function summarizeGguf(path: string): ModelSummary {
  const header = readGgufHeader(path);
  const { metadata } = header;
  const tokens = optionalArray(metadata, 'tokenizer.ggml.tokens', path);
  const tokenizer: TokenizerFacts = {
    type: optionalString(metadata, 'tokenizer.ggml.model', path) ?? 'none',
    vocabSize: tokens?.items.length ?? 0,
    bosId: optionalNumber(metadata, 'tokenizer.ggml.bos_token_id', path) ?? null,
    eosId: optionalNumber(metadata, 'tokenizer.ggml.eos_token_id', path) ?? null,
    eotId: optionalNumber(metadata, 'tokenizer.ggml.eot_token_id', path) ?? null,
    hasChatTemplate: metadata.has('tokenizer.chat_template'),
  };
  const tensors = header.tensors.map((t) => ({ name: canonicalFromGguf(t.name), type: GGML_TYPE_LAYOUT[t.type].name, shape: [...t.dims].reverse(), bytes: t.nbytes }));
  return { path, format: 'gguf', config: configFromGguf(header), tokenizer, tensors };
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ModelFileError(path, 'valid JSON', `invalid JSON (${(error as Error).message})`);
  }
}

/** Returns the id of a special token given as a string or as an AddedToken object. */
function tokenId(token: unknown, ids: Map<string, number>): number | null {
  let content: unknown = token;
  if (typeof token === 'object' && token !== null) content = (token as { content?: unknown }).content;
  if (typeof content !== 'string') return null;
  return ids.get(content) ?? null;
}

function hfTokenizerFacts(tokenizerJson: string, tokenizerConfig?: string): TokenizerFacts {
  const json = readJson(tokenizerJson);
  const model = (json.model ?? {}) as { type?: unknown; vocab?: unknown };
  const ids = new Map<string, number>();
  if (model.vocab !== null && typeof model.vocab === 'object' && !Array.isArray(model.vocab)) {
    for (const [token, id] of Object.entries(model.vocab)) if (typeof id === 'number') ids.set(token, id);
  }
  for (const added of Array.isArray(json.added_tokens) ? json.added_tokens : []) {
    const { id, content } = added as { id?: unknown; content?: unknown };
    if (typeof id === 'number' && typeof content === 'string') ids.set(content, id);
  }
  const config = tokenizerConfig === undefined ? {} : readJson(tokenizerConfig);
  return {
    type: typeof model.type === 'string' ? model.type : 'unknown',
    vocabSize: ids.size === 0 ? 0 : Math.max(...ids.values()) + 1,
    bosId: tokenId(config.bos_token, ids),
    eosId: tokenId(config.eos_token, ids),
    eotId: ids.get('<|im_end|>') ?? ids.get('<|eot_id|>') ?? null,
    hasChatTemplate: config.chat_template !== undefined && config.chat_template !== null,
  };
}

function summarizeHf(dir: string): ModelSummary {
  const folder = readHfFolder(dir);
  const config = configFromHf(folder.configPath, folder.config);
  const tensors = [...folder.tensors].map(([name, source]) => ({ name, type: source.info.dtype, shape: source.info.shape, bytes: source.info.nbytes }));
  return { path: dir, format: 'hf', config, tokenizer: hfTokenizerFacts(folder.tokenizerJson, folder.tokenizerConfig), tensors };
}

/** Describes the GGUF file or Hugging Face folder at `path` from its headers. */
export function summarizeModel(path: string): ModelSummary {
  if (!existsSync(path)) throw new ModelFileError(path, 'a GGUF file or a Hugging Face model folder', 'no such file or folder');
  return statSync(path).isDirectory() ? summarizeHf(path) : summarizeGguf(path);
}
