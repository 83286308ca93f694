// Thinking stage: the model writes its reasoning about a task, once per task for every depth.
// The result is cached in the run folder (thinking/<task_id>.json), so a resumed run or a run
// with more depths does not think again.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Task } from '../data/mbpp.js';
import type { ForwardObserver } from '../engine/forward.js';
import { generate } from '../engine/generate.js';
import { createSampler } from '../engine/sampling.js';
import { writeFileAtomic } from '../store/run-folder.js';
import { log } from '../util/log.js';
import type { ModelContext } from './model-context.js';
import { encodeUserPrompt } from './model-context.js';
import type { EvalOptions } from './options.js';
import { renderTemplate } from './templates.js';

export interface ThinkingRecord {
  task_id: number;
  prompt: string;
  /** Token ids of the prompt, chat template included. */
  prompt_ids: number[];
  reasoning: string;
  tokens: number[];
  stop_reason: string;
  seconds: number;
}

export interface ThinkingResult {
  record: ThinkingRecord;
  /** H_l rows [tokens.length, d] of the reasoning tokens, recorded while generating, by layer (recorded source only). */
  recorded: Map<number, Float32Array>;
  cached: boolean;
}

/** Placeholder values of a task for both prompt templates. */
export function taskPlaceholders(task: Task): Record<string, string> {
  return { task: task.text.trim(), tests: task.tests.join('\n') };
}

export function thinkingPath(runDir: string, taskId: number): string {
  return join(runDir, 'thinking', `${taskId}.json`);
}

export function readThinking(runDir: string, taskId: number): ThinkingRecord | null {
  const path = thinkingPath(runDir, taskId);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ThinkingRecord;
  } catch (error) {
    log.warn(`ignoring unreadable thinking cache ${path}: ${(error as Error).message}`);
    return null;
  }
}

/**
 * Runs (or reads back) the thinking stage of one task. With `recordLayers`, the hidden states of
 * the reasoning tokens at those layers are recorded during generation. A cached result has no
 * recorded rows, so the caller then captures them from the tokens.
 */
export function think(context: ModelContext, task: Task, options: EvalOptions, runDir: string, template: string, recordLayers: readonly number[]): ThinkingResult {
  const cached = readThinking(runDir, task.taskId);
  if (cached !== null) return { record: cached, recorded: new Map(), cached: true };

  const prompt = renderTemplate(template, taskPlaceholders(task), options.thinkingTemplate);
  const promptTokens = encodeUserPrompt(context.tokenizer, prompt, options.chat);
  const d = context.model.config.hiddenSize;
  const chunks = new Map<number, Float32Array[]>(recordLayers.map((layer) => [layer, []]));
  const observer: ForwardObserver | undefined =
    recordLayers.length === 0
      ? undefined
      : {
          wantsLayerInput: (layer) => chunks.has(layer),
          onLayerInput: (layer, hidden, firstRow, rowCount) => {
            // Prompt rows come from the prefill; only rows of generated tokens are kept.
            const skip = Math.max(0, promptTokens.length - firstRow);
            if (skip < rowCount) chunks.get(layer)!.push(hidden.slice(skip * d, rowCount * d));
          },
        };

  const started = Date.now();
  // A long task prompt leaves less room to think; one that fills the context gets no reasoning.
  const maxTokens = Math.min(options.thinkingMaxTokens, context.model.config.maxPositions - promptTokens.length);
  if (maxTokens <= 0) {
    log.warn(`task ${task.taskId}: thinking prompt of ${promptTokens.length} tokens fills the context of ${context.model.config.maxPositions}; no reasoning`);
    const record: ThinkingRecord = { task_id: task.taskId, prompt, prompt_ids: promptTokens, reasoning: '', tokens: [], stop_reason: 'context-full', seconds: 0 };
    mkdirSync(join(runDir, 'thinking'), { recursive: true });
    writeFileAtomic(thinkingPath(runDir, task.taskId), `${JSON.stringify(record)}\n`);
    return { record, recorded: new Map(recordLayers.map((layer) => [layer, new Float32Array(0)])), cached: false };
  }
  const result = generate(context.decoder, {
    promptTokens,
    sampler: createSampler({ temperature: options.temperature, topK: options.topK, topP: options.topP, seed: options.seed + task.taskId }),
    maxTokens,
    stopTokenIds: context.tokenizer.stopIds,
    decode: (ids) => context.tokenizer.decode(ids, { skipSpecial: true }),
    // Recording the deepest layer makes generate feed the last token up to it, so every layer has every row.
    record: recordLayers.length === 0 ? undefined : { layer: Math.max(...recordLayers) },
    observer,
  });
  const record: ThinkingRecord = {
    task_id: task.taskId,
    prompt,
    prompt_ids: promptTokens,
    reasoning: result.text ?? '',
    tokens: result.tokens,
    stop_reason: result.stopReason,
    seconds: (Date.now() - started) / 1000,
  };
  mkdirSync(join(runDir, 'thinking'), { recursive: true });
  writeFileAtomic(thinkingPath(runDir, task.taskId), `${JSON.stringify(record)}\n`);

  const recorded = new Map<number, Float32Array>();
  for (const [layer, parts] of chunks) {
    const rows = new Float32Array(result.tokens.length * d); // [tokens, d]
    let at = 0;
    for (const part of parts) {
      const take = Math.min(part.length, rows.length - at);
      rows.set(part.subarray(0, take), at);
      at += take;
    }
    recorded.set(layer, rows);
  }
  return { record, recorded, cached: false };
}
