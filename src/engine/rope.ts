// Rotary embedding frequencies for a model, computed once per model in float64 and stored as f32.

import type { RopeTable } from '../kernels/backend.js';
import type { ModelConfig } from '../model/types.js';
import { ModelFileError } from '../util/errors.js';

/**
 * Builds the inverse frequencies theta^(-2i/hd) for i < hd/2, then applies the model's scaling.
 *
 * `freqFactors` is the optional `rope_freqs` tensor (hd/2 values) that GGUF files of Llama 3
 * models carry: each frequency is divided by its factor. Those files already fold the llama3
 * scaling into the factors, so when factors are given the config's llama3 scaling is not applied
 * a second time. Linear scaling divides every frequency by its factor, which is the same as
 * dividing every position by it.
 */
export function buildRopeTable(config: ModelConfig, freqFactors?: Float32Array): RopeTable {
  const hd = config.headDim;
  if (!Number.isInteger(hd) || hd <= 0 || hd % 2 !== 0) {
    throw new ModelFileError('model config', 'an even head size for rotary embeddings', String(hd));
  }
  const pairs = hd / 2;
  if (freqFactors !== undefined && freqFactors.length !== pairs) {
    throw new ModelFileError('rope_freqs tensor', `${pairs} values (head size ${hd} / 2)`, `${freqFactors.length} values`);
  }

  const invFreq = new Float32Array(pairs); // [hd / 2]
  const scaling = config.ropeScaling;
  for (let i = 0; i < pairs; i++) {
    let freq = Math.pow(config.ropeTheta, (-2 * i) / hd);
    if (freqFactors !== undefined) {
      freq /= freqFactors[i];
    } else if (scaling?.type === 'llama3') {
      freq = applyLlama3Scaling(freq, scaling);
    }
    if (scaling?.type === 'linear') freq /= scaling.factor;
    invFreq[i] = freq;
  }
  return { invFreq, style: config.ropeStyle };
}

/**
 * Llama 3.1 frequency scaling: frequencies whose wavelength is shorter than
 * originalMaxPositions / highFreqFactor stay, those longer than originalMaxPositions / lowFreqFactor
 * are divided by `factor`, and the band between is interpolated linearly in 1 / wavelength.
 */
function applyLlama3Scaling(
  freq: number,
  scaling: { factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number },
): number {
  const wavelength = (2 * Math.PI) / freq;
  const lowFreqWavelength = scaling.originalMaxPositions / scaling.lowFreqFactor;
  const highFreqWavelength = scaling.originalMaxPositions / scaling.highFreqFactor;
  if (wavelength < highFreqWavelength) return freq;
  if (wavelength > lowFreqWavelength) return freq / scaling.factor;
  const smooth =
    (scaling.originalMaxPositions / wavelength - scaling.lowFreqFactor) / (scaling.highFreqFactor - scaling.lowFreqFactor);
  return (1 - smooth) * (freq / scaling.factor) + smooth * freq;
}
