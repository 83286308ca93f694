// The engine against llama.cpp (node-llama-cpp 3.21.1, prebuilt CPU binary, F32 key/value cache)
// on generated GGUF models. llama.cpp is fed our greedy tokens, so that one near tie cannot send
// the two runs down different paths. At every step the log-probabilities must be close, and the
// greedy choices must be equal unless they are a near tie.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type Llama, type Token } from 'node-llama-cpp';
import { Decoder } from '../../src/engine/forward.js';
import { generate } from '../../src/engine/generate.js';
import { Arena } from '../../src/kernels/arena.js';
import { ReferenceBackend } from '../../src/kernels/reference/backend.js';
import { loadModel } from '../../src/model/load.js';
import { generateTestModel, type OutputFormat } from '../../tools/testmodel/generate.js';
import { greedy } from './helpers.js';

const PROMPT = [1, 40, 95, 7, 300, 12, 250, 33, 64, 5];
const STEPS = 8;

/** Largest allowed |our log-softmax - llama.cpp's log-probability| per format. */
const TOLERANCE: Partial<Record<OutputFormat, number>> = {
  'gguf-f32': 1e-4,
  // llama.cpp rounds activations to the weight's precision (F16, or 8-bit blocks for the
  // quantized types) before each product, so these differ by more than the weights alone do.
  'gguf-f16': 2e-2,
  'gguf-q8_0': 0.3,
  'gguf-q4_0': 0.3,
  'gguf-q4_k': 0.3,
  'gguf-q6_k': 0.3,
};

let llama: Llama;
let folder: string;

before(async () => {
  llama = await getLlama({ gpu: false, build: 'never' });
  folder = mkdtempSync(join(tmpdir(), 'nir-llamacpp-'));
});

after(async () => {
  await llama.dispose();
  rmSync(folder, { recursive: true, force: true });
});

interface Run {
  tokens: number[];
  /** Log-probabilities [V] of each step. */
  logProbs: Float64Array[];
}

async function runOurs(path: string, prompt: number[] = PROMPT, withoutScaling = false): Promise<Run> {
  const arena = new Arena();
  const model = await loadModel(path, arena);
  const weights = new Map(model.weights);
  if (withoutScaling) weights.delete('rope_freqs');
  const config = withoutScaling ? { ...model.config, ropeScaling: null } : model.config;
  const decoder = new Decoder(new ReferenceBackend(arena), { config, weights, path });
  const result = generate(decoder, { promptTokens: prompt, sampler: greedy, maxTokens: STEPS, returnLogits: true });
  return { tokens: result.tokens, logProbs: result.logits!.map(logSoftmax) };
}

/**
 * Feeds llama.cpp the prompt followed by `forced` (our generated tokens, teacher forcing) and returns
 * its greedy choice and log-probabilities at each of our steps.
 */
async function runLlamaCpp(path: string, vocabSize: number, forced: number[], prompt: number[] = PROMPT): Promise<Run> {
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: prompt.length + STEPS + 64,
    threads: 1,
    flashAttention: false,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
  });
  try {
    const sequence = context.getSequence();
    // Temperature 0 (the default) samples greedily and keeps the logits of the whole vocabulary.
    const next = { generateNext: { token: true, probabilities: true } };
    const ids = [...prompt, ...forced.slice(0, STEPS - 1)];
    const input = ids.map((id, i) => (i >= prompt.length - 1 ? ([id as Token, next] as [Token, typeof next]) : (id as Token)));
    const output = await sequence.controlledEvaluate(input);
    const tokens: number[] = [];
    const logProbs: Float64Array[] = [];
    for (let i = prompt.length - 1; i < ids.length; i++) {
      const result = output[i]!.next;
      const row = new Float64Array(vocabSize).fill(-Infinity);
      for (const [id, p] of result.probabilities!) row[id] = Math.log(p);
      logProbs.push(row);
      tokens.push(result.token!);
    }
    return { tokens, logProbs };
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

function logSoftmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let total = 0;
  for (const v of logits) total += Math.exp(v - max);
  const logTotal = Math.log(total) + max;
  return Float64Array.from(logits, (v) => v - logTotal);
}

/** Max |a - b| over tokens whose llama.cpp probability did not underflow f32. */
function maxLogProbDiff(ours: Float64Array, theirs: Float64Array): number {
  let max = 0;
  for (let i = 0; i < ours.length; i++) {
    if (theirs[i] < -80) continue;
    max = Math.max(max, Math.abs(ours[i] - theirs[i]));
  }
  return max;
}

for (const arch of ['llama', 'qwen2'] as const) {
  for (const format of Object.keys(TOLERANCE) as OutputFormat[]) {
    test(`${arch} ${format} matches llama.cpp`, { timeout: 120_000 }, async () => {
      const files = generateTestModel({ preset: 'tiny', arch, seed: 3, out: join(folder, `${arch}-${format}`), formats: [format] });
      const path = files.gguf[format as keyof typeof files.gguf]!;
      const tolerance = TOLERANCE[format]!;
      const ours = await runOurs(path);
      const theirs = await runLlamaCpp(path, files.config.vocabSize, ours.tokens);
      const diffs = ours.logProbs.map((row, step) => maxLogProbDiff(row, theirs.logProbs[step]));
      console.log(`# ${arch} ${format}: max log-prob diff per step ${diffs.map((d) => d.toExponential(1)).join(' ')}`);
      diffs.forEach((diff, step) => assert.ok(diff <= tolerance, `step ${step}: max log-prob diff ${diff}`));

      // F32 and F16 must pick the same tokens. For the quantized types a different greedy choice
      // is accepted only for a near tie within the tolerance.
      if (format === 'gguf-f32' || format === 'gguf-f16') {
        assert.deepEqual(ours.tokens, theirs.tokens);
        return;
      }
      ours.tokens.forEach((token, step) => {
        const theirChoice = theirs.tokens[step];
        if (theirChoice === token) return;
        const margin = theirs.logProbs[step][theirChoice] - theirs.logProbs[step][token];
        console.log(`# step ${step}: near tie, ours ${token}, llama.cpp ${theirChoice}, margin ${margin.toExponential(1)}`);
        assert.ok(margin <= tolerance, `step ${step}: ours ${token}, llama.cpp ${theirChoice}, margin ${margin}`);
      });
    });
  }
}

test('llama3 rope scaling matches llama.cpp', { timeout: 120_000 }, async () => {
  // Llama 3.2's rotary settings on a tiny model. Frequencies with wavelengths above 2048 are
  // scaled, which shows only at positions in the hundreds, hence the long prompt.
  const files = generateTestModel({
    preset: 'llama-3.2-1b', hidden: 128, layers: 2, heads: 4, kvHeads: 2, intermediate: 256, vocab: 384,
    seed: 3, out: join(folder, 'llama3-rope'), formats: ['gguf-f32'],
  });
  const path = files.gguf['gguf-f32']!;
  const prompt = Array.from({ length: 700 }, (_, i) => (i * 37 + 11) % 384);
  const ours = await runOurs(path, prompt);
  const unscaled = await runOurs(path, prompt, true);
  const theirs = await runLlamaCpp(path, files.config.vocabSize, ours.tokens, prompt);
  const diff = maxLogProbDiff(ours.logProbs[0], theirs.logProbs[0]);
  const unscaledDiff = maxLogProbDiff(unscaled.logProbs[0], theirs.logProbs[0]);
  console.log(`# llama3 rope at position 700: max log-prob diff ${diff.toExponential(1)}, without scaling ${unscaledDiff.toExponential(1)}`);
  assert.ok(diff <= 1e-4, `max log-prob diff ${diff}`);
  assert.ok(unscaledDiff > 1e-2, `dropping the scaling should change the logits, max diff ${unscaledDiff}`);
});
