// Writes a planned test model as a Hugging Face folder and as GGUF files.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { gguf, type GgufEntry } from '../../src/model/gguf-types.js';
import { writeGguf, type GgufTensorToWrite } from '../../src/model/gguf-writer.js';
import { quantize } from '../../src/model/quantize.js';
import { fromF32, SAFETENSORS_DTYPE_BYTES, writeSafetensors, type SafetensorsDtype, type SafetensorsTensorToWrite } from '../../src/model/safetensors.js';
import { hfFromCanonical, isSmallVector } from '../../src/model/tensor-names.js';
import { GGML_TYPE_LAYOUT, GgmlType, type ModelConfig } from '../../src/model/types.js';
import {
  bpeGgufMetadata,
  generationConfigJson,
  spmGgufMetadata,
  tokenizerConfigJson,
  tokenizerJson,
  type BpeVocabulary,
} from './tokenizer-files.js';
import { llama3RopeFactors, permuteForInterleavedRope, planTensors, tensorChunks, type TensorPlan } from './weights.js';

function hfConfigJson(config: ModelConfig, vocab: BpeVocabulary, dtype: SafetensorsDtype): Record<string, unknown> {
  const scaling = config.ropeScaling;
  const ropeScaling = scaling === null ? null
    : scaling.type === 'linear' ? { rope_type: 'linear', factor: scaling.factor }
    : { rope_type: 'llama3', factor: scaling.factor, low_freq_factor: scaling.lowFreqFactor, high_freq_factor: scaling.highFreqFactor, original_max_position_embeddings: scaling.originalMaxPositions };
  return {
    architectures: [config.architecture === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    model_type: config.architecture,
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKvHeads,
    head_dim: config.headDim,
    hidden_act: 'silu',
    max_position_embeddings: config.maxPositions,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    rope_scaling: ropeScaling,
    tie_word_embeddings: config.tieWordEmbeddings,
    ...(config.architecture === 'llama' ? { attention_bias: false, mlp_bias: false } : {}),
    bos_token_id: vocab.bosId,
    eos_token_id: vocab.eosId,
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype],
  };
}

/** Writes `dir` as a Hugging Face folder; with `shardBytes`, weights are split into shards with an index. */
export function writeHfFolder(dir: string, config: ModelConfig, vocab: BpeVocabulary, seed: number, dtype: SafetensorsDtype, shardBytes?: number): void {
  mkdirSync(dir, { recursive: true });
  const json = (name: string, value: unknown) => writeFileSync(join(dir, name), JSON.stringify(value, null, 2) + '\n');
  json('config.json', hfConfigJson(config, vocab, dtype));
  json('tokenizer.json', tokenizerJson(vocab));
  json('tokenizer_config.json', tokenizerConfigJson(vocab, config.maxPositions));
  json('generation_config.json', generationConfigJson(vocab));

  const tensors: SafetensorsTensorToWrite[] = planTensors(config).map((plan) => ({
    name: hfFromCanonical(plan.name),
    dtype,
    shape: plan.rows === 1 ? [plan.cols] : [plan.rows, plan.cols],
    data: function* () {
      for (const chunk of tensorChunks(plan, seed)) yield fromF32(dtype, chunk);
    },
  }));
  if (shardBytes === undefined) {
    writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
    return;
  }

  const shards: SafetensorsTensorToWrite[][] = [[]];
  let shardSize = 0;
  let totalSize = 0;
  for (const tensor of tensors) {
    const nbytes = tensor.shape.reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[dtype];
    if (shardSize > 0 && shardSize + nbytes > shardBytes) {
      shards.push([]);
      shardSize = 0;
    }
    shards[shards.length - 1].push(tensor);
    shardSize += nbytes;
    totalSize += nbytes;
  }
  const weightMap: Record<string, string> = {};
  shards.forEach((shard, i) => {
    const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
    writeSafetensors(join(dir, file), shard, { format: 'pt' });
    for (const tensor of shard) weightMap[tensor.name] = file;
  });
  json('model.safetensors.index.json', { metadata: { total_size: totalSize }, weight_map: weightMap });
}

/** llama.cpp's general.file_type value for a file whose matrices are all of one type. */
const FILE_TYPE: Readonly<Record<GgmlType, number>> = {
  [GgmlType.F32]: 0, [GgmlType.F16]: 1, [GgmlType.Q4_0]: 2, [GgmlType.Q8_0]: 7,
  [GgmlType.Q4_K]: 14, [GgmlType.Q6_K]: 18, [GgmlType.BF16]: 32,
};

/**
 * Returns the type a matrix of `cols` columns is stored in: the requested one when its block
 * divides the row, else Q8_0, else F32. llama-quantize also falls back to a 32-value block type
 * for rows that K-quant blocks do not divide.
 */
export function matrixType(requested: GgmlType, cols: number): GgmlType {
  for (const type of [requested, GgmlType.Q8_0, GgmlType.F32]) if (cols % GGML_TYPE_LAYOUT[type].blockSize === 0) return type;
  return GgmlType.F32;
}

function modelMetadata(config: ModelConfig, type: GgmlType): [string, GgufEntry][] {
  const arch = config.architecture;
  const entries: [string, GgufEntry][] = [
    ['general.architecture', gguf.str(arch)],
    ['general.name', gguf.str(`nir test model (${arch})`)],
    ['general.file_type', gguf.u32(FILE_TYPE[type])],
    [`${arch}.vocab_size`, gguf.u32(config.vocabSize)],
    [`${arch}.context_length`, gguf.u32(config.maxPositions)],
    [`${arch}.embedding_length`, gguf.u32(config.hiddenSize)],
    [`${arch}.block_count`, gguf.u32(config.numLayers)],
    [`${arch}.feed_forward_length`, gguf.u32(config.intermediateSize)],
    [`${arch}.attention.head_count`, gguf.u32(config.numHeads)],
    [`${arch}.attention.head_count_kv`, gguf.u32(config.numKvHeads)],
    [`${arch}.attention.key_length`, gguf.u32(config.headDim)],
    [`${arch}.attention.value_length`, gguf.u32(config.headDim)],
    [`${arch}.attention.layer_norm_rms_epsilon`, gguf.f32(config.rmsNormEps)],
    [`${arch}.rope.freq_base`, gguf.f32(config.ropeTheta)],
    [`${arch}.rope.dimension_count`, gguf.u32(config.headDim)],
  ];
  if (config.ropeScaling?.type === 'linear') {
    entries.push([`${arch}.rope.scaling.type`, gguf.str('linear')], [`${arch}.rope.scaling.factor`, gguf.f32(config.ropeScaling.factor)]);
  }
  return entries;
}

function ggufTensor(plan: TensorPlan, config: ModelConfig, seed: number, requested: GgmlType): GgufTensorToWrite {
  const vector = isSmallVector(plan.name);
  const type = vector ? GgmlType.F32 : matrixType(requested, plan.cols);
  // llama.cpp expects Q and K rows of `llama` models permuted for its interleaved rotary pairing.
  const permute = config.architecture === 'llama' && /\.attn_[qk](\.bias)?$/.test(plan.name);
  const rowMultiple = permute ? config.headDim : 1;
  return {
    name: plan.name.endsWith('.bias') ? plan.name : `${plan.name}.weight`,
    dims: vector ? [plan.cols] : [plan.cols, plan.rows],
    type,
    data: function* () {
      for (const chunk of tensorChunks(plan, seed, rowMultiple)) {
        yield quantize(type, permute ? permuteForInterleavedRope(chunk, vector ? 1 : plan.cols, config.headDim) : chunk);
      }
    },
  };
}

export interface GgufTestFileOptions {
  readonly config: ModelConfig;
  readonly seed: number;
  readonly type: GgmlType;
  readonly tokenizer: { kind: 'bpe'; vocab: BpeVocabulary } | { kind: 'spm' };
  readonly version?: 2 | 3;
}

/** Writes the test model as one GGUF file whose matrices are of `type` (norms and biases stay F32). */
export function writeGgufModel(path: string, options: GgufTestFileOptions): void {
  const { config, seed, type } = options;
  const tokenizer = options.tokenizer.kind === 'bpe' ? bpeGgufMetadata(options.tokenizer.vocab) : spmGgufMetadata(config.vocabSize);
  const tensors = planTensors(config).map((plan) => ggufTensor(plan, config, seed, type));
  if (config.ropeScaling?.type === 'llama3') {
    const factors = llama3RopeFactors(config);
    tensors.push({ name: 'rope_freqs.weight', dims: [factors.length], type: GgmlType.F32, data: quantize(GgmlType.F32, factors) });
  }
  writeGguf(path, { version: options.version ?? 3, metadata: [...modelMetadata(config, type), ...tokenizer], tensors });
}
