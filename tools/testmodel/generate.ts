// Test-model generator: seeded random weights of a chosen shape, written as a Hugging Face folder
// and as GGUF files of several types, all holding the same weights and the same tokenizer.
//
//   node dist/tools/testmodel/generate.js --preset tiny --arch llama --seed 1 --out DIR \
//     --formats hf,gguf-f32,gguf-q8_0

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { validateConfig } from '../../src/model/config.js';
import type { SafetensorsDtype } from '../../src/model/safetensors.js';
import { GgmlType, type Architecture, type ModelConfig } from '../../src/model/types.js';
import { isPresetName, PRESETS, type PresetName } from './presets.js';
import { buildBpeVocabulary } from './tokenizer-files.js';
import { writeGgufModel, writeHfFolder } from './write-formats.js';

export const GGUF_FORMATS = {
  'gguf-f32': GgmlType.F32,
  'gguf-f16': GgmlType.F16,
  'gguf-bf16': GgmlType.BF16,
  'gguf-q8_0': GgmlType.Q8_0,
  'gguf-q4_0': GgmlType.Q4_0,
  'gguf-q4_k': GgmlType.Q4_K,
  'gguf-q6_k': GgmlType.Q6_K,
} as const;

export type OutputFormat = 'hf' | keyof typeof GGUF_FORMATS;

const DEFAULT_SHARD_BYTES = 5_000_000_000;

export interface TestModelOptions {
  readonly preset?: PresetName;
  /** Overrides the preset's architecture; qwen2 adds Q/K/V biases. */
  readonly arch?: Architecture;
  readonly layers?: number;
  readonly hidden?: number;
  readonly intermediate?: number;
  readonly heads?: number;
  readonly kvHeads?: number;
  readonly vocab?: number;
  readonly tieEmbeddings?: boolean;
  readonly seed: number;
  readonly out: string;
  readonly formats: readonly OutputFormat[];
  /** GGUF tokenizer: byte-level BPE ("gpt2", the default) or SentencePiece-style ("llama", GGUF only). */
  readonly tokenizer?: 'bpe' | 'spm';
  /** Element type of the Hugging Face weights: F32 for tiny models, BF16 for the real shapes by default. */
  readonly hfDtype?: SafetensorsDtype;
  /** Splits the Hugging Face weights into shards of about this many bytes (default: 5 GB for the real shapes, one file for tiny). */
  readonly shardBytes?: number;
  readonly ggufVersion?: 2 | 3;
  /** Overrides the preset's context length (maximum positions). */
  readonly contextLength?: number;
}

export interface TestModelFiles {
  readonly config: ModelConfig;
  readonly hf?: string;
  readonly gguf: Partial<Record<keyof typeof GGUF_FORMATS, string>>;
}

/** Builds the ModelConfig of the requested shape (RoPE style of the Hugging Face form). */
export function testModelConfig(options: Omit<TestModelOptions, 'out' | 'formats' | 'seed'>): ModelConfig {
  const preset = PRESETS[options.preset ?? 'tiny'];
  const architecture = options.arch ?? preset.architecture;
  const hiddenSize = options.hidden ?? preset.hiddenSize;
  const numHeads = options.heads ?? preset.numHeads;
  const config: ModelConfig = Object.freeze({
    architecture,
    vocabSize: options.vocab ?? preset.vocabSize,
    hiddenSize,
    intermediateSize: options.intermediate ?? preset.intermediateSize,
    numLayers: options.layers ?? preset.numLayers,
    numHeads,
    numKvHeads: options.kvHeads ?? preset.numKvHeads,
    headDim: Math.floor(hiddenSize / numHeads),
    rmsNormEps: preset.rmsNormEps,
    ropeTheta: preset.ropeTheta,
    ropeScaling: preset.ropeScaling,
    ropeStyle: 'neox',
    maxPositions: options.contextLength ?? preset.maxPositions,
    tieWordEmbeddings: options.tieEmbeddings ?? (options.arch === undefined ? preset.tieWordEmbeddings : architecture === 'qwen2'),
    attentionBias: architecture === 'qwen2',
  });
  validateConfig('test model options', config, false);
  return config;
}

/** Writes the requested formats under `out` (hf/ and model-<type>.gguf) and returns their paths. */
export function generateTestModel(options: TestModelOptions): TestModelFiles {
  const config = testModelConfig(options);
  const tokenizer = options.tokenizer ?? 'bpe';
  for (const format of options.formats) {
    if (format !== 'hf' && GGUF_FORMATS[format] === undefined) {
      throw new RangeError(`unknown format '${format}': expected hf or ${Object.keys(GGUF_FORMATS).join(', ')}`);
    }
  }
  if (tokenizer === 'spm' && options.formats.includes('hf')) {
    throw new RangeError('the SentencePiece-style test tokenizer is written to GGUF only; drop "hf" from the formats');
  }
  const realShape = options.preset !== undefined && options.preset !== 'tiny';
  const vocab = buildBpeVocabulary(config.vocabSize, config.architecture === 'llama');
  mkdirSync(options.out, { recursive: true });
  const files: { hf?: string; gguf: TestModelFiles['gguf'] } = { gguf: {} };
  for (const format of options.formats) {
    if (format === 'hf') {
      // Real checkpoints are BF16 in shards of about 5 GB; tiny models stay F32 in one file.
      const dtype = options.hfDtype ?? (realShape ? 'BF16' : 'F32');
      const shardBytes = options.shardBytes ?? (realShape ? DEFAULT_SHARD_BYTES : undefined);
      files.hf = join(options.out, 'hf');
      writeHfFolder(files.hf, config, vocab, options.seed, dtype, shardBytes);
      continue;
    }
    const type = GGUF_FORMATS[format];
    const path = join(options.out, `model-${format.slice('gguf-'.length)}.gguf`);
    writeGgufModel(path, { config, seed: options.seed, type, tokenizer: tokenizer === 'bpe' ? { kind: 'bpe', vocab } : { kind: 'spm' }, version: options.ggufVersion });
    files.gguf[format] = path;
  }
  return { config, ...files };
}

const HELP = `usage: node dist/tools/testmodel/generate.js --out DIR [options]

  --preset NAME      tiny (default), qwen2.5-0.5b, llama-3.2-1b or llama-3.1-8b
  --arch NAME        llama or qwen2 (default: the preset's)
  --layers N  --hidden D  --intermediate F  --heads H  --kv-heads K  --vocab V
                     override the preset's dimensions
  --tie / --no-tie   tie the output matrix to the embeddings
  --seed S           PRNG seed, an integer (default 1)
  --formats LIST     comma-separated: hf, ${Object.keys(GGUF_FORMATS).join(', ')} (default hf,gguf-f32)
  --tokenizer KIND   bpe (default) or spm (GGUF only)
  --hf-dtype TYPE    F32, F16 or BF16 for the Hugging Face weights
  --shard-bytes N    split the Hugging Face weights into shards of about N bytes
                     (default 5000000000 for the real shapes, one file for tiny)
  --gguf-version V   2 or 3 (default 3)`;

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new RangeError(`--${name} expects an integer, got '${value}'`);
  return parsed;
}

function tieOption(tie: boolean | undefined, noTie: boolean | undefined): boolean | undefined {
  if (tie && noTie) throw new RangeError('--tie and --no-tie exclude each other');
  if (tie) return true;
  if (noTie) return false;
  return undefined;
}

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      preset: { type: 'string' }, arch: { type: 'string' }, layers: { type: 'string' }, hidden: { type: 'string' },
      intermediate: { type: 'string' }, heads: { type: 'string' }, 'kv-heads': { type: 'string' }, vocab: { type: 'string' },
      tie: { type: 'boolean' }, 'no-tie': { type: 'boolean' }, seed: { type: 'string' }, out: { type: 'string' },
      formats: { type: 'string' }, tokenizer: { type: 'string' }, 'hf-dtype': { type: 'string' },
      'shard-bytes': { type: 'string' }, 'gguf-version': { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (values.help || values.out === undefined) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  if (values.preset !== undefined && !isPresetName(values.preset)) throw new RangeError(`unknown preset '${values.preset}': expected ${Object.keys(PRESETS).join(', ')}`);
  if (values.arch !== undefined && values.arch !== 'llama' && values.arch !== 'qwen2') throw new RangeError(`unknown architecture '${values.arch}': expected llama or qwen2`);
  const version = integer('gguf-version', values['gguf-version']);
  if (version !== undefined && version !== 2 && version !== 3) throw new RangeError(`--gguf-version expects 2 or 3, got ${version}`);
  const files = generateTestModel({
    preset: values.preset as PresetName | undefined,
    arch: values.arch as Architecture | undefined,
    layers: integer('layers', values.layers),
    hidden: integer('hidden', values.hidden),
    intermediate: integer('intermediate', values.intermediate),
    heads: integer('heads', values.heads),
    kvHeads: integer('kv-heads', values['kv-heads']),
    vocab: integer('vocab', values.vocab),
    tieEmbeddings: tieOption(values.tie, values['no-tie']),
    seed: integer('seed', values.seed) ?? 1,
    out: resolve(values.out),
    formats: (values.formats ?? 'hf,gguf-f32').split(',').map((f) => f.trim()) as OutputFormat[],
    tokenizer: values.tokenizer as 'bpe' | 'spm' | undefined,
    hfDtype: values['hf-dtype'] as SafetensorsDtype | undefined,
    shardBytes: integer('shard-bytes', values['shard-bytes']),
    ggufVersion: version as 2 | 3 | undefined,
  });
  console.log(JSON.stringify({ config: files.config, hf: files.hf, gguf: files.gguf }, null, 2));
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(`generate: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
