// Next-token sampling: greedy argmax, or temperature, top-k and top-p (nucleus) filtering
// followed by a draw from a seeded PRNG, so the same seed reproduces a run. Temperature scales
// the logits before top-k and top-p, so the nucleus is taken from the tempered distribution.
import { randomInt } from 'node:crypto';
import { InputError } from '../util/errors.js';

export interface SamplerOptions {
  /** 0 or undefined selects greedy argmax. Logits are divided by it before the softmax. */
  readonly temperature?: number;
  /** Keep only the k most likely tokens. 0 or undefined keeps all. */
  readonly topK?: number;
  /** Keep the smallest set of most likely tokens whose probabilities sum to at least topP, in (0, 1]. */
  readonly topP?: number;
  /** 32-bit unsigned seed. When it is undefined, a random seed is drawn and stored in Sampler.seed. */
  readonly seed?: number;
}

export interface Sampler {
  /** Seed of the PRNG, to record with a run's results. */
  readonly seed: number;
  /** Returns the next token id from logits [V]. */
  sample(logits: Float32Array): number;
}

/** Returns xoshiro128** seeded through splitmix32: uniform 32-bit unsigned integers. */
export function createXoshiro128(seed: number): () => number {
  let state = seed >>> 0;
  const splitmix32 = () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix32();
  let b = splitmix32();
  let c = splitmix32();
  let d = splitmix32();
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function validateOptions(options: SamplerOptions): Required<Omit<SamplerOptions, 'seed'>> & { seed: number | undefined } {
  const temperature = options.temperature ?? 0;
  if (!Number.isFinite(temperature) || temperature < 0) {
    throw new InputError(`invalid temperature ${temperature}: expected a finite number >= 0 (0 selects greedy decoding)`, {
      expected: 'a finite number >= 0',
      found: String(temperature),
    });
  }
  const topK = options.topK ?? 0;
  if (!Number.isInteger(topK) || topK < 0) {
    throw new InputError(`invalid top-k ${topK}: expected an integer >= 0 (0 keeps all tokens)`, {
      expected: 'an integer >= 0',
      found: String(topK),
    });
  }
  const topP = options.topP ?? 1;
  if (!(topP > 0 && topP <= 1)) {
    throw new InputError(`invalid top-p ${topP}: expected a number in (0, 1] (1 keeps all tokens)`, {
      expected: 'a number in (0, 1]',
      found: String(topP),
    });
  }
  const seed = options.seed;
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) {
    throw new InputError(`invalid seed ${seed}: expected an integer from 0 to 4294967295`, {
      expected: 'an integer from 0 to 4294967295',
      found: String(seed),
    });
  }
  return { temperature, topK, topP, seed };
}

/** Returns the index of the largest logit, the lowest index on ties. NaN never wins. */
export function argmax(logits: Float32Array): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] > bestValue) {
      bestValue = logits[i];
      best = i;
    }
  }
  if (best < 0) {
    throw new InputError(`cannot sample: all ${logits.length} logits are -Infinity or NaN`, { found: 'no finite logit' });
  }
  return best;
}

/** Sorts candidate ids by descending logit, the lower id first on ties. */
function sortByLogit(ids: number[], logits: Float32Array): number[] {
  return ids.sort((x, y) => logits[y] - logits[x] || x - y);
}

/**
 * Finds the cut of a descending ranking: the value `boundary` such that the ids above it,
 * plus the first `boundaryCount` ids equal to it, are the fewest top ids whose weights
 * (indexed by id) sum to at least `need`. Runs a three-way quickselect, O(V) on average.
 */
function selectBoundary(values: Float32Array, weights: Float64Array, need: number): { boundary: number; boundaryCount: number } {
  const ids = new Int32Array(values.length);
  for (let i = 0; i < ids.length; i++) ids[i] = i;
  let lo = 0;
  let hi = ids.length;
  let remaining = need;
  for (;;) {
    // Median of three positions as the pivot keeps sorted inputs from the quadratic case.
    const first = values[ids[lo]];
    const middle = values[ids[(lo + hi) >> 1]];
    const last = values[ids[hi - 1]];
    const pivot = Math.max(Math.min(first, middle), Math.min(Math.max(first, middle), last));

    // Partition [lo, hi) into greater | equal | less than the pivot.
    let greaterEnd = lo;
    let lessStart = hi;
    let i = lo;
    let greaterWeight = 0;
    while (i < lessStart) {
      const id = ids[i];
      const value = values[id];
      if (value > pivot) {
        ids[i] = ids[greaterEnd];
        ids[greaterEnd] = id;
        greaterWeight += weights[id];
        greaterEnd++;
        i++;
      } else if (value < pivot) {
        lessStart--;
        ids[i] = ids[lessStart];
        ids[lessStart] = id;
      } else {
        i++;
      }
    }

    if (greaterWeight >= remaining && greaterEnd > lo) {
      hi = greaterEnd;
      continue;
    }
    const equalCount = lessStart - greaterEnd;
    const pivotWeight = weights[ids[greaterEnd]];
    if (greaterWeight + equalCount * pivotWeight >= remaining || lessStart === hi) {
      const needed = pivotWeight > 0 ? Math.ceil((remaining - greaterWeight) / pivotWeight) : equalCount;
      return { boundary: pivot, boundaryCount: Math.min(equalCount, Math.max(1, needed)) };
    }
    remaining -= greaterWeight + equalCount * pivotWeight;
    lo = lessStart;
  }
}

/** Returns, in ascending id order, the ids above the boundary and the first `boundaryCount` ids on it. */
function idsAboveBoundary(values: Float32Array, boundary: number, boundaryCount: number): number[] {
  const ids: number[] = [];
  let onBoundary = boundaryCount;
  for (let i = 0; i < values.length; i++) {
    if (values[i] > boundary) {
      ids.push(i);
    } else if (values[i] === boundary && onBoundary > 0) {
      ids.push(i);
      onBoundary--;
    }
  }
  return ids;
}

/** Returns the k ids with the largest logits, sorted, the lower id first on ties. */
function topKIds(scaled: Float32Array, k: number): number[] {
  const { boundary, boundaryCount } = selectBoundary(scaled, new Float64Array(scaled.length).fill(1), k);
  return sortByLogit(idsAboveBoundary(scaled, boundary, boundaryCount), scaled);
}

/**
 * Returns the nucleus in ascending id order: the most likely ids whose probabilities first
 * reach topP of the total, the lower ids first among equal logits.
 */
function nucleusIds(scaled: Float32Array, topP: number): number[] {
  const weights = new Float64Array(scaled.length);
  let total = 0;
  for (let i = 0; i < scaled.length; i++) {
    weights[i] = Math.exp(scaled[i]);
    total += weights[i];
  }
  const { boundary, boundaryCount } = selectBoundary(scaled, weights, topP * total);
  return idsAboveBoundary(scaled, boundary, boundaryCount);
}

class SeededSampler implements Sampler {
  private readonly nextUint32: () => number;

  constructor(
    private readonly options: { temperature: number; topK: number; topP: number },
    readonly seed: number,
  ) {
    this.nextUint32 = createXoshiro128(seed);
  }

  private uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  sample(logits: Float32Array): number {
    if (logits.length === 0) throw new InputError('cannot sample from an empty logits vector', { found: 'length 0' });
    const { temperature, topK, topP } = this.options;
    const best = argmax(logits);
    if (temperature === 0 || topK === 1) return best;

    // Scaled logits relative to the maximum, so exp() never overflows.
    const scaled = new Float32Array(logits.length);
    const maxLogit = logits[best];
    for (let i = 0; i < logits.length; i++) scaled[i] = Number.isNaN(logits[i]) ? -Infinity : (logits[i] - maxLogit) / temperature;

    const effectiveTopK = topK >= logits.length ? 0 : topK;
    if (effectiveTopK === 0 && topP === 1) return this.drawFromAll(scaled);

    let ids: number[];
    if (effectiveTopK > 0) {
      ids = topKIds(scaled, effectiveTopK);
      if (topP < 1) {
        const topWeights = ids.map((id) => Math.exp(scaled[id]));
        ids = ids.slice(0, nucleusLength(topWeights, topP));
      }
    } else {
      ids = nucleusIds(scaled, topP);
    }
    return ids[this.drawIndex(ids.map((id) => Math.exp(scaled[id])))];
  }

  /** Draws from the softmax over all ids without sorting. */
  private drawFromAll(scaled: Float32Array): number {
    let total = 0;
    for (let i = 0; i < scaled.length; i++) total += Math.exp(scaled[i]);
    let target = this.uniform() * total;
    let last = 0;
    for (let i = 0; i < scaled.length; i++) {
      const weight = Math.exp(scaled[i]);
      if (weight === 0) continue;
      last = i;
      target -= weight;
      if (target < 0) return i;
    }
    return last;
  }

  private drawIndex(weights: number[]): number {
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let target = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      target -= weights[i];
      if (target < 0) return i;
    }
    return weights.length - 1;
  }
}

/** Returns how many leading (most likely) weights first reach topP of their sum; at least 1. */
function nucleusLength(sortedWeights: number[], topP: number): number {
  const total = sortedWeights.reduce((sum, weight) => sum + weight, 0);
  let cumulative = 0;
  for (let i = 0; i < sortedWeights.length; i++) {
    cumulative += sortedWeights[i];
    if (cumulative >= topP * total) return i + 1;
  }
  return sortedWeights.length;
}

/** Creates a sampler. Raises InputError naming the value of an invalid option. */
export function createSampler(options: SamplerOptions = {}): Sampler {
  const { temperature, topK, topP, seed } = validateOptions(options);
  return new SeededSampler({ temperature, topK, topP }, seed ?? randomInt(0, 0xffffffff));
}
