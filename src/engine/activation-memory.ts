// Allocation of activations and key/value caches in one arena memory.
//
// The wasm kernels other than matmul need all their buffers in the same memory (shard). Weights
// of a large model fill several shards from shard 0 up, and an allocation from shard 0 takes the
// first shard with room, so small buffers would land in gaps of early shards and large ones in
// later shards. Allocating from the last shard in use keeps them together.

import type { Arena } from '../kernels/arena.js';
import type { Buf } from '../kernels/backend.js';
import { log } from '../util/log.js';

export class ActivationMemory {
  private shard: number;
  private warned = false;

  constructor(private readonly arena: Arena) {
    this.shard = arena.memories.length - 1;
  }

  /** Allocates `length` zeroed f32 values, in the same shard as every earlier allocation if it fits. */
  allocF32(length: number): Buf {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid buffer length ${length}`);
    const { shard, offset } = this.arena.alloc(4 * length, this.shard);
    if (shard !== this.shard) {
      if (!this.warned) {
        log.warn(
          `activation buffer of ${4 * length} bytes did not fit in arena memory ${this.shard} and went to memory ${shard}; ` +
            'kernels whose buffers now span two memories run in slower TypeScript',
        );
        this.warned = true;
      }
      this.shard = shard;
    }
    const buf = { shard, offset, length };
    this.arena.f32(shard, offset, length).fill(0);
    return buf;
  }
}
