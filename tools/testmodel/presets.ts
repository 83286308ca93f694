// Model shapes for the test-model generator: a tiny one for unit tests and the real shapes of
// three released models for benchmarks (their weights here are random).

import type { Architecture, RopeScaling } from '../../src/model/types.js';

export interface ModelShape {
  architecture: Architecture;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  ropeTheta: number;
  rmsNormEps: number;
  maxPositions: number;
  tieWordEmbeddings: boolean;
  ropeScaling: RopeScaling | null;
}

export type PresetName = 'tiny' | 'qwen2.5-0.5b' | 'llama-3.2-1b' | 'llama-3.1-8b';

const LLAMA3_SCALING = (factor: number): RopeScaling => ({ type: 'llama3', factor, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });

export const PRESETS: Readonly<Record<PresetName, ModelShape>> = {
  tiny: {
    architecture: 'llama', vocabSize: 384, hiddenSize: 128, intermediateSize: 256, numLayers: 2,
    numHeads: 4, numKvHeads: 2, ropeTheta: 10000, rmsNormEps: 1e-5, maxPositions: 512,
    tieWordEmbeddings: false, ropeScaling: null,
  },
  'qwen2.5-0.5b': {
    architecture: 'qwen2', vocabSize: 151936, hiddenSize: 896, intermediateSize: 4864, numLayers: 24,
    numHeads: 14, numKvHeads: 2, ropeTheta: 1_000_000, rmsNormEps: 1e-6, maxPositions: 32768,
    tieWordEmbeddings: true, ropeScaling: null,
  },
  'llama-3.2-1b': {
    architecture: 'llama', vocabSize: 128256, hiddenSize: 2048, intermediateSize: 8192, numLayers: 16,
    numHeads: 32, numKvHeads: 8, ropeTheta: 500_000, rmsNormEps: 1e-5, maxPositions: 131072,
    tieWordEmbeddings: true, ropeScaling: LLAMA3_SCALING(32),
  },
  'llama-3.1-8b': {
    architecture: 'llama', vocabSize: 128256, hiddenSize: 4096, intermediateSize: 14336, numLayers: 32,
    numHeads: 32, numKvHeads: 8, ropeTheta: 500_000, rmsNormEps: 1e-5, maxPositions: 131072,
    tieWordEmbeddings: false, ropeScaling: LLAMA3_SCALING(8),
  },
};

export function isPresetName(name: string): name is PresetName {
  return name in PRESETS;
}
