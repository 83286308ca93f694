// Next-token sampling: greedy argmax, or temperature, top-k and top-p (nucleus) filtering
// followed by a draw from a seeded PRNG, so the same seed reproduces a run.
import { randomInt } from 'node:crypto';
import { InputError } from '../util/errors.js';

export interface SamplerOptions {
  /** 0 or undefined selects greedy argmax. Logits are divided by it before the softmax. */
  readonly temperature?: number;
  /** Keep only the k most likely tokens; 0 or undefined keeps all. */
  readonly topK?: number;
  /** Keep the smallest set of most likely tokens whose probabilities sum to at least topP, in (0, 1]. */
  readonly topP?: number;
  /** 32-bit unsigned seed; a random one is drawn when undefined and stored in Sampler.seed. */
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

/** Index of the largest logit, the lowest index on ties; NaN never wins. */
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

/** Candidate ids in descending logit order, the lower id first on ties. */
function sortByLogit(ids: number[], logits: Float32Array): number[] {
  return ids.sort((x, y) => logits[y] - logits[x] || x - y);
}

/** The k ids with the largest logits, sorted; k is at most the vocabulary size. */
function topKIds(logits: Float32Array, k: number): number[] {
  // Only ids at or above the k-th largest value can be in the top k, so the sort stays small.
  const values = Float32Array.from(logits).sort();
  const threshold = values[values.length - k];
  const ids: number[] = [];
  for (let i = 0; i < logits.length; i++) if (logits[i] >= threshold) ids.push(i);
  return sortByLogit(ids, logits).slice(0, k);
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
    let total: number;
    if (effectiveTopK > 0) {
      ids = topKIds(scaled, effectiveTopK);
      total = ids.reduce((sum, id) => sum + Math.exp(scaled[id]), 0);
    } else {
      ({ ids, total } = this.nucleusCandidates(scaled, topP));
    }
    const weights = ids.map((id) => Math.exp(scaled[id]));
    const kept = topP < 1 ? nucleusLength(weights, topP, total) : ids.length;
    return ids[this.drawIndex(weights.slice(0, kept))];
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

  /**
   * Sorted ids that surely contain the nucleus: all ids above a cutoff under the maximum,
   * lowered until the ids above it hold at least topP of the probability mass.
   */
  private nucleusCandidates(scaled: Float32Array, topP: number): { ids: number[]; total: number } {
    let total = 0;
    for (let i = 0; i < scaled.length; i++) total += Math.exp(scaled[i]);
    for (const cutoff of [4, 8, 16, 32]) {
      const ids: number[] = [];
      let mass = 0;
      for (let i = 0; i < scaled.length; i++) {
        if (scaled[i] >= -cutoff) {
          ids.push(i);
          mass += Math.exp(scaled[i]);
        }
      }
      if (mass >= topP * total) return { ids: sortByLogit(ids, scaled), total };
    }
    return { ids: sortByLogit(Array.from(scaled.keys()), scaled), total };
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

/**
 * Number of leading (most likely) candidates whose probabilities first reach topP; at least 1.
 * `total` is the mass of all tokens that passed top-k, which may exceed the sum of `sortedWeights`.
 */
function nucleusLength(sortedWeights: number[], topP: number, total: number): number {
  let cumulative = 0;
  for (let i = 0; i < sortedWeights.length; i++) {
    cumulative += sortedWeights[i];
    if (cumulative >= topP * total) return i + 1;
  }
  return sortedWeights.length;
}

/** Creates a sampler; raises InputError naming the value for an invalid option. */
export function createSampler(options: SamplerOptions = {}): Sampler {
  const { temperature, topK, topP, seed } = validateOptions(options);
  return new SeededSampler({ temperature, topK, topP }, seed ?? randomInt(0, 0xffffffff));
}
