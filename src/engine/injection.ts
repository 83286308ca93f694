// The shape of an integration as the engine applies it. Callers build injections through the
// validating factory in src/nir/injection.ts; the engine only re-checks what would corrupt memory.

/** Placement of injected rows: before the hidden sequence, after it, or added to every row. */
export type Placement = 'prepend' | 'append' | 'add';

/**
 * Decode positions after an integration. `consistent`: a new token's position in a layer is that
 * layer's cache length. `original`: prompt length + tokens generated so far in every layer, as
 * the method's first PyTorch release did under Hugging Face's `generate`.
 */
export type PositionMode = 'consistent' | 'original';

export interface Injection {
  /** CRV rows, [rowCount, d] row-major. */
  readonly rows: Float32Array;
  readonly rowCount: number;
  /** Layer k in 0..L: the rows join H_k, the input of decoder layer k (H_L: before the final norm). */
  readonly layer: number;
  readonly placement: Placement;
  /** Scale of the mean row added for `add`; 1 for the other placements, where it is unused. */
  readonly alpha: number;
}

/** Rows an injection adds to the sequence from its layer on: 0 for `add`. */
export function addedRows(injection: Injection): number {
  return injection.placement === 'add' ? 0 : injection.rowCount;
}

/** Mean of the rows of an injection, [d]; all zeros when it has no rows. */
export function meanRow(injection: Injection, d: number): Float32Array {
  const mean = new Float32Array(d); // [d]
  if (injection.rowCount === 0) return mean;
  const sums = new Float64Array(d);
  for (let r = 0; r < injection.rowCount; r++) {
    for (let j = 0; j < d; j++) sums[j] += injection.rows[r * d + j];
  }
  for (let j = 0; j < d; j++) mean[j] = sums[j] / injection.rowCount;
  return mean;
}

/**
 * Throws unless every injection fits a model of width d and L layers. The factory in
 * src/nir/injection.ts raises input errors before this point; this guards direct callers.
 */
export function assertInjectionsFit(injections: readonly Injection[], d: number, numLayers: number): void {
  for (const injection of injections) {
    if (injection.rows.length !== injection.rowCount * d) {
      throw new RangeError(
        `injection at layer ${injection.layer} has ${injection.rows.length} values, expected ${injection.rowCount} rows of width ${d}`,
      );
    }
    if (!Number.isInteger(injection.layer) || injection.layer < 0 || injection.layer > numLayers) {
      throw new RangeError(`injection layer ${injection.layer} is outside 0..${numLayers}`);
    }
  }
}
