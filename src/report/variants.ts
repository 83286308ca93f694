// Variant names of a run: `orig` (no integration) and `L<k>` or `L<k>c<j>` (integrated at layer k,
// captured at layer j when it differs), ordered by integration depth.

import { InputError } from '../util/errors.js';

export const ORIGINAL_VARIANT = 'orig';

const DEPTH_VARIANT = /^L(\d{1,4})(?:c(\d{1,4}))?$/;
const SAFE_NAME = /^[A-Za-z0-9_.@:+-]{1,64}$/;

/** Integration layer and capture layer of a variant, or null for `orig` and unknown names. */
export function variantDepth(name: string): { layer: number; captureLayer: number } | null {
  const match = DEPTH_VARIANT.exec(name);
  if (!match) return null;
  const layer = Number(match[1]);
  return { layer, captureLayer: match[2] === undefined ? layer : Number(match[2]) };
}

/** Sorts variants: `orig` first, then by integration layer and capture layer, then other names. */
export function compareVariants(a: string, b: string): number {
  if (a === b) return 0;
  if (a === ORIGINAL_VARIANT) return -1;
  if (b === ORIGINAL_VARIANT) return 1;
  const depthA = variantDepth(a);
  const depthB = variantDepth(b);
  if (depthA && depthB) return depthA.layer - depthB.layer || depthA.captureLayer - depthB.captureLayer;
  if (depthA) return -1;
  if (depthB) return 1;
  return a < b ? -1 : 1;
}

/** Rejects variant and metric names that could not be shown safely as labels and attribute values. */
export function checkName(name: unknown, kind: string, source: string): string {
  if (typeof name !== 'string' || !SAFE_NAME.test(name)) {
    throw new InputError(`${source}: invalid ${kind} name ${JSON.stringify(name)?.slice(0, 80)}`, {
      source,
      expected: 'letters, digits and _ . @ : + - (1 to 64 characters)',
      found: String(name).slice(0, 80),
    });
  }
  return name;
}
