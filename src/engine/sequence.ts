// One sequence through the decoder with integrations applied: prefill of the prompt, then one
// token per step. Layers are run one after another over the whole sequence, because an
// integration at layer k changes the sequence that layers k..L-1 see.

import type { Buf } from '../kernels/backend.js';
import type { Decoder, ForwardObserver } from './forward.js';
import { addedRows, assertInjectionsFit, meanRow, type Injection, type PositionMode } from './injection.js';
import type { KvCache } from './kv-cache.js';
import { sliceBuf } from './kv-cache.js';

export interface SequenceOptions {
  /** Applied in order of layer; injections at the same layer in the order given. */
  injections?: readonly Injection[];
  positions?: PositionMode;
  /** Rows per layer to reserve in the cache up front (it grows if exceeded). */
  capacity?: number;
  observer?: ForwardObserver;
}

export class Sequence {
  private readonly injections: Injection[];
  private readonly positionMode: PositionMode;
  private readonly observer: ForwardObserver | undefined;
  /** Mean rows of the `add` injections by layer, each [d], with their alphas. */
  private readonly additions = new Map<number, { mean: Float32Array; alpha: number }[]>();
  private readonly cache: KvCache;
  private promptLength = -1;
  private fedTokens = 0;
  private readonly cacheEpoch: number;

  constructor(
    private readonly decoder: Decoder,
    options: SequenceOptions = {},
  ) {
    const c = decoder.config;
    this.injections = [...(options.injections ?? [])].sort((a, b) => a.layer - b.layer);
    assertInjectionsFit(this.injections, c.hiddenSize, c.numLayers);
    this.positionMode = options.positions ?? 'consistent';
    this.observer = options.observer;
    for (const injection of this.injections) {
      if (injection.placement !== 'add' || injection.rowCount === 0) continue;
      const list = this.additions.get(injection.layer) ?? [];
      list.push({ mean: meanRow(injection, c.hiddenSize), alpha: injection.alpha });
      this.additions.set(injection.layer, list);
    }
    const injected = this.injections.reduce((sum, injection) => sum + addedRows(injection), 0);
    this.cache = decoder.resetCache(options.capacity ?? injected + 1);
    this.cacheEpoch = decoder.cacheEpoch;
  }

  /** Cache length of every layer, which differ once an integration lengthened the upper layers. */
  cacheLengths(): number[] {
    return this.cache.lengths();
  }

  /** Tokens fed with `step` since the prefill. */
  get stepsTaken(): number {
    return this.fedTokens;
  }

  /**
   * Runs the prompt (positions 0..m-1) with every injection applied just before its layer, and
   * returns the next-token logits [V] of the last row. With `untilLayer` = l it stops after
   * reporting H_l to the observer and returns null (what a capture needs).
   */
  prefill(tokens: Int32Array, untilLayer?: number): Float32Array | null {
    this.checkCacheOwner();
    if (this.promptLength >= 0) throw new Error('prefill was already run on this sequence');
    if (tokens.length === 0) throw new RangeError('prefill needs at least one token');
    const decoder = this.decoder;
    const L = decoder.config.numLayers;
    const last = untilLayer ?? L;
    this.promptLength = tokens.length;

    let rows = tokens.length;
    let slot: 0 | 1 = 0;
    let hidden = decoder.hiddenBuffer(slot, rows); // [rows, d]
    decoder.embed(hidden, tokens);

    for (let l = 0; l <= last; l++) {
      for (const injection of this.injections) {
        if (injection.layer !== l) continue;
        if (injection.placement === 'add') {
          this.addToRows(l, hidden, rows);
          continue;
        }
        if (injection.rowCount === 0) continue;
        slot = slot === 0 ? 1 : 0;
        const joined = decoder.hiddenBuffer(slot, rows + injection.rowCount); // [rows + r, d]
        this.joinRows(joined, hidden, rows, injection);
        hidden = joined;
        rows += injection.rowCount;
      }
      this.report(l, hidden, 0, rows);
      if (l === L || l === untilLayer) break;
      const start = this.cache.layers[l].length;
      decoder.runLayer(l, this.cache, hidden, rows, consecutive(start, rows));
    }
    if (untilLayer !== undefined) return null;
    return decoder.logitsOfRow(hidden, rows - 1);
  }

  /**
   * Feeds one token and returns the next-token logits [V]. `add` injections apply to its row too.
   * With `untilLayer` = l it stops after reporting H_l and returns null: used to record the hidden
   * state of a last token that will not be continued.
   */
  step(token: number, untilLayer?: number): Float32Array | null {
    this.checkCacheOwner();
    if (this.promptLength < 0) throw new Error('step called before prefill');
    const decoder = this.decoder;
    const L = decoder.config.numLayers;
    const hidden = decoder.hiddenBuffer(0, 1); // [1, d]
    decoder.embed(hidden, Int32Array.of(token));
    const originalPosition = this.promptLength + this.fedTokens;
    this.fedTokens++;

    for (let l = 0; l <= L; l++) {
      this.addToRows(l, hidden, 1);
      if (l === L) {
        // Row index in H_L: the last layer's rows, plus the rows injected at L itself.
        const below = L === 0 ? this.promptLength + this.fedTokens : this.cache.layers[L - 1].length;
        this.report(l, hidden, below - 1 + this.rowsInjectedAt(L), 1);
        break;
      }
      const cacheLength = this.cache.layers[l].length;
      this.report(l, hidden, cacheLength, 1);
      if (l === untilLayer) return null;
      const position = this.positionMode === 'original' ? originalPosition : cacheLength;
      decoder.runLayer(l, this.cache, hidden, 1, Int32Array.of(position));
    }
    if (untilLayer !== undefined) return null;
    return decoder.logitsOfRow(hidden, 0);
  }

  private checkCacheOwner(): void {
    if (this.decoder.cacheEpoch !== this.cacheEpoch) {
      throw new Error('this sequence ended: a later sequence on the same decoder reset the shared key/value cache');
    }
  }

  private addToRows(layer: number, hidden: Buf, rows: number): void {
    const additions = this.additions.get(layer);
    if (additions === undefined) return;
    const d = this.decoder.hiddenSize;
    for (const { mean, alpha } of additions) this.decoder.backend.addRowVector(hidden, mean, rows * d, alpha);
  }

  /** Writes [R; H] (prepend) or [H; R] (append) into `out` [rows + r, d]. */
  private joinRows(out: Buf, hidden: Buf, rows: number, injection: Injection): void {
    const b = this.decoder.backend;
    const d = this.decoder.hiddenSize;
    const r = injection.rowCount;
    const hiddenAt = injection.placement === 'prepend' ? r : 0;
    const injectedAt = injection.placement === 'prepend' ? 0 : rows;
    b.copy(sliceBuf(out, hiddenAt * d, rows * d), hidden, rows * d);
    b.view(out).set(injection.rows, injectedAt * d);
  }

  private rowsInjectedAt(layer: number): number {
    let rows = 0;
    for (const injection of this.injections) if (injection.layer === layer) rows += addedRows(injection);
    return rows;
  }

  private report(layer: number, hidden: Buf, firstRow: number, rows: number): void {
    if (this.observer === undefined || !this.observer.wantsLayerInput(layer)) return;
    const view = this.decoder.backend.view(hidden).subarray(0, rows * this.decoder.hiddenSize);
    this.observer.onLayerInput(layer, view, firstRow, rows);
  }
}

function consecutive(start: number, count: number): Int32Array {
  const positions = new Int32Array(count);
  for (let i = 0; i < count; i++) positions[i] = start + i;
  return positions;
}
