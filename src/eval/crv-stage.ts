// CRV stage: the hidden states of the reasoning at each capture layer, cached as safetensors
// files in the run folder (crv/<task_id>-c<layer>.safetensors).

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { capture } from '../nir/capture.js';
import { loadCrv, saveCrv } from '../nir/crv-file.js';
import type { Crv } from '../nir/injection.js';
import type { ModelConfig } from '../model/types.js';
import { writeFileAtomic } from '../store/run-folder.js';
import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';
import type { ModelContext } from './model-context.js';
import type { CrvSource } from './options.js';
import { selectSource } from './sections.js';
import type { ThinkingResult } from './thinking.js';

export interface CrvStats {
  layer: number;
  rows: number;
  /** L2 norm of the rows: mean, smallest and largest; null without rows. */
  norm_mean: number | null;
  norm_min: number | null;
  norm_max: number | null;
}

export interface TaskCrvs {
  /** Token ids the CRV rows belong to: the encoded source text, or the reasoning tokens (recorded source). */
  sourceTokens: number[];
  sourceText: string;
  byLayer: Map<number, Crv>;
  stats: CrvStats[];
}

export function crvPath(runDir: string, taskId: number, layer: number): string {
  return join(runDir, 'crv', `${taskId}-c${layer}.safetensors`);
}

export function crvStatsPath(runDir: string, taskId: number): string {
  return join(runDir, 'crv', `${taskId}.stats.json`);
}

/** CRV statistics of a task written by an earlier start, or an empty list. */
export function readCrvStats(runDir: string, taskId: number): CrvStats[] {
  const path = crvStatsPath(runDir, taskId);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as CrvStats[]) : [];
}

export function crvStats(layer: number, crv: Crv): CrvStats {
  if (crv.rowCount === 0) return { layer, rows: 0, norm_mean: null, norm_min: null, norm_max: null };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0; r < crv.rowCount; r++) {
    let squares = 0;
    for (let i = r * crv.width; i < (r + 1) * crv.width; i++) squares += crv.rows[i] * crv.rows[i];
    const norm = Math.sqrt(squares);
    sum += norm;
    min = Math.min(min, norm);
    max = Math.max(max, norm);
  }
  return { layer, rows: crv.rowCount, norm_mean: sum / crv.rowCount, norm_min: min, norm_max: max };
}

/**
 * Builds (or reads back) the CRVs of one task at every capture layer.
 * `reasoning` and `sections` re-encode the source text on its own (with the model's BOS) and
 * capture H_l of all its positions. `recorded` uses the rows recorded during the thinking stage.
 * When the thinking came from the cache, those rows are captured again after the thinking prompt.
 */
export function buildCrvs(context: ModelContext, thinking: ThinkingResult, source: CrvSource, layers: readonly number[], runDir: string): TaskCrvs {
  const { tokenizer, decoder, model } = context;
  const taskId = thinking.record.task_id;
  const reasoning = thinking.record.reasoning;
  const sourceText = source.kind === 'sections' ? selectSource(reasoning, source.sections) : reasoning;
  let sourceTokens: number[] = [];
  if (source.kind === 'recorded') sourceTokens = thinking.record.tokens;
  else if (sourceText !== '') sourceTokens = tokenizer.encode(sourceText, { addSpecial: true });
  const d = model.config.hiddenSize;

  mkdirSync(join(runDir, 'crv'), { recursive: true });
  const byLayer = new Map<number, Crv>();
  for (const layer of layers) {
    const path = crvPath(runDir, taskId, layer);
    let crv: Crv;
    const cached = existsSync(path) ? readCachedCrv(path, model.config) : null;
    if (cached !== null) {
      crv = cached;
    } else {
      const recorded = thinking.recorded.get(layer);
      if (source.kind === 'recorded' && recorded !== undefined) {
        crv = { rows: recorded, rowCount: recorded.length / d, width: d };
      } else if (sourceTokens.length === 0) {
        crv = { rows: new Float32Array(0), rowCount: 0, width: d };
      } else if (source.kind === 'recorded') {
        // The reasoning tokens continue the thinking prompt, so capture them in that context.
        crv = captureContinuation(context, thinking, layer);
      } else {
        crv = capture(decoder, sourceTokens, layer);
      }
      saveCrv(path, crv, {
        modelName: model.path,
        modelPath: model.path,
        modelSha256: context.sha256,
        layer,
        sourceText: source.kind === 'recorded' ? undefined : sourceText,
        sourceTokens,
        span: { start: 0, end: crv.rowCount },
      });
    }
    byLayer.set(layer, crv);
  }
  const stats = layers.map((layer) => crvStats(layer, byLayer.get(layer)!));
  writeFileAtomic(crvStatsPath(runDir, taskId), `${JSON.stringify(stats)}\n`);
  return { sourceTokens, sourceText, byLayer, stats };
}

/** Reads a CRV cached by an earlier start; returns null, with a warning, when the file is damaged so that it is captured again. */
function readCachedCrv(path: string, config: ModelConfig): Crv | null {
  try {
    return loadCrv(path, config).crv;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    log.warn(`ignoring the damaged CRV cache ${path} and capturing it again: ${error.message}`);
    return null;
  }
}

/** H_l of the reasoning tokens after the thinking prompt: what recording during generation gives. */
function captureContinuation(context: ModelContext, thinking: ThinkingResult, layer: number): Crv {
  const { prompt_ids: promptIds, tokens } = thinking.record;
  const all = [...promptIds, ...tokens];
  return capture(context.decoder, all, layer, { start: promptIds.length, end: all.length });
}
