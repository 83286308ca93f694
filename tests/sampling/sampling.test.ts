// Sampler: option checks, greedy cases, seeded reproducibility and the sampled distribution.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argmax, createSampler, createXoshiro128 } from '../../src/engine/sampling.js';
import { InputError } from '../../src/util/errors.js';

const LOGITS = Float32Array.from([1.0, 2.0, 0.5, -1.0, 3.0, 0.0, 2.5, -0.5]);

function softmax(logits: Float32Array, temperature: number): number[] {
  const max = Math.max(...logits);
  const weights = Array.from(logits, (x) => Math.exp((x - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

function drawCounts(options: Parameters<typeof createSampler>[0], logits: Float32Array, draws: number): number[] {
  const sampler = createSampler(options);
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < draws; i++) counts[sampler.sample(logits)]++;
  return counts;
}

/** Computes Pearson's chi-square statistic of observed counts against expected probabilities. */
function chiSquare(counts: number[], probabilities: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.reduce((sum, count, i) => sum + (count - total * probabilities[i]) ** 2 / (total * probabilities[i]), 0);
}

test('greedy picks argmax', () => {
  const sampler = createSampler({ temperature: 0 });
  assert.equal(sampler.sample(LOGITS), 4);
  assert.equal(createSampler({}).sample(LOGITS), 4);
});

test('greedy ties pick the lowest id', () => {
  assert.equal(createSampler({ temperature: 0 }).sample(Float32Array.from([0, 5, 1, 5])), 1);
});

test('argmax skips NaN', () => {
  assert.equal(argmax(Float32Array.from([NaN, -1, NaN, 2, NaN])), 3);
});

test('all -Infinity logits are rejected', () => {
  assert.throws(() => argmax(Float32Array.from([-Infinity, NaN])), InputError);
});

test('top-k 1 is argmax', () => {
  const sampler = createSampler({ temperature: 1.5, topK: 1, seed: 3 });
  for (let i = 0; i < 50; i++) assert.equal(sampler.sample(LOGITS), 4);
});

test('tiny top-p is argmax', () => {
  const sampler = createSampler({ temperature: 2, topP: 1e-6, seed: 4 });
  for (let i = 0; i < 50; i++) assert.equal(sampler.sample(LOGITS), 4);
});

test('same seed reproduces draws', () => {
  const a = createSampler({ temperature: 1, topK: 5, topP: 0.9, seed: 42 });
  const b = createSampler({ temperature: 1, topK: 5, topP: 0.9, seed: 42 });
  const drawsA = Array.from({ length: 200 }, () => a.sample(LOGITS));
  const drawsB = Array.from({ length: 200 }, () => b.sample(LOGITS));
  assert.deepEqual(drawsA, drawsB);
  assert.ok(new Set(drawsA).size > 1, 'temperature 1 should draw more than one token');
});

test('different seeds give different draws', () => {
  const a = createSampler({ temperature: 1, seed: 1 });
  const b = createSampler({ temperature: 1, seed: 2 });
  const drawsA = Array.from({ length: 100 }, () => a.sample(LOGITS));
  const drawsB = Array.from({ length: 100 }, () => b.sample(LOGITS));
  assert.notDeepEqual(drawsA, drawsB);
});

test('unseeded sampler records its seed', () => {
  const sampler = createSampler({ temperature: 1 });
  const replay = createSampler({ temperature: 1, seed: sampler.seed });
  const first = Array.from({ length: 50 }, () => sampler.sample(LOGITS));
  assert.deepEqual(Array.from({ length: 50 }, () => replay.sample(LOGITS)), first);
});

test('draws follow softmax of logits over T', () => {
  // 8 categories give 7 degrees of freedom, and P(chi2 > 24.32) = 0.001.
  for (const temperature of [0.7, 1, 1.8]) {
    const counts = drawCounts({ temperature, seed: 1234 }, LOGITS, 20000);
    const statistic = chiSquare(counts, softmax(LOGITS, temperature));
    assert.ok(statistic < 24.32, `T=${temperature}: chi-square ${statistic.toFixed(2)} for counts ${JSON.stringify(counts)}`);
  }
});

test('top-k draws follow the renormalized top k', () => {
  const counts = drawCounts({ temperature: 1, topK: 3, seed: 99 }, LOGITS, 20000);
  // Ids 4, 6 and 1 have the three largest logits.
  const kept = [4, 6, 1];
  for (let id = 0; id < LOGITS.length; id++) if (!kept.includes(id)) assert.equal(counts[id], 0, `id ${id} is outside the top 3`);
  const keptLogits = Float32Array.from(kept.map((id) => LOGITS[id]));
  const statistic = chiSquare(kept.map((id) => counts[id]), softmax(keptLogits, 1));
  // With 2 degrees of freedom, P(chi2 > 13.82) = 0.001.
  assert.ok(statistic < 13.82, `chi-square ${statistic.toFixed(2)} for counts ${JSON.stringify(counts)}`);
});

test('top-p keeps the smallest nucleus', () => {
  const probabilities = softmax(LOGITS, 1);
  // Sorted: id 4 (0.42), id 6 (0.26), id 1 (0.16), ...; 0.42 + 0.26 < 0.75 <= 0.42 + 0.26 + 0.16.
  assert.ok(probabilities[4] + probabilities[6] < 0.75);
  assert.ok(probabilities[4] + probabilities[6] + probabilities[1] >= 0.75);
  const counts = drawCounts({ temperature: 1, topP: 0.75, seed: 7 }, LOGITS, 20000);
  for (let id = 0; id < LOGITS.length; id++) if (![4, 6, 1].includes(id)) assert.equal(counts[id], 0, `id ${id} is outside the nucleus`);
  const statistic = chiSquare([counts[4], counts[6], counts[1]], softmax(Float32Array.from([LOGITS[4], LOGITS[6], LOGITS[1]]), 1));
  assert.ok(statistic < 13.82, `chi-square ${statistic.toFixed(2)} for counts ${JSON.stringify(counts)}`);
});

test('top-p works on a large vocabulary', () => {
  // 50,000 logits: ten at 5, the rest at -5. Each large one has probability
  // e^10 / (10 e^10 + 49990) = 0.0815, so a 0.5 nucleus needs seven of them (6 x 0.0815 < 0.5),
  // the seven with the lowest ids because ties go to the lower id.
  const logits = new Float32Array(50000).fill(-5);
  for (let i = 0; i < 10; i++) logits[1000 * i + 7] = 5;
  const nucleus = [7, 1007, 2007, 3007, 4007, 5007, 6007];
  const sampler = createSampler({ temperature: 1, topP: 0.5, seed: 5 });
  const seen = new Set<number>();
  for (let i = 0; i < 300; i++) seen.add(sampler.sample(logits));
  assert.deepEqual([...seen].sort((a, b) => a - b), nucleus);
});

test('invalid options raise InputError', () => {
  const cases: [Parameters<typeof createSampler>[0], string][] = [
    [{ temperature: -0.5 }, '-0.5'],
    [{ temperature: Number.NaN }, 'NaN'],
    [{ topP: 0 }, 'top-p 0'],
    [{ topP: 1.5 }, '1.5'],
    [{ topK: -1 }, 'top-k -1'],
    [{ topK: 2.5 }, '2.5'],
    [{ seed: -3 }, 'seed -3'],
  ];
  for (const [options, fragment] of cases) {
    assert.throws(() => createSampler(options), (error: unknown) => error instanceof InputError && error.message.includes(fragment), JSON.stringify(options));
  }
});

test('xoshiro128 is uniform in 16 bins', () => {
  const next = createXoshiro128(2024);
  const bins = new Array<number>(16).fill(0);
  for (let i = 0; i < 16000; i++) bins[next() >>> 28]++;
  const statistic = chiSquare(bins, new Array(16).fill(1 / 16));
  // With 15 degrees of freedom, P(chi2 > 37.70) = 0.001.
  assert.ok(statistic < 37.7, `chi-square ${statistic.toFixed(2)} for bins ${JSON.stringify(bins)}`);
});
