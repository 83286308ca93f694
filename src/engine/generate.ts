// Token generation: prefill, then sample and feed one token at a time until a stop condition.

import { InputError } from '../util/errors.js';
import type { Decoder, ForwardObserver } from './forward.js';
import { addedRows, type Injection, type PositionMode } from './injection.js';
import { Sequence } from './sequence.js';

/** Next-token picker over logits [V]; a temperature-0 sampler returns the argmax. */
export interface TokenSampler {
  sample(logits: Float32Array): number;
}

export type StopReason = 'stop-token' | 'stop-string' | 'max-tokens';

export interface GenerateRequest {
  promptTokens: readonly number[];
  injections?: readonly Injection[];
  positions?: PositionMode;
  sampler: TokenSampler;
  maxTokens: number;
  /** End-of-sequence and end-of-turn ids. The stop token itself is not returned. */
  stopTokenIds?: readonly number[];
  /** Generation stops once the decoded text contains one of these; `decode` is then required. */
  stopStrings?: readonly string[];
  decode?: (ids: number[]) => string;
  /** Called with each returned token as soon as it is chosen. */
  onToken?: (token: number) => void;
  /** Whether to return the logits [V] of every step. */
  returnLogits?: boolean;
  /** Layer whose input H_layer is recorded for the generated tokens (see GenerateResult.recorded). */
  record?: { layer: number };
  /** Extra observer of every forward call, for tests and tools. */
  observer?: ForwardObserver;
}

export interface GenerateResult {
  tokens: number[];
  /** decode(tokens), cut before the stop string that ended generation; set when `decode` is given. */
  text?: string;
  /** Logits [V] of each step; logits[i] is what tokens[i] was sampled from, plus the step that chose a stop token. */
  logits?: Float32Array[];
  stopReason: StopReason;
  /**
   * Rows [tokens.length, d] of H_layer for the returned tokens, equal to what a capture of
   * prompt + tokens returns for those positions when there are no injections.
   */
  recorded?: Float32Array;
}

/** Generates tokens after `promptTokens`, with the given injections integrated. */
export function generate(decoder: Decoder, request: GenerateRequest): GenerateResult {
  const config = decoder.config;
  const m = request.promptTokens.length;
  const injections = request.injections ?? [];
  const injectedRows = injections.reduce((sum, injection) => sum + addedRows(injection), 0);
  checkRequest(request, config.numLayers);
  if (m + injectedRows + request.maxTokens > config.maxPositions) {
    throw new InputError(
      `prompt of ${m} tokens + ${injectedRows} injected rows + ${request.maxTokens} new tokens = ` +
        `${m + injectedRows + request.maxTokens} positions, more than the model's context length of ${config.maxPositions}`,
      { expected: `at most ${config.maxPositions} positions`, found: String(m + injectedRows + request.maxTokens), hint: 'shorten the prompt or lower the maximum new tokens' },
    );
  }

  const recorder = request.record === undefined ? undefined : new RowRecorder(request.record.layer, config.hiddenSize);
  const sequence = new Sequence(decoder, {
    injections,
    positions: request.positions,
    capacity: m + injectedRows + request.maxTokens,
    observer: combineObservers(recorder, request.observer),
  });
  const stopIds = new Set(request.stopTokenIds ?? []);
  const tokens: number[] = [];
  const allLogits: Float32Array[] = [];
  let stopReason: StopReason = 'max-tokens';
  let cutText: string | undefined;

  let logits = sequence.prefill(Int32Array.from(request.promptTokens))!;
  recorder?.start();
  while (tokens.length < request.maxTokens) {
    if (request.returnLogits) allLogits.push(logits);
    const token = request.sampler.sample(logits);
    if (stopIds.has(token)) {
      stopReason = 'stop-token';
      break;
    }
    tokens.push(token);
    request.onToken?.(token);
    if (request.stopStrings !== undefined && request.stopStrings.length > 0) {
      const text = request.decode!(tokens);
      const at = firstStopString(text, request.stopStrings);
      if (at >= 0) {
        stopReason = 'stop-string';
        cutText = text.slice(0, at);
        break;
      }
    }
    if (tokens.length === request.maxTokens) break;
    logits = sequence.step(token)!;
  }

  // The last returned token was never fed; a partial step up to the recorded layer records it.
  if (recorder !== undefined && tokens.length > sequence.stepsTaken) {
    sequence.step(tokens[tokens.length - 1], recorder.layer);
  }

  const result: GenerateResult = { tokens, stopReason };
  if (request.decode !== undefined) result.text = cutText ?? request.decode(tokens);
  if (request.returnLogits) result.logits = allLogits;
  if (recorder !== undefined) result.recorded = recorder.rows();
  return result;
}

function checkRequest(request: GenerateRequest, numLayers: number): void {
  if (!Number.isInteger(request.maxTokens) || request.maxTokens < 0) {
    throw new InputError(`invalid maximum new tokens ${request.maxTokens}: expected a whole number >= 0`);
  }
  if (request.promptTokens.length === 0) {
    throw new InputError('the prompt is empty: generation needs at least one prompt token');
  }
  if (request.stopStrings !== undefined && request.stopStrings.length > 0 && request.decode === undefined) {
    throw new InputError('stop strings were given without a decode function to turn tokens into text');
  }
  const layer = request.record?.layer;
  if (layer !== undefined && (!Number.isInteger(layer) || layer < 0 || layer > numLayers)) {
    throw new InputError(`invalid record layer ${layer}: expected 0..${numLayers}`);
  }
}

/** Index of the earliest stop string in `text`, or -1. */
function firstStopString(text: string, stopStrings: readonly string[]): number {
  let first = -1;
  for (const stop of stopStrings) {
    if (stop.length === 0) continue;
    const at = text.indexOf(stop);
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  return first;
}

/** Copies the rows of decode steps at one layer; prompt rows from the prefill are ignored. */
class RowRecorder implements ForwardObserver {
  private recording = false;
  private readonly chunks: Float32Array[] = [];

  constructor(
    readonly layer: number,
    private readonly d: number,
  ) {}

  start(): void {
    this.recording = true;
  }

  wantsLayerInput(layer: number): boolean {
    return this.recording && layer === this.layer;
  }

  onLayerInput(_layer: number, hidden: Float32Array, _firstRow: number, rowCount: number): void {
    this.chunks.push(hidden.slice(0, rowCount * this.d));
  }

  rows(): Float32Array {
    const out = new Float32Array(this.chunks.length * this.d); // [tokens, d]
    this.chunks.forEach((chunk, i) => out.set(chunk, i * this.d));
    return out;
  }
}

function combineObservers(...observers: (ForwardObserver | undefined)[]): ForwardObserver | undefined {
  const present = observers.filter((o): o is ForwardObserver => o !== undefined);
  if (present.length <= 1) return present[0];
  return {
    wantsLayerInput: (layer) => present.some((o) => o.wantsLayerInput(layer)),
    onLayerInput: (layer, hidden, firstRow, rowCount) => {
      for (const o of present) if (o.wantsLayerInput(layer)) o.onLayerInput(layer, hidden, firstRow, rowCount);
    },
  };
}
