// Looks up and shape-checks the tensors of a Llama-family decoder once, before any compute.

import type { ModelConfig, WeightTensor } from '../model/types.js';
import { GgmlType } from '../model/types.js';
import { ModelFileError } from '../util/errors.js';

/** The parts of a loaded model the engine uses: its config and its weights by canonical name. */
export interface ModelWeights {
  readonly config: ModelConfig;
  readonly weights: ReadonlyMap<string, WeightTensor>;
  /** File or folder the weights came from, for error messages. */
  readonly path?: string;
}

export interface LayerWeights {
  attnNorm: WeightTensor; // [1, d]
  q: WeightTensor; // [nh * hd, d]
  k: WeightTensor; // [nkv * hd, d]
  v: WeightTensor; // [nkv * hd, d]
  qBias?: WeightTensor; // [1, nh * hd]
  kBias?: WeightTensor; // [1, nkv * hd]
  vBias?: WeightTensor; // [1, nkv * hd]
  output: WeightTensor; // [d, nh * hd]
  ffnNorm: WeightTensor; // [1, d]
  gate: WeightTensor; // [ff, d]
  up: WeightTensor; // [ff, d]
  down: WeightTensor; // [d, ff]
}

export interface DecoderWeights {
  tokenEmbedding: WeightTensor; // [V, d]
  outputNorm: WeightTensor; // [1, d]
  /** The output head: `output` [V, d], or the token embedding when the model ties them. */
  output: WeightTensor; // [V, d]
  /** `rope_freqs` [1, hd / 2] when the file has one. */
  ropeFreqs?: WeightTensor;
  layers: LayerWeights[];
}

/** Finds every tensor the forward pass uses and checks its shape against the config. */
export function resolveDecoderWeights(model: ModelWeights): DecoderWeights {
  const { config } = model;
  const source = model.path ?? 'model';
  const d = config.hiddenSize;
  const qWidth = config.numHeads * config.headDim;
  const kvWidth = config.numKvHeads * config.headDim;
  const ff = config.intermediateSize;
  const V = config.vocabSize;

  const get = (name: string, rows: number, cols: number, f32Only = false): WeightTensor => {
    const tensor = model.weights.get(name);
    if (tensor === undefined) throw new ModelFileError(source, `tensor '${name}'`, 'no such tensor');
    if (tensor.rows !== rows || tensor.cols !== cols) {
      throw new ModelFileError(source, `tensor '${name}' of shape [${rows}, ${cols}]`, `[${tensor.rows}, ${tensor.cols}]`);
    }
    if (f32Only && tensor.type !== GgmlType.F32) {
      throw new ModelFileError(source, `tensor '${name}' in F32`, `type id ${tensor.type}`, 'norm weights and biases must be F32');
    }
    return tensor;
  };
  const vector = (name: string, width: number): WeightTensor => get(name, 1, width, true);
  const optionalVector = (name: string, width: number): WeightTensor | undefined =>
    model.weights.has(name) ? vector(name, width) : undefined;

  if (config.numHeads % config.numKvHeads !== 0) {
    throw new ModelFileError(source, 'query heads divisible by key/value heads', `${config.numHeads} and ${config.numKvHeads}`);
  }

  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    const p = `blk.${l}.`;
    const layer: LayerWeights = {
      attnNorm: vector(`${p}attn_norm`, d),
      q: get(`${p}attn_q`, qWidth, d),
      k: get(`${p}attn_k`, kvWidth, d),
      v: get(`${p}attn_v`, kvWidth, d),
      output: get(`${p}attn_output`, d, qWidth),
      ffnNorm: vector(`${p}ffn_norm`, d),
      gate: get(`${p}ffn_gate`, ff, d),
      up: get(`${p}ffn_up`, ff, d),
      down: get(`${p}ffn_down`, d, ff),
    };
    if (config.attentionBias) {
      layer.qBias = vector(`${p}attn_q.bias`, qWidth);
      layer.kBias = vector(`${p}attn_k.bias`, kvWidth);
      layer.vBias = vector(`${p}attn_v.bias`, kvWidth);
    } else {
      layer.qBias = optionalVector(`${p}attn_q.bias`, qWidth);
      layer.kBias = optionalVector(`${p}attn_k.bias`, kvWidth);
      layer.vBias = optionalVector(`${p}attn_v.bias`, kvWidth);
    }
    layers.push(layer);
  }

  const tokenEmbedding = get('token_embd', V, d);
  const output = model.weights.has('output') ? get('output', V, d) : tokenEmbedding;
  return {
    tokenEmbedding,
    outputNorm: vector('output_norm', d),
    output,
    ropeFreqs: optionalVector('rope_freqs', config.headDim / 2),
    layers,
  };
}
