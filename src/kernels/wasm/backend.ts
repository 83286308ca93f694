// WebAssembly SIMD backend: kernels from dist/wasm/kernels.wasm on the arena's shared memories,
// with work split by output rows (or rows × heads) across worker threads.
//
// Each memory (shard) has its own module instance per thread, so a kernel only reads and writes
// one shard. A matmul runs in the weight's shard. Activations or outputs that live in another
// shard pass through the scratch area in the weight shard's reserved low bytes.
// The other row-wise kernels need their activations in one shard and fall back to the reference
// implementation (correct, slower) when they are not.

import os from 'node:os';
import { GgmlType, GGML_TYPE_LAYOUT, type WeightTensor } from '../../model/types.js';
import { InputError } from '../../util/errors.js';
import { log } from '../../util/log.js';
import { Arena } from '../arena.js';
import type { Backend, Buf, RopeTable } from '../backend.js';
import { checkAttention, checkBuf, checkCount, checkF32Vector, checkWeight } from '../checks.js';
import { ReferenceBackend } from '../reference/backend.js';
import { rowBytes } from '../reference/dequant.js';
import { KernelPool } from './pool.js';
import { MAX_THREADS, Op, STAGING_BYTES, STAGING_OFFSET, disableWasmCallInlining, loadKernelModule } from './protocol.js';

const QUANTIZED_OPS: Partial<Record<GgmlType, Op>> = {
  [GgmlType.Q8_0]: Op.MatmulQ8_0,
  [GgmlType.Q4_0]: Op.MatmulQ4_0,
  [GgmlType.Q4_K]: Op.MatmulQ4_K,
  [GgmlType.Q6_K]: Op.MatmulQ6_K,
};
const FLOAT_OPS: Partial<Record<GgmlType, Op>> = {
  [GgmlType.F32]: Op.MatmulF32,
  [GgmlType.F16]: Op.MatmulF16,
  [GgmlType.BF16]: Op.MatmulBF16,
};

/** Types that have a rows4 layout, with the code the getRows kernel takes for them (src/kernels/assembly/dequant.ts). */
const ROWS4_CODES: Partial<Record<GgmlType, number>> = {
  [GgmlType.F16]: GgmlType.F16 + 256,
  [GgmlType.Q8_0]: GgmlType.Q8_0 + 256,
  [GgmlType.Q4_K]: GgmlType.Q4_K + 256,
};
const ROWS4_OPS: Partial<Record<GgmlType, Op>> = {
  [GgmlType.F16]: Op.MatmulF16Rows4,
  [GgmlType.Q8_0]: Op.MatmulQ8_0Rows4,
  [GgmlType.Q4_K]: Op.MatmulQ4_KRows4,
};
/** Weight rows per hand-off grain: threads get whole grains so each keeps rows together. */
const ROW_GRAIN = 4;
/** Element-wise work below this many values runs on the calling thread alone. */
const SMALL_ELEMENTWISE = 1 << 15;
/**
 * Matmuls and attention below this many multiply-adds (tens of microseconds on one thread) run on
 * the calling thread alone: a worker that lost its core to another process would delay them more.
 */
const SMALL_PRODUCT = 1 << 18;
/** Reason given when a kernel's buffers are not all in one arena memory. */
const SPLIT_BUFFERS = 'its buffers lie in different arena memories (allocate activations and caches together)';
/** Output rows a staged matmul keeps per pass at least, so the staged path does not degrade to single rows. */
const MIN_STAGED_ROWS = 64;

export interface BackendOptions {
  /** Threads including the calling one; default os.availableParallelism(). */
  threads?: number;
  /** Arena to use; a new one by default. */
  arena?: Arena;
  /** Milliseconds a worker spins after an operation before it sleeps. */
  spinMs?: number;
}

export class WasmBackend implements Backend {
  readonly name = 'wasm-simd';
  private readonly reference: ReferenceBackend;
  private readonly fallbackWarnings = new Set<string>();
  /** Per-thread scratch for attention scores: `bytesPerThread` bytes for each thread from `offset`. */
  private scores: { shard: number; offset: number; bytesPerThread: number } | null = null;
  /** Memories in which the arena had no room left for the scores, so attention there runs in TypeScript. */
  private readonly scoresMissing = new Set<number>();

  constructor(
    readonly arena: Arena,
    private readonly pool: KernelPool,
  ) {
    this.reference = new ReferenceBackend(arena);
  }

  get threads(): number {
    return this.pool.threads;
  }

  allocF32(length: number): Buf {
    return this.reference.allocF32(length);
  }

  view(buf: Buf): Float32Array {
    return this.arena.f32(buf.shard, buf.offset, buf.length);
  }

  /**
   * Rewrites F16, Q8_0 and Q4_K matrices with a multiple of four rows into the rows4 layout, in place
   * (same bytes, same size), and marks them `interleaved`. Their products then read one stream
   * instead of four (docs/BENCHMARKS.md has the figures).
   */
  prepareWeights(weights: Iterable<WeightTensor>): void {
    for (const w of new Set(weights)) {
      if (w.interleaved || ROWS4_CODES[w.type] === undefined || w.rows % 4 !== 0 || w.cols % 8 !== 0) continue;
      const size = rowBytes(w.type, w.cols);
      // The rewrite goes through the scratch area, one group of four rows at a time.
      if (4 * size > STAGING_BYTES) continue;
      checkWeight(this.arena, w);
      this.pool.syncMemories(this.arena.memories);
      const kernels = this.pool.instances[w.shard];
      if (w.type === GgmlType.Q8_0) kernels.interleaveQ8_0Rows4(w.offset, size, w.rows / 4, STAGING_OFFSET);
      // An F16 "block" here is a run of 8 values (16 bytes).
      else kernels.interleaveBlocksRows4(w.offset, size, w.type === GgmlType.F16 ? 16 : GGML_TYPE_LAYOUT[w.type].blockBytes, w.rows / 4, STAGING_OFFSET);
      w.interleaved = true;
    }
  }

  matmul(y: Buf, x: Buf, w: WeightTensor, n: number): void {
    checkWeight(this.arena, w);
    checkCount('n', n);
    checkBuf(this.arena, 'x', x, n * w.cols);
    checkBuf(this.arena, 'y', y, n * w.rows);
    if (n === 0) return;
    this.pool.syncMemories(this.arena.memories);

    const op = w.interleaved ? ROWS4_OPS[w.type] : (QUANTIZED_OPS[w.type] ?? FLOAT_OPS[w.type]);
    if (op === undefined) throw new InputError(`matmul: tensor ${w.name} has unsupported type ${GGML_TYPE_LAYOUT[w.type]?.name ?? w.type}`);
    // Quantized kernels read the activations quantized to 8 bits; float kernels read them as f32.
    const quantized = FLOAT_OPS[w.type] === undefined;
    const shard = w.shard;
    const directX = x.shard === shard;
    const directY = y.shard === shard;
    const cols = w.cols;

    // Scratch per activation row: the quantized copy (cols int8 + 8 bytes per 32), plus an f32
    // copy when x lives in another shard. When y lives in another shard, half the area takes output.
    // The rows4 Q4_K kernel also reads the activations widened to i16 (2 bytes per value).
    const widened = op === Op.MatmulQ4_KRows4;
    const inBytesPerRow = (quantized ? cols + cols / 4 : 0) + (widened ? 2 * cols : 0) + (directX ? 0 : 4 * cols);
    const outBytes = directY ? 0 : STAGING_BYTES / 2;
    let rowsPerChunk = inBytesPerRow === 0 ? n : Math.floor((STAGING_BYTES - outBytes) / inBytesPerRow);
    if (!directY) rowsPerChunk = Math.min(rowsPerChunk, Math.floor(outBytes / (4 * Math.min(w.rows, MIN_STAGED_ROWS))));
    rowsPerChunk = Math.min(rowsPerChunk, n);
    if (rowsPerChunk < 1) {
      throw new InputError(`matmul: tensor ${w.name} has ${cols} columns, too wide for one activation row in the ${STAGING_BYTES}-byte scratch area; place its activations in the weight's memory`);
    }
    let rowsPerPass = directY ? w.rows : Math.min(w.rows, Math.floor(outBytes / (4 * rowsPerChunk)));
    // An interleaved tensor is split only at whole groups of four rows.
    if (w.interleaved) rowsPerPass = Math.max(4, rowsPerPass - (rowsPerPass % 4));
    const f32Copy = STAGING_OFFSET;
    const xq = STAGING_OFFSET + (directX ? 0 : 4 * cols * rowsPerChunk);
    const xs = xq + cols * rowsPerChunk;
    const xw = xs + (cols / 4) * rowsPerChunk;
    const outArea = STAGING_OFFSET + STAGING_BYTES - outBytes;
    const kernels = this.pool.instances[shard];

    for (let i0 = 0; i0 < n; i0 += rowsPerChunk) {
      const m = Math.min(rowsPerChunk, n - i0);
      let source = x.offset + 4 * i0 * cols;
      if (!directX) {
        this.arena.f32(shard, f32Copy, m * cols).set(this.arena.f32(x.shard, source, m * cols));
        source = f32Copy;
      }
      if (quantized) kernels.quantizeRows(source, xq, xs, m, cols);
      if (widened) kernels.widenActivations(xq, xw, m, cols);

      for (let r0 = 0; r0 < w.rows; r0 += rowsPerPass) {
        const r1 = Math.min(w.rows, r0 + rowsPerPass);
        const ldy = directY ? w.rows : r1 - r0;
        // The kernels number weight rows from the pointer they get, so a pass over rows r0..r1-1
        // starts at row r0 and writes its staged output from column 0.
        const target = directY ? y.offset + 4 * i0 * w.rows : outArea;
        this.pool.setArg(0, target);
        this.pool.setArg(1, ldy);
        this.pool.setArg(2, w.offset + r0 * rowBytes(w.type, cols));
        if (quantized) {
          this.pool.setArg(3, rowBytes(w.type, cols));
          this.pool.setArg(4, widened ? xw : xq);
          this.pool.setArg(5, xs);
          this.pool.setArg(6, m);
          this.pool.setArg(7, cols);
        } else {
          this.pool.setArg(3, source);
          this.pool.setArg(4, m);
          this.pool.setArg(5, cols);
        }
        if ((r1 - r0) * cols * m < SMALL_PRODUCT) this.pool.runLocal(op, shard, r1 - r0);
        else this.pool.dispatch(op, shard, r1 - r0, ROW_GRAIN);
        if (!directY) {
          const staged = this.arena.f32(shard, outArea, m * ldy);
          const out = this.view(y);
          for (let i = 0; i < m; i++) out.set(staged.subarray(i * ldy, (i + 1) * ldy), (i0 + i) * w.rows + r0);
        }
      }
    }
  }

  getRows(y: Buf, table: WeightTensor, ids: Int32Array): void {
    checkWeight(this.arena, table);
    checkBuf(this.arena, 'y', y, ids.length * table.cols);
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i] >= 0 && ids[i] < table.rows)) {
        throw new InputError(`row id ${ids[i]} at index ${i} is outside tensor ${table.name} with ${table.rows} rows`);
      }
    }
    if (y.shard !== table.shard || 4 * ids.length > STAGING_BYTES) {
      // The table usually lives with the weights, so this is the common path for large models; it is cheap.
      this.reference.getRows(y, table, ids);
      return;
    }
    this.pool.syncMemories(this.arena.memories);
    this.arena.bytes(table.shard, STAGING_OFFSET, 4 * ids.length).set(new Uint8Array(ids.buffer, ids.byteOffset, 4 * ids.length));
    this.pool.setArg(0, y.offset);
    this.pool.setArg(1, table.offset);
    this.pool.setArg(2, rowBytes(table.type, table.cols));
    this.pool.setArg(3, table.cols);
    this.pool.setArg(4, table.interleaved ? ROWS4_CODES[table.type]! : table.type);
    this.pool.setArg(5, STAGING_OFFSET);
    this.run(Op.GetRows, table.shard, ids.length, 1, ids.length * table.cols);
  }

  rmsNorm(y: Buf, x: Buf, weight: WeightTensor, n: number, d: number, eps: number): void {
    checkCount('n', n);
    checkF32Vector(this.arena, weight, d);
    checkBuf(this.arena, 'x', x, n * d);
    checkBuf(this.arena, 'y', y, n * d);
    if (x.shard !== y.shard || 4 * d > STAGING_BYTES) return this.fallback('rmsNorm', x.shard !== y.shard ? SPLIT_BUFFERS : 'the row is wider than the scratch area', () => this.reference.rmsNorm(y, x, weight, n, d, eps));
    this.pool.syncMemories(this.arena.memories);
    let weightOffset = weight.offset;
    if (weight.shard !== x.shard) {
      this.arena.f32(x.shard, STAGING_OFFSET, d).set(this.arena.f32(weight.shard, weight.offset, d));
      weightOffset = STAGING_OFFSET;
    }
    this.pool.setArg(0, y.offset);
    this.pool.setArg(1, x.offset);
    this.pool.setArg(2, weightOffset);
    this.pool.setArg(3, d);
    this.pool.setFloatArg(eps);
    this.run(Op.RmsNorm, x.shard, n, 1, n * d);
  }

  addBias(y: Buf, bias: WeightTensor, n: number, d: number): void {
    this.reference.addBias(y, bias, n, d);
  }

  add(y: Buf, x: Buf, count: number): void {
    checkCount('count', count);
    checkBuf(this.arena, 'x', x, count);
    checkBuf(this.arena, 'y', y, count);
    if (x.shard !== y.shard) return this.fallback('add', SPLIT_BUFFERS, () => this.reference.add(y, x, count));
    this.pool.syncMemories(this.arena.memories);
    this.pool.setArg(0, y.offset);
    this.pool.setArg(1, x.offset);
    this.run(Op.Add, y.shard, count, 64, count);
  }

  addRowVector(y: Buf, v: Float32Array, count: number, alpha: number): void {
    this.reference.addRowVector(y, v, count, alpha);
  }

  swiglu(y: Buf, gate: Buf, up: Buf, count: number): void {
    checkCount('count', count);
    checkBuf(this.arena, 'gate', gate, count);
    checkBuf(this.arena, 'up', up, count);
    checkBuf(this.arena, 'y', y, count);
    if (gate.shard !== y.shard || up.shard !== y.shard) return this.fallback('swiglu', SPLIT_BUFFERS, () => this.reference.swiglu(y, gate, up, count));
    this.pool.syncMemories(this.arena.memories);
    this.pool.setArg(0, y.offset);
    this.pool.setArg(1, gate.offset);
    this.pool.setArg(2, up.offset);
    this.run(Op.Swiglu, y.shard, count, 64, count);
  }

  rope(x: Buf, n: number, heads: number, hd: number, positions: Int32Array, table: RopeTable): void {
    checkCount('n', n);
    checkCount('heads', heads);
    if (hd % 2 !== 0 || table.invFreq.length !== hd / 2) {
      throw new InputError(`rope: head size ${hd} needs ${hd / 2} inverse frequencies, the table has ${table.invFreq.length}`);
    }
    if (positions.length < n) throw new InputError(`rope: ${n} rows need ${n} positions, found ${positions.length}`);
    checkBuf(this.arena, 'x', x, n * heads * hd);
    this.pool.syncMemories(this.arena.memories);
    // Cosines and sines per row go to the scratch area, as many rows per pass as fit.
    const half = hd / 2;
    const rowsPerPass = Math.max(1, Math.floor(STAGING_BYTES / (4 * hd)));
    for (let i0 = 0; i0 < n; i0 += rowsPerPass) {
      const m = Math.min(rowsPerPass, n - i0);
      const angles = this.arena.f32(x.shard, STAGING_OFFSET, m * hd);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < half; j++) {
          const angle = positions[i0 + i] * table.invFreq[j];
          angles[i * hd + j] = Math.cos(angle);
          angles[i * hd + half + j] = Math.sin(angle);
        }
      }
      this.pool.setArg(0, x.offset + 4 * i0 * heads * hd);
      this.pool.setArg(1, STAGING_OFFSET);
      this.pool.setArg(2, heads);
      this.pool.setArg(3, hd);
      this.pool.setArg(4, table.style === 'neox' ? 1 : 0);
      this.run(Op.Rope, x.shard, m, 1, m * heads * hd);
    }
  }

  attention(out: Buf, q: Buf, keys: Buf, values: Buf, n: number, start: number, nh: number, nkv: number, hd: number): void {
    checkAttention(this.arena, out, q, keys, values, n, start, nh, nkv, hd);
    const shard = out.shard;
    if (hd % 4 !== 0) {
      return this.fallback('attention', `head size ${hd} is not a multiple of 4`, () => this.reference.attention(out, q, keys, values, n, start, nh, nkv, hd));
    }
    if (q.shard !== shard || keys.shard !== shard || values.shard !== shard) {
      return this.fallback('attention', SPLIT_BUFFERS, () => this.reference.attention(out, q, keys, values, n, start, nh, nkv, hd));
    }
    const scores = this.scoresArea(shard, start + n);
    if (scores === null) return this.fallback('attention', 'the arena memory of its buffers has no room for the scores', () => this.reference.attention(out, q, keys, values, n, start, nh, nkv, hd));
    this.pool.syncMemories(this.arena.memories);
    this.pool.setArg(0, out.offset);
    this.pool.setArg(1, q.offset);
    this.pool.setArg(2, keys.offset);
    this.pool.setArg(3, values.offset);
    this.pool.setArg(4, start);
    this.pool.setArg(5, nh);
    this.pool.setArg(6, nkv);
    this.pool.setArg(7, hd);
    this.pool.setArg(8, scores.offset);
    this.pool.setArg(9, scores.bytesPerThread);
    // Query row i reads start + i + 1 cached rows of keys and values.
    const products = n * nh * (start + (n + 1) / 2) * 2 * hd;
    if (products < SMALL_PRODUCT) this.pool.runLocal(Op.Attention, shard, n * nh);
    else this.pool.dispatch(Op.Attention, shard, n * nh, 1);
  }

  /**
   * Returns scratch memory in `shard` for `floats` attention scores per thread, growing it by
   * doubling. Returns null when the arena placed the new area in another memory.
   */
  private scoresArea(shard: number, floats: number): { offset: number; bytesPerThread: number } | null {
    const current = this.scores;
    if (current !== null && current.shard === shard && current.bytesPerThread >= 4 * floats) return current;
    if (this.scoresMissing.has(shard)) return null;
    const bytesPerThread = 4 * Math.max(floats, 2 * (current?.bytesPerThread ?? 0) / 4, 1024);
    const { shard: placed, offset } = this.arena.alloc(bytesPerThread * this.threads, shard);
    if (placed !== shard) {
      // The area went to a later memory and stays unused; asking again would only waste more.
      this.scoresMissing.add(shard);
      return null;
    }
    this.scores = { shard, offset, bytesPerThread };
    return this.scores;
  }

  copy(y: Buf, x: Buf, count: number): void {
    this.reference.copy(y, x, count);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Runs a row- or element-split op on all threads, or on the calling thread alone when small. */
  private run(op: Op, shard: number, units: number, grain: number, values: number): void {
    if (values < SMALL_ELEMENTWISE) this.pool.runLocal(op, shard, units);
    else this.pool.dispatch(op, shard, units, grain);
  }

  /** Runs the TypeScript version of a kernel, warning once per reason that it is slower. */
  private fallback(kernel: string, reason: string, compute: () => void): void {
    if (!this.fallbackWarnings.has(reason)) {
      log.warn(`${kernel}: ${reason}, so it runs in TypeScript (slower)`);
      this.fallbackWarnings.add(reason);
    }
    compute();
  }
}

/** Compiles the kernel module, starts threads - 1 workers and warms every kernel. */
export async function createBackend(options: BackendOptions = {}): Promise<WasmBackend> {
  const threads = options.threads ?? os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new InputError(`threads must be an integer from 1 to ${MAX_THREADS}, found ${threads}`);
  }
  if (threads > os.availableParallelism()) {
    // Spinning threads beyond the core count take turns on the cores and slow every hand-off.
    log.warn(`${threads} kernel threads on ${os.availableParallelism()} available cores: expect a slowdown; use at most the core count`);
  }
  const arena = options.arena ?? new Arena();
  disableWasmCallInlining();
  const module = loadKernelModule();
  const pool = await KernelPool.start(module, arena.memories, threads, options.spinMs ?? 2);
  log.debug(`wasm backend: ${threads} threads on ${arena.memories.length} memories`);
  return new WasmBackend(arena, pool);
}
