// Integration depths of the experiment: which layer each variant captures its CRV at and which
// layer it integrates it into.

import { InputError } from '../util/errors.js';

/** One generation variant: `orig` (no integration) or a (capture layer, integration layer) pair. */
export type Variant =
  | { readonly name: 'orig' }
  | { readonly name: string; readonly captureLayer: number; readonly integrationLayer: number };

/** Depths of the original study: layers 1, 10 and 23 of the 32-layer Llama-3.1-8B-Instruct. */
export const STUDY_LAYERS = [1, 10, 23] as const;
export const STUDY_NUM_LAYERS = 32;

/** Scales the study's depths to a model of `numLayers` layers, keeping the same relative depth. */
export function defaultLayers(numLayers: number): number[] {
  const scaled = STUDY_LAYERS.map((layer) => Math.round((layer / STUDY_NUM_LAYERS) * numLayers));
  // On a model with few layers two study depths can round to the same layer: keep each once.
  return [...new Set(scaled.map((layer) => Math.min(Math.max(layer, 0), numLayers)))];
}

export function variantName(captureLayer: number, integrationLayer: number): string {
  return captureLayer === integrationLayer ? `L${integrationLayer}` : `L${integrationLayer}c${captureLayer}`;
}

/**
 * Parses `--layers 1,10,23,orig` (capture layer = integration layer) and `--pairs 10:1,23:10`
 * (capture:integration). Layers range over 0..numLayers, as in the contract.
 */
export function parseVariants(numLayers: number, layersOption?: string, pairsOption?: string): Variant[] {
  const variants: Variant[] = [];
  const seen = new Set<string>();
  const push = (variant: Variant) => {
    if (!seen.has(variant.name)) {
      seen.add(variant.name);
      variants.push(variant);
    }
  };
  const checkLayer = (text: string, option: string): number => {
    const layer = Number(text);
    if (!/^\d+$/.test(text) || layer > numLayers) {
      throw new InputError(`invalid layer '${text}' in ${option}: expected an integer from 0 to ${numLayers} (the model has ${numLayers} layers) or 'orig'`);
    }
    return layer;
  };

  if (layersOption === undefined && pairsOption === undefined) {
    for (const layer of defaultLayers(numLayers)) push({ name: variantName(layer, layer), captureLayer: layer, integrationLayer: layer });
    push({ name: 'orig' });
    return variants;
  }
  for (const item of (layersOption ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (item === 'orig') {
      push({ name: 'orig' });
      continue;
    }
    const layer = checkLayer(item, '--layers');
    push({ name: variantName(layer, layer), captureLayer: layer, integrationLayer: layer });
  }
  for (const item of (pairsOption ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (item === 'orig') {
      push({ name: 'orig' });
      continue;
    }
    const match = /^(\d+):(\d+)$/.exec(item);
    if (!match) throw new InputError(`invalid pair '${item}' in --pairs: expected CAPTURE:INTEGRATION, for example 10:1`);
    const capture = checkLayer(match[1], '--pairs');
    const integration = checkLayer(match[2], '--pairs');
    push({ name: variantName(capture, integration), captureLayer: capture, integrationLayer: integration });
  }
  if (variants.length === 0) throw new InputError('no variants selected: give --layers (for example 1,10,23,orig) or --pairs');
  return variants;
}

/** The first release's index mix-up: layer 1 received H_10, layer 10 received H_23, layer 23 received H_1. */
export const FIRST_RELEASE_PAIRS = '10:1,23:10,1:23';
