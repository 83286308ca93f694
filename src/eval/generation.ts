// Generation stage: the code of one task for one variant (orig, a depth, or ctx), then scoring.

import type { Task } from '../data/mbpp.js';
import { generate } from '../engine/generate.js';
import { createSampler } from '../engine/sampling.js';
import { createInjection, type Injection } from '../nir/injection.js';
import { scoreCompletion, type ScoreDependencies } from '../score/scorer.js';
import type { SampleRecord } from '../score/sample.js';
import { log } from '../util/log.js';
import type { TaskCrvs } from './crv-stage.js';
import type { Variant } from './depths.js';
import type { ModelContext } from './model-context.js';
import { encodeUserPrompt } from './model-context.js';
import type { EvalOptions } from './options.js';
import { renderTemplate } from './templates.js';
import { taskPlaceholders } from './thinking.js';

/** A generation variant of the run: a depth, `orig`, or `ctx` (the CRV source tokens in front of the prompt). */
export type RunVariant = Variant | { readonly name: 'ctx' };

/** One line of samples.jsonl of an eval run: the scored record plus how it was generated. */
export interface EvalSampleRecord extends SampleRecord {
  prompt: string;
  completion: string;
  prompt_tokens: number;
  generated_tokens: number;
  stop_reason: string;
  generation_seconds: number;
  capture_layer: number | null;
  integration_layer: number | null;
  placement: string | null;
  positions: string;
  crv_rows: number;
  /** Rows dropped from the front of the CRV so that the sequence fits the context length. */
  crv_rows_dropped: number;
  crv_norm_mean: number | null;
  retried: boolean;
}

interface GenerationOutput {
  completion: string;
  promptTokens: number;
  generatedTokens: number;
  stopReason: string;
  seconds: number;
  crvRows: number;
  crvRowsDropped: number;
}

let truncationWarned = false;

/** Seed of one (task, sample): the same for every variant, so that variants differ only by integration. */
export function sampleSeed(baseSeed: number, taskId: number, sample: number): number {
  return (baseSeed + taskId * 1009 + sample * 7919) >>> 0;
}

function runGeneration(context: ModelContext, variant: RunVariant, prompt: string, crvs: TaskCrvs, options: EvalOptions, seed: number): GenerationOutput {
  const { tokenizer, decoder, model } = context;
  const config = model.config;
  let promptTokens = encodeUserPrompt(tokenizer, prompt, options.chat);
  const injections: Injection[] = [];
  let crvRows = 0;
  let crvRowsDropped = 0;
  // A long task prompt leaves fewer new tokens, and the CRV takes only what is left after those.
  const maxTokens = Math.max(0, Math.min(options.codeMaxTokens, config.maxPositions - promptTokens.length));
  const room = config.maxPositions - promptTokens.length - maxTokens;
  if (maxTokens === 0) {
    log.warn(`code prompt of ${promptTokens.length} tokens fills the context of ${config.maxPositions}; the sample gets no completion`);
    return { completion: '', promptTokens: promptTokens.length, generatedTokens: 0, stopReason: 'context-full', seconds: 0, crvRows: 0, crvRowsDropped: 0 };
  }

  if (variant.name === 'ctx') {
    const kept = crvs.sourceTokens.slice(Math.max(0, crvs.sourceTokens.length - Math.max(0, room)));
    crvRowsDropped = crvs.sourceTokens.length - kept.length;
    crvRows = kept.length;
    promptTokens = [...kept, ...promptTokens];
  } else if ('integrationLayer' in variant) {
    const crv = crvs.byLayer.get(variant.captureLayer)!;
    let rows = crv.rows;
    let rowCount = crv.rowCount;
    if (options.placement !== 'add' && rowCount > room) {
      // Keep the last rows: the end of the reasoning (the draft) is closest to the code.
      crvRowsDropped = rowCount - Math.max(0, room);
      rowCount -= crvRowsDropped;
      rows = rows.subarray(crvRowsDropped * crv.width);
      // Long reasoning makes this common on small-context models: warn once, then log at debug level.
      const message = `CRV of ${crv.rowCount} rows does not fit the context of ${config.maxPositions}; dropped its first ${crvRowsDropped} rows (samples record crv_rows_dropped)`;
      if (truncationWarned) log.debug(message);
      else log.warn(message);
      truncationWarned = true;
    }
    crvRows = rowCount;
    if (rowCount > 0) {
      injections.push(
        createInjection(config, { rows, rowCount, width: crv.width }, {
          layer: variant.integrationLayer,
          placement: options.placement,
          alpha: options.placement === 'add' ? options.alpha : undefined,
          source: `CRV of layer ${variant.captureLayer}`,
        }),
      );
    }
  }

  const started = Date.now();
  const result = generate(decoder, {
    promptTokens,
    injections,
    positions: options.positions,
    sampler: createSampler({ temperature: options.temperature, topK: options.topK, topP: options.topP, seed }),
    maxTokens,
    stopTokenIds: tokenizer.stopIds,
    decode: (ids) => tokenizer.decode(ids, { skipSpecial: true }),
  });
  return {
    completion: result.text ?? '',
    promptTokens: promptTokens.length,
    generatedTokens: result.tokens.length,
    stopReason: result.stopReason,
    seconds: (Date.now() - started) / 1000,
    crvRows,
    crvRowsDropped,
  };
}

/** Generates and scores one sample, and retries once with the function name when `retryOnNameMismatch` is set. */
export async function generateSample(
  context: ModelContext,
  task: Task,
  variant: RunVariant,
  sample: number,
  crvs: TaskCrvs,
  options: EvalOptions,
  codeTemplate: string,
  scoring: ScoreDependencies,
): Promise<{ record: EvalSampleRecord; tokens: number; seconds: number }> {
  const key = { task_id: task.taskId, variant: variant.name, sample };
  const seed = sampleSeed(options.seed, task.taskId, sample);
  let prompt = renderTemplate(codeTemplate, taskPlaceholders(task), options.codeTemplate);
  let output = runGeneration(context, variant, prompt, crvs, options, seed);
  let scored = await scoreCompletion(task, output.completion, key, scoring);
  let tokens = output.generatedTokens;
  let seconds = output.seconds;
  let retried = false;

  if (options.retryOnNameMismatch && scored.name_match === false && scored.called_function !== null) {
    prompt = `${prompt}\nThe function must be named ${scored.called_function}.`;
    output = runGeneration(context, variant, prompt, crvs, options, seed);
    scored = await scoreCompletion(task, output.completion, key, scoring);
    tokens += output.generatedTokens;
    seconds += output.seconds;
    retried = true;
  }

  const integrated = 'integrationLayer' in variant;
  const stats = integrated ? crvs.stats.find((s) => s.layer === variant.captureLayer) : undefined;
  const record: EvalSampleRecord = {
    ...scored,
    prompt,
    completion: output.completion,
    prompt_tokens: output.promptTokens,
    generated_tokens: output.generatedTokens,
    stop_reason: output.stopReason,
    generation_seconds: output.seconds,
    capture_layer: integrated ? variant.captureLayer : null,
    integration_layer: integrated ? variant.integrationLayer : null,
    placement: integrated ? options.placement : null,
    positions: options.positions,
    crv_rows: output.crvRows,
    crv_rows_dropped: output.crvRowsDropped,
    crv_norm_mean: stats?.norm_mean ?? null,
    retried,
  };
  return { record, tokens, seconds };
}
