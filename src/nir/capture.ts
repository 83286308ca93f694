// Capture: the hidden states H_l of a token sequence, as a CRV.

import type { Decoder } from '../engine/forward.js';
import { Sequence } from '../engine/sequence.js';
import { InputError } from '../util/errors.js';
import type { Crv } from './injection.js';

/** Half-open range [start, end) of token positions. */
export interface Span {
  start: number;
  end: number;
}

/**
 * Runs `tokens` at positions 0..n-1 through layers 0..l-1 and returns H_l for the positions in
 * `span` (default: all). Layers above l are not computed.
 */
export function capture(decoder: Decoder, tokens: readonly number[], layer: number, span?: Span): Crv {
  const d = decoder.hiddenSize;
  const L = decoder.config.numLayers;
  const n = tokens.length;
  if (n === 0) throw new InputError('cannot capture hidden states of an empty token sequence');
  if (!Number.isInteger(layer) || layer < 0 || layer > L) {
    throw new InputError(`invalid capture layer ${layer}: the model has ${L} layers, so use 0..${L}`);
  }
  if (n > decoder.config.maxPositions) {
    throw new InputError(`cannot capture ${n} tokens: the model's context length is ${decoder.config.maxPositions}`);
  }
  const { start, end } = span ?? { start: 0, end: n };
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end) {
    throw new InputError(`invalid span ${start}:${end} for ${n} tokens: expected 0 <= start <= end <= ${n}`);
  }

  const rows = new Float32Array((end - start) * d); // [end - start, d]
  const sequence = new Sequence(decoder, {
    capacity: n,
    observer: {
      wantsLayerInput: (l) => l === layer,
      onLayerInput: (_l, hidden) => rows.set(hidden.subarray(start * d, end * d)),
    },
  });
  sequence.prefill(Int32Array.from(tokens), layer);
  return { rows, rowCount: end - start, width: d };
}

/** Parses "A:B" (either side may be empty) into a span over n tokens. */
export function parseSpan(text: string, n: number): Span {
  const match = /^(-?\d*):(-?\d*)$/.exec(text.trim());
  if (match === null) throw new InputError(`invalid span '${text}': expected START:END, for example 0:12`);
  const resolve = (part: string, fallback: number): number => {
    if (part === '') return fallback;
    const value = Number(part);
    return value < 0 ? n + value : value;
  };
  return { start: resolve(match[1], 0), end: resolve(match[2], n) };
}
