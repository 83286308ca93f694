// Builds the immutable ModelConfig from GGUF metadata or from a Hugging Face config.json, and
// validates every dimension before anything is allocated.

import { ModelFileError } from '../util/errors.js';
import { optionalArray, optionalNumber, optionalString, requireNumber, requireString } from './gguf-metadata.js';
import type { GgufHeader } from './gguf-types.js';
import type { Architecture, ModelConfig, RopeScaling } from './types.js';

export const SUPPORTED_ARCHITECTURES: readonly Architecture[] = ['llama', 'qwen2'];

/** Hugging Face model_type values and the architecture each one runs as. */
const HF_MODEL_TYPES: Readonly<Record<string, Architecture>> = { llama: 'llama', mistral: 'llama', qwen2: 'qwen2' };

/** Upper limits on dimensions; they are far above every released Llama or Qwen model. */
export const CONFIG_LIMITS = {
  maxHiddenSize: 65_536,
  maxIntermediateSize: 1 << 20,
  maxLayers: 1024,
  maxHeads: 1024,
  maxHeadDim: 1024,
  maxVocabSize: 1 << 22,
  maxPositions: 1 << 24,
} as const;

function checkRange(file: string, name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new ModelFileError(file, `${name} to be an integer in 1..${max}`, String(value));
  }
}

/** Checks that the dimensions are positive, within limits and consistent with each other. */
export function validateConfig(file: string, config: ModelConfig, headDimGiven: boolean): void {
  checkRange(file, 'hidden size', config.hiddenSize, CONFIG_LIMITS.maxHiddenSize);
  checkRange(file, 'intermediate size', config.intermediateSize, CONFIG_LIMITS.maxIntermediateSize);
  checkRange(file, 'layer count', config.numLayers, CONFIG_LIMITS.maxLayers);
  checkRange(file, 'attention head count', config.numHeads, CONFIG_LIMITS.maxHeads);
  checkRange(file, 'key/value head count', config.numKvHeads, CONFIG_LIMITS.maxHeads);
  checkRange(file, 'head size', config.headDim, CONFIG_LIMITS.maxHeadDim);
  checkRange(file, 'vocabulary size', config.vocabSize, CONFIG_LIMITS.maxVocabSize);
  checkRange(file, 'context length', config.maxPositions, CONFIG_LIMITS.maxPositions);
  if (config.numHeads % config.numKvHeads !== 0) {
    throw new ModelFileError(file, `attention head count to be a multiple of the key/value head count ${config.numKvHeads}`, `${config.numHeads}`);
  }
  if (!headDimGiven && config.numHeads * config.headDim !== config.hiddenSize) {
    throw new ModelFileError(file, `hidden size to be divisible by the head count ${config.numHeads}`, `${config.hiddenSize}`);
  }
  if (config.headDim % 2 !== 0) throw new ModelFileError(file, 'an even head size (rotary embeddings rotate pairs)', `${config.headDim}`);
  if (!(config.rmsNormEps > 0 && config.rmsNormEps < 1)) throw new ModelFileError(file, 'an RMS norm epsilon in (0, 1)', `${config.rmsNormEps}`);
  if (!(config.ropeTheta > 0 && Number.isFinite(config.ropeTheta))) throw new ModelFileError(file, 'a positive finite rope theta', `${config.ropeTheta}`);
  const scaling = config.ropeScaling;
  if (scaling !== null && !(scaling.factor > 0 && Number.isFinite(scaling.factor))) {
    throw new ModelFileError(file, 'a positive rope scaling factor', `${scaling.factor}`);
  }
}

function unsupportedArchitecture(file: string, found: string): ModelFileError {
  return new ModelFileError(file, `a supported architecture (${SUPPORTED_ARCHITECTURES.join(', ')}; Hugging Face model_type ${Object.keys(HF_MODEL_TYPES).join(', ')})`, `'${found}'`);
}

function ggufRopeScaling(header: GgufHeader, arch: string): RopeScaling | null {
  const { metadata, path } = header;
  const key = (name: string) => `${arch}.rope.scaling.${name}`;
  const type = optionalString(metadata, key('type'), path);
  if (type === undefined || type === 'none') return null;
  if (type === 'linear') {
    return { type: 'linear', factor: optionalNumber(metadata, key('factor'), path) ?? 1 / requireNumber(metadata, `${arch}.rope.scale_linear`, path) };
  }
  if (type === 'llama3') {
    return {
      type: 'llama3',
      factor: requireNumber(metadata, key('factor'), path),
      lowFreqFactor: requireNumber(metadata, key('low_freq_factor'), path),
      highFreqFactor: requireNumber(metadata, key('high_freq_factor'), path),
      originalMaxPositions: requireNumber(metadata, key('original_context_length'), path),
    };
  }
  throw new ModelFileError(path, `${key('type')} none, linear or llama3`, `'${type}'`);
}

/**
 * Builds the config of a GGUF file. Llama 3.1+ GGUFs carry their rope frequency factors as the
 * tensor `rope_freqs` instead of metadata, so ropeScaling is null for them and the loader keeps
 * that tensor.
 */
export function configFromGguf(header: GgufHeader): ModelConfig {
  const { metadata, path } = header;
  const arch = requireString(metadata, 'general.architecture', path);
  if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(arch)) throw unsupportedArchitecture(path, arch);
  const key = (name: string) => `${arch}.${name}`;

  const hiddenSize = requireNumber(metadata, key('embedding_length'), path);
  const numHeads = requireNumber(metadata, key('attention.head_count'), path);
  const keyLength = optionalNumber(metadata, key('attention.key_length'), path);
  const headDim = keyLength ?? Math.floor(hiddenSize / numHeads);
  const ropeDims = optionalNumber(metadata, key('rope.dimension_count'), path);
  if (ropeDims !== undefined && ropeDims !== headDim) {
    throw new ModelFileError(path, `${key('rope.dimension_count')} equal to the head size ${headDim} (partial rotary embeddings are not supported)`, `${ropeDims}`);
  }

  const embedding = header.tensors.find((t) => t.name === 'token_embd.weight');
  const tokens = optionalArray(metadata, 'tokenizer.ggml.tokens', path);
  const vocabSize = tokens?.items.length ?? optionalNumber(metadata, key('vocab_size'), path) ?? embedding?.dims[1] ?? 0;
  const names = new Set(header.tensors.map((t) => t.name));

  const config: ModelConfig = Object.freeze({
    architecture: arch as Architecture,
    vocabSize,
    hiddenSize,
    intermediateSize: requireNumber(metadata, key('feed_forward_length'), path),
    numLayers: requireNumber(metadata, key('block_count'), path),
    numHeads,
    numKvHeads: optionalNumber(metadata, key('attention.head_count_kv'), path) ?? numHeads,
    headDim,
    rmsNormEps: requireNumber(metadata, key('attention.layer_norm_rms_epsilon'), path),
    ropeTheta: optionalNumber(metadata, key('rope.freq_base'), path) ?? 10000,
    ropeScaling: ggufRopeScaling(header, arch),
    ropeStyle: arch === 'llama' ? 'interleaved' : 'neox',
    maxPositions: requireNumber(metadata, key('context_length'), path),
    tieWordEmbeddings: !names.has('output.weight'),
    attentionBias: names.has('blk.0.attn_q.bias'),
  });
  validateConfig(path, config, keyLength !== undefined);
  return config;
}

type Json = Record<string, unknown>;

function jsonNumber(file: string, json: Json, key: string, fallback?: number): number {
  const value = json[key];
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw new ModelFileError(file, `config.json key '${key}'`, 'no such key');
  }
  if (typeof value !== 'number') throw new ModelFileError(file, `config.json '${key}' to be a number`, JSON.stringify(value));
  return value;
}

function hfRopeScaling(file: string, json: Json): RopeScaling | null {
  const scaling = json.rope_scaling;
  if (scaling === undefined || scaling === null) return null;
  if (typeof scaling !== 'object') throw new ModelFileError(file, 'rope_scaling to be an object or null', JSON.stringify(scaling));
  const fields = scaling as Json;
  const type = fields.rope_type ?? fields.type;
  if (type === 'default') return null;
  if (type === 'linear') return { type: 'linear', factor: jsonNumber(file, fields, 'factor') };
  if (type === 'llama3') {
    return {
      type: 'llama3',
      factor: jsonNumber(file, fields, 'factor'),
      lowFreqFactor: jsonNumber(file, fields, 'low_freq_factor'),
      highFreqFactor: jsonNumber(file, fields, 'high_freq_factor'),
      originalMaxPositions: jsonNumber(file, fields, 'original_max_position_embeddings'),
    };
  }
  throw new ModelFileError(file, 'rope_scaling type default, linear or llama3', JSON.stringify(type));
}

/** Builds the config of a Hugging Face folder from its parsed config.json (`file` names it in errors). */
export function configFromHf(file: string, json: Json): ModelConfig {
  const modelType = json.model_type;
  const arch = typeof modelType === 'string' ? HF_MODEL_TYPES[modelType] : undefined;
  if (arch === undefined) throw unsupportedArchitecture(file, String(modelType));
  const activation = json.hidden_act ?? 'silu';
  if (activation !== 'silu') throw new ModelFileError(file, "hidden_act 'silu'", JSON.stringify(activation));

  const hiddenSize = jsonNumber(file, json, 'hidden_size');
  const numHeads = jsonNumber(file, json, 'num_attention_heads');
  const headDimGiven = typeof json.head_dim === 'number';
  const config: ModelConfig = Object.freeze({
    architecture: arch,
    vocabSize: jsonNumber(file, json, 'vocab_size'),
    hiddenSize,
    intermediateSize: jsonNumber(file, json, 'intermediate_size'),
    numLayers: jsonNumber(file, json, 'num_hidden_layers'),
    numHeads,
    numKvHeads: jsonNumber(file, json, 'num_key_value_heads', numHeads),
    headDim: headDimGiven ? (json.head_dim as number) : Math.floor(hiddenSize / numHeads),
    rmsNormEps: jsonNumber(file, json, 'rms_norm_eps', 1e-6),
    ropeTheta: jsonNumber(file, json, 'rope_theta', 10000),
    ropeScaling: hfRopeScaling(file, json),
    ropeStyle: 'neox',
    maxPositions: jsonNumber(file, json, 'max_position_embeddings'),
    tieWordEmbeddings: json.tie_word_embeddings === true,
    attentionBias: arch === 'qwen2' || json.attention_bias === true,
  });
  validateConfig(file, config, headDimGiven);
  return config;
}
