// The validating factory for integrations: every CRV is checked against the model before it runs.

import type { Injection, Placement } from '../engine/injection.js';
import type { ModelConfig } from '../model/types.js';
import { InputError } from '../util/errors.js';

export type { Injection, Placement, PositionMode } from '../engine/injection.js';

/** A context representation vector: `rowCount` hidden-state rows of width `width`, row-major. */
export interface Crv {
  readonly rows: Float32Array; // [rowCount, width]
  readonly rowCount: number;
  readonly width: number;
}

export interface InjectionOptions {
  /** Layer k in 0..L whose input H_k receives the rows. */
  layer: number;
  placement?: Placement;
  /** Scale of the mean row for `add` (default 1); rejected for the other placements. */
  alpha?: number;
  /** Name of the CRV's origin (usually its file) used in error messages. */
  source?: string;
}

/**
 * Creates an injection after checking the CRV's width against the model's hidden size, the layer
 * range, the row count and that every value is finite.
 */
export function createInjection(config: ModelConfig, crv: Crv, options: InjectionOptions): Injection {
  const source = options.source ?? 'CRV';
  const d = config.hiddenSize;
  const L = config.numLayers;

  if (crv.width !== d) {
    throw new InputError(`${source}: CRV width ${crv.width} does not match the model's hidden size ${d}`, {
      source,
      expected: `width ${d}`,
      found: `width ${crv.width}`,
      hint: 'capture the CRV with the same model',
    });
  }
  if (!Number.isInteger(crv.rowCount) || crv.rowCount < 0 || crv.rows.length !== crv.rowCount * crv.width) {
    throw new InputError(
      `${source}: CRV of ${crv.rowCount} rows of width ${crv.width} should hold ${crv.rowCount * crv.width} values, found ${crv.rows.length}`,
    );
  }

  const layer = options.layer;
  if (!Number.isInteger(layer) || layer < 0 || layer > L) {
    throw new InputError(`${source}: invalid injection layer ${layer}: the model has ${L} layers, so use 0..${L}`, {
      source,
      expected: `0..${L}`,
      found: String(layer),
    });
  }
  const placement = options.placement ?? 'prepend';
  if (placement !== 'prepend' && placement !== 'append' && placement !== 'add') {
    throw new InputError(`${source}: invalid placement '${String(placement)}': expected prepend, append or add`);
  }
  if (options.alpha !== undefined && placement !== 'add') {
    throw new InputError(`${source}: alpha ${options.alpha} applies only to placement add, not ${placement}`);
  }

  const alpha = options.alpha ?? 1;
  if (!Number.isFinite(alpha)) throw new InputError(`${source}: invalid alpha ${alpha}: expected a finite number`);
  const bad = crv.rows.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    const row = Math.floor(bad / crv.width);
    throw new InputError(`${source}: CRV value ${crv.rows[bad]} at row ${row}, column ${bad - row * crv.width} is not finite`);
  }
  return { rows: crv.rows, rowCount: crv.rowCount, layer, placement, alpha };
}
