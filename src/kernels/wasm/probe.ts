// Machine probes for benchmarks: memory read bandwidth with the wasm kernels and the cost of
// handing one empty operation to the worker threads.

import { Arena } from '../arena.js';
import { KernelPool } from './pool.js';
import { Op, loadKernelModule } from './protocol.js';

export interface BandwidthResult {
  readonly threads: number;
  readonly bytes: number;
  /** Median over the passes, in bytes per second. */
  readonly bytesPerSecond: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Measures main-memory read bandwidth: every thread sums its share of a buffer of `bytes`
 * (default 512 MiB, far above any L3), `passes` times. Allocates that buffer for the duration.
 */
export async function measureReadBandwidth(threads: number, bytes = 512 << 20, passes = 5): Promise<BandwidthResult> {
  const arena = new Arena();
  const pool = await KernelPool.start(loadKernelModule(), arena.memories, threads);
  try {
    const count = Math.floor(bytes / 64) * 16;
    const { shard, offset } = arena.alloc(4 * count);
    arena.f32(shard, offset, count).fill(1);
    pool.syncMemories(arena.memories);
    pool.setArg(0, offset);
    const rates: number[] = [];
    for (let pass = 0; pass < passes; pass++) {
      const start = performance.now();
      pool.dispatch(Op.Sum, shard, count, 16 * 1024);
      rates.push((4 * count) / ((performance.now() - start) / 1000));
    }
    return { threads, bytes: 4 * count, bytesPerSecond: median(rates) };
  } finally {
    await pool.close();
  }
}

/** Measures the round trip of one empty operation through the control block, in microseconds (median of `rounds` batches). */
export async function measureHandOff(threads: number, operations = 20_000): Promise<number> {
  const arena = new Arena();
  const pool = await KernelPool.start(loadKernelModule(), arena.memories, threads);
  try {
    const batches: number[] = [];
    for (let batch = 0; batch < 5; batch++) {
      const start = performance.now();
      for (let k = 0; k < operations / 5; k++) pool.dispatch(Op.Sum, 0, 0, 1);
      batches.push(((performance.now() - start) * 1000) / (operations / 5));
    }
    return median(batches);
  } finally {
    await pool.close();
  }
}
