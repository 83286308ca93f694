// Per-layer key/value caches. Each layer keeps its own length, because an integration at layer k
// lengthens the sequence of layers k..L-1 only.

import type { Backend, Buf } from '../kernels/backend.js';
import type { ActivationMemory } from './activation-memory.js';

/** Keys and values of one layer: `capacity` rows of width nkv * hd, the first `length` in use. */
export interface LayerCache {
  keys: Buf; // [capacity, nkv * hd]
  values: Buf; // [capacity, nkv * hd]
  capacity: number;
  length: number;
}

export class KvCache {
  readonly layers: LayerCache[] = [];

  /**
   * Allocates every layer's cache with `initialCapacity` rows. A layer that needs more grows to
   * the larger of twice its capacity and what it needs, so size the first capacity from prompt,
   * injected rows and maximum new tokens to avoid copies (the arena never frees the old buffers).
   */
  constructor(
    private readonly backend: Backend,
    private readonly memory: ActivationMemory,
    numLayers: number,
    /** Key (and value) row width: nkv * hd. */
    readonly rowWidth: number,
    initialCapacity: number,
  ) {
    const capacity = Math.max(1, Math.ceil(initialCapacity));
    for (let l = 0; l < numLayers; l++) {
      this.layers.push({
        keys: memory.allocF32(capacity * rowWidth),
        values: memory.allocF32(capacity * rowWidth),
        capacity,
        length: 0,
      });
    }
  }

  /** Current length (rows in use) of every layer, in layer order. */
  lengths(): number[] {
    return this.layers.map((layer) => layer.length);
  }

  /** Makes room for `extraRows` more rows in layer `l`, copying its rows into larger buffers if needed. */
  reserve(l: number, extraRows: number): LayerCache {
    const layer = this.layers[l];
    const needed = layer.length + extraRows;
    if (needed <= layer.capacity) return layer;

    const capacity = Math.max(needed, layer.capacity * 2);
    const keys = this.memory.allocF32(capacity * this.rowWidth);
    const values = this.memory.allocF32(capacity * this.rowWidth);
    const used = layer.length * this.rowWidth;
    if (used > 0) {
      this.backend.copy(keys, layer.keys, used);
      this.backend.copy(values, layer.values, used);
    }
    layer.keys = keys;
    layer.values = values;
    layer.capacity = capacity;
    return layer;
  }
}

/** Returns the sub-buffer of `buf` that covers `count` f32 values from element `start`. */
export function sliceBuf(buf: Buf, start: number, count: number): Buf {
  if (start < 0 || count < 0 || start + count > buf.length) {
    throw new RangeError(`slice [${start}, ${start + count}) is outside a buffer of ${buf.length} values`);
  }
  return { shard: buf.shard, offset: buf.offset + start * 4, length: count };
}
