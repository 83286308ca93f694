// Options of `nir eval`, their defaults, and which of them may change when a run is resumed.

import type { Placement, PositionMode } from '../engine/injection.js';

/** Source of the CRV rows. */
export type CrvSource =
  | { readonly kind: 'reasoning' }
  | { readonly kind: 'sections'; readonly sections: readonly string[] }
  | { readonly kind: 'recorded' };

export interface EvalOptions {
  /** Resolved local path of the model (GGUF file or Hugging Face folder). */
  readonly model: string;
  /** `full`, `sanitized` or the path of an MBPP JSONL file. */
  readonly dataset: string;
  /** A split name (`test`, `train`, ...), `all`, or ids and ranges such as `11-20,25`. */
  readonly tasks: string;
  readonly limit?: number;
  readonly layers?: string;
  readonly pairs?: string;
  /** Also run generation with the CRV source tokens in front of the prompt (the `ctx` variant). */
  readonly contextVariant: boolean;
  readonly placement: Placement;
  readonly alpha: number;
  readonly positions: PositionMode;
  readonly crvSource: CrvSource;
  readonly thinkingTemplate: string;
  readonly codeTemplate: string;
  /** Wrap prompts in the model's chat template (when it has one). */
  readonly chat: boolean;
  readonly temperature: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly seed: number;
  readonly samples: number;
  readonly thinkingMaxTokens: number;
  readonly codeMaxTokens: number;
  /** Generate once more, naming the function, when the code does not define the function the asserts call. */
  readonly retryOnNameMismatch: boolean;
  readonly threads: number;
  readonly workers: number;
  readonly timeoutMs: number;
  readonly out: string;
}

/** Options that may differ between starts of the same run folder: they select work, not how it is done. */
export const RESUME_FREE_OPTIONS = ['tasks', 'limit', 'layers', 'pairs', 'contextVariant', 'threads', 'workers', 'out'] as const;

export function describeCrvSource(source: CrvSource): string {
  return source.kind === 'sections' ? `sections:${source.sections.join(',')}` : source.kind;
}
