// CRV files: safetensors with one F32 tensor `crv` [rows, hidden] and string metadata that names
// the model, its file hash, the layer and the source the rows were captured from.

import { existsSync } from 'node:fs';
import { readSafetensors, writeSafetensors } from '../model/safetensors.js';
import type { ModelConfig } from '../model/types.js';
import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';
import type { Crv } from './injection.js';

export const CRV_TENSOR = 'crv';
export const CRV_FORMAT = 'nir-crv/1';

export interface CrvProvenance {
  modelName: string;
  modelPath: string;
  /** sha256 of the model file(s), hex. */
  modelSha256: string;
  /** Layer l whose input H_l the rows are. */
  layer: number;
  /** Text the tokens came from, when the capture started from text. */
  sourceText?: string;
  sourceTokens: readonly number[];
  /** Half-open token range [start, end) of the captured rows. */
  span: { start: number; end: number };
}

export interface LoadedCrv {
  crv: Crv;
  provenance: CrvProvenance;
  path: string;
}

export function saveCrv(path: string, crv: Crv, provenance: CrvProvenance): void {
  if (crv.rows.length !== crv.rowCount * crv.width) {
    throw new RangeError(`CRV has ${crv.rows.length} values, expected ${crv.rowCount} rows of width ${crv.width}`);
  }
  const metadata: Record<string, string> = {
    format: CRV_FORMAT,
    model_name: provenance.modelName,
    model_path: provenance.modelPath,
    model_sha256: provenance.modelSha256,
    layer: String(provenance.layer),
    source_tokens: JSON.stringify(provenance.sourceTokens),
    span: `${provenance.span.start}:${provenance.span.end}`,
  };
  if (provenance.sourceText !== undefined) metadata.source_text = provenance.sourceText;
  writeSafetensors(path, [{ name: CRV_TENSOR, dtype: 'F32', shape: [crv.rowCount, crv.width], data: crv.rows }], metadata);
}

/**
 * Reads a CRV file and checks it against the model: the width must equal the hidden size and the
 * rows must fit the context length. A different model hash is only logged as a warning, because
 * the same weights can come in another file format.
 */
export function loadCrv(path: string, config: ModelConfig, modelSha256?: string): LoadedCrv {
  if (!existsSync(path)) throw new InputError(`CRV file ${path} not found. Write one with \`nir capture\`.`, { source: path });
  const file = readSafetensors(path);
  const info = file.tensors.get(CRV_TENSOR);
  if (info === undefined) {
    throw new InputError(`${path}: no tensor '${CRV_TENSOR}' found. Is this a CRV file written by \`nir capture\`?`, {
      source: path,
      expected: `a tensor '${CRV_TENSOR}'`,
      found: [...file.tensors.keys()].slice(0, 5).join(', ') || 'no tensors',
    });
  }
  if (info.shape.length !== 2) {
    throw new InputError(`${path}: tensor '${CRV_TENSOR}' should have shape [rows, hidden], found [${info.shape.join(', ')}]`);
  }
  const [rowCount, width] = info.shape;
  if (width !== config.hiddenSize) {
    throw new InputError(`${path}: CRV width ${width} does not match the model's hidden size ${config.hiddenSize}`, {
      source: path,
      expected: `width ${config.hiddenSize}`,
      found: `width ${width}`,
      hint: 'capture the CRV with the same model',
    });
  }
  if (rowCount > config.maxPositions) {
    throw new InputError(`${path}: CRV has ${rowCount} rows, more than the model's context length ${config.maxPositions}`);
  }

  const provenance = parseProvenance(path, file.metadata);
  if (modelSha256 !== undefined && provenance.modelSha256 !== modelSha256) {
    log.warn(`${path}: captured from a model with sha256 ${provenance.modelSha256}, not the loaded model's ${modelSha256}`);
  }
  const rows = file.readTensorF32(CRV_TENSOR); // [rowCount, width]
  return { crv: { rows, rowCount, width }, provenance, path };
}

function parseProvenance(path: string, metadata: Record<string, string>): CrvProvenance {
  const required = (key: string): string => {
    const value = metadata[key];
    if (value === undefined) throw new InputError(`${path}: CRV metadata is missing '${key}'`);
    return value;
  };
  if (metadata.format !== CRV_FORMAT) {
    throw new InputError(`${path}: CRV metadata format should be '${CRV_FORMAT}', found '${metadata.format ?? 'none'}'`);
  }
  const layer = Number(required('layer'));
  if (!Number.isInteger(layer) || layer < 0) throw new InputError(`${path}: invalid CRV layer '${metadata.layer}'`);
  let sourceTokens: number[];
  try {
    sourceTokens = JSON.parse(required('source_tokens')) as number[];
  } catch {
    throw new InputError(`${path}: CRV metadata 'source_tokens' is not a JSON list of token ids`);
  }
  if (!Array.isArray(sourceTokens) || !sourceTokens.every((id) => Number.isInteger(id))) {
    throw new InputError(`${path}: CRV metadata 'source_tokens' is not a JSON list of token ids`);
  }
  const span = /^(\d+):(\d+)$/.exec(required('span'));
  if (span === null) throw new InputError(`${path}: invalid CRV span '${metadata.span}', expected START:END`);
  return {
    modelName: required('model_name'),
    modelPath: required('model_path'),
    modelSha256: required('model_sha256'),
    layer,
    sourceText: metadata.source_text,
    sourceTokens,
    span: { start: Number(span[1]), end: Number(span[2]) },
  };
}
