// Shared WebAssembly memories that hold weights, activations and key/value caches.
//
// A wasm32 memory addresses at most 4 GiB, and a quantized 8B model is larger, so the arena is
// a list of memories ("shards"). Allocation is a bump pointer; nothing is freed until the arena
// is dropped. The first RESERVED_BYTES of every shard are left to the wasm modules' own data.

const PAGE_BYTES = 65536;
/** Low bytes of each shard left for the kernel modules' static data and stack. */
export const RESERVED_BYTES = 2 << 20;
/** Largest shard: 4 GiB less one page, the wasm32 limit. */
export const MAX_SHARD_BYTES = 65535 * PAGE_BYTES;
const ALIGN = 64;

export class Arena {
  readonly memories: WebAssembly.Memory[] = [];
  private readonly used: number[] = [];

  constructor(private readonly maxShardBytes: number = MAX_SHARD_BYTES) {
    this.addShard();
  }

  /** Reserves `bytes` (aligned to 64) in the first shard with room, growing it; returns where. */
  alloc(bytes: number, preferShard = 0): { shard: number; offset: number } {
    if (!Number.isFinite(bytes) || bytes < 0) throw new Error(`invalid allocation size ${bytes}`);
    if (bytes + RESERVED_BYTES > this.maxShardBytes) {
      throw new Error(`cannot allocate ${bytes} bytes: one tensor must fit in a ${this.maxShardBytes}-byte wasm memory`);
    }
    let shard = Math.min(preferShard, this.memories.length - 1);
    while (alignUp(this.used[shard]) + bytes > this.maxShardBytes) {
      shard++;
      if (shard === this.memories.length) this.addShard();
    }
    const offset = alignUp(this.used[shard]);
    this.used[shard] = offset + bytes;
    this.ensure(shard, offset + bytes);
    return { shard, offset };
  }

  /** Bytes of shard `shard` as a Uint8Array; take a new view after any allocation. */
  bytes(shard: number, offset = 0, length?: number): Uint8Array {
    const buffer = this.memories[shard].buffer;
    return new Uint8Array(buffer, offset, length ?? buffer.byteLength - offset);
  }

  f32(shard: number, offset: number, length: number): Float32Array {
    return new Float32Array(this.memories[shard].buffer, offset, length);
  }

  /** Total bytes reserved across shards, the reserved low bytes included. */
  get totalBytes(): number {
    return this.used.reduce((a, b) => a + b, 0);
  }

  private addShard(): void {
    const memory = new WebAssembly.Memory({ initial: RESERVED_BYTES / PAGE_BYTES, maximum: 65535, shared: true });
    this.memories.push(memory);
    this.used.push(RESERVED_BYTES);
  }

  private ensure(shard: number, end: number): void {
    const memory = this.memories[shard];
    const have = memory.buffer.byteLength;
    if (end <= have) return;
    // Grow by at least 1/8 of the current size so that many small allocations do not grow page by page.
    const needPages = Math.ceil((end - have) / PAGE_BYTES);
    const extraPages = Math.max(needPages, Math.ceil(have / PAGE_BYTES / 8));
    const pages = Math.min(extraPages, 65535 - have / PAGE_BYTES);
    memory.grow(Math.max(pages, needPages));
  }
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
