// Definitions shared by the calling thread and the worker threads: the kernel module's exports,
// the layout of the control block, operation codes and the split of work units across threads.

import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { RESERVED_BYTES } from '../arena.js';

/** Exports of dist/wasm/kernels.wasm; pointers are byte offsets into one arena memory. */
export interface KernelExports {
  quantizeRows(x: number, q: number, s: number, n: number, cols: number): void;
  matmulQ8_0(y: number, ldy: number, w: number, rowBytes: number, xq: number, xs: number, n: number, cols: number, r0: number, r1: number): void;
  matmulQ8_0Rows4(y: number, ldy: number, w: number, rowBytes: number, xq: number, xs: number, n: number, cols: number, r0: number, r1: number): void;
  interleaveQ8_0Rows4(w: number, rowBytes: number, groups: number, scratch: number): void;
  interleaveBlocksRows4(w: number, rowBytes: number, blockBytes: number, groups: number, scratch: number): void;
  matmulQ4_KRows4(y: number, ldy: number, w: number, rowBytes: number, xw: number, xs: number, n: number, cols: number, r0: number, r1: number, scratch: number): void;
  widenActivations(xq: number, xw: number, n: number, cols: number): void;
  matmulQ4_0(y: number, ldy: number, w: number, rowBytes: number, xq: number, xs: number, n: number, cols: number, r0: number, r1: number): void;
  matmulQ4_K(y: number, ldy: number, w: number, rowBytes: number, xq: number, xs: number, n: number, cols: number, r0: number, r1: number, scratch: number): void;
  matmulQ6_K(y: number, ldy: number, w: number, rowBytes: number, xq: number, xs: number, n: number, cols: number, r0: number, r1: number): void;
  matmulF32(y: number, ldy: number, w: number, x: number, n: number, cols: number, r0: number, r1: number): void;
  matmulF16(y: number, ldy: number, w: number, x: number, n: number, cols: number, r0: number, r1: number): void;
  matmulF16Rows4(y: number, ldy: number, w: number, x: number, n: number, cols: number, r0: number, r1: number, scratch: number): void;
  matmulBF16(y: number, ldy: number, w: number, x: number, n: number, cols: number, r0: number, r1: number): void;
  rmsNorm(y: number, x: number, weight: number, d: number, eps: number, i0: number, i1: number): void;
  rope(x: number, angles: number, heads: number, hd: number, neox: number, i0: number, i1: number): void;
  swiglu(y: number, gate: number, up: number, j0: number, j1: number): void;
  add(y: number, x: number, j0: number, j1: number): void;
  attention(out: number, q: number, keys: number, values: number, start: number, nh: number, nkv: number, hd: number, u0: number, u1: number, step: number, scores: number): void;
  sum(x: number, j0: number, j1: number): number;
  getRows(y: number, table: number, rowBytes: number, cols: number, type: number, ids: number, i0: number, i1: number): void;
}

/** Path of the compiled kernels, written by tools/build-wasm.js. */
export const KERNELS_WASM_URL = new URL('../../../wasm/kernels.wasm', import.meta.url);

/**
 * Turns off V8's inlining of JavaScript-to-WebAssembly calls into optimized JavaScript, for the
 * whole process. With it on (Node 20), a worker whose dispatch function TurboFan had optimized
 * after running the attention kernel ran every later matmul at half speed. Decode of a
 * Qwen2.5-0.5B-shaped Q8_0 model after a 64-token prompt took 41 ms per token, against 22 ms
 * with the inlining off. The cause inside V8 was not found. Where the slowdown did not occur,
 * decode took 22 ms per token with the inlining on or off.
 */
export function disableWasmCallInlining(): void {
  setFlagsFromString('--no-turbo-inline-js-wasm-calls');
}

export function loadKernelModule(): WebAssembly.Module {
  let bytes: Buffer;
  try {
    bytes = readFileSync(KERNELS_WASM_URL);
  } catch (error) {
    throw new Error(`kernel module ${KERNELS_WASM_URL.pathname} not found: run \`npm run build\` first (${(error as Error).message})`);
  }
  return new WebAssembly.Module(new Uint8Array(bytes));
}

export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: (_message: number, _file: number, line: number, column: number) => {
        throw new Error(`kernel module aborted at line ${line}, column ${column}`);
      },
    },
  });
  return instance.exports as unknown as KernelExports;
}

/** Per-thread scratch for kernels that keep small records or decoded weights: THREAD_SCRATCH_BYTES per thread from this offset. */
export const THREAD_SCRATCH_OFFSET = 32 * 1024;
export const THREAD_SCRATCH_BYTES = 4096;
/** Most threads the per-thread scratch has room for. */
export const MAX_THREADS = 64;

export function threadScratch(index: number): number {
  return THREAD_SCRATCH_OFFSET + index * THREAD_SCRATCH_BYTES;
}

/** Start of the shared scratch area inside each memory's reserved low bytes; static data and thread scratch lie below. */
export const STAGING_OFFSET = THREAD_SCRATCH_OFFSET + MAX_THREADS * THREAD_SCRATCH_BYTES;
/** Bytes of scratch area per memory. */
export const STAGING_BYTES = RESERVED_BYTES - STAGING_OFFSET;

/** Operation codes written to the control block. */
export const enum Op {
  MatmulQ8_0 = 1,
  MatmulQ4_0,
  /** Q8_0 weights in the rows4 layout (four rows interleaved per block). */
  MatmulQ8_0Rows4,
  /** Q4_K weights in the rows4 layout (four rows' super-blocks side by side). */
  MatmulQ4_KRows4,
  MatmulQ4_K,
  MatmulQ6_K,
  MatmulF32,
  MatmulF16,
  /** F16 weights in the rows4 layout (four rows' runs of 8 values side by side). */
  MatmulF16Rows4,
  MatmulBF16,
  RmsNorm,
  Rope,
  Swiglu,
  Add,
  Attention,
  /** Read a range of f32 values and discard the sum: a memory bandwidth probe. */
  Sum,
  GetRows,
  /** Instantiate the module on a new memory sent through the worker's message port. */
  AddShard,
  /** Run every kernel on small zeroed inputs so V8 compiles them with its optimizing tier. */
  Warm,
  Exit,
}

/** Int32 slots of the control block. */
export const enum Slot {
  /** Incremented by the calling thread to publish a new operation. */
  Sequence = 0,
  /** Workers that finished the current operation. */
  Done,
  /** Workers blocked in Atomics.wait, so the caller knows whether to notify. */
  Sleepers,
  /** Index (1 or more) of a worker whose kernel threw; 0 when none did. */
  Failed,
  Op,
  Shard,
  /** Total work units of the operation and the split granularity. */
  Units,
  Grain,
  /** Operation arguments: pointers (as u32 stored in i32) and counts. */
  Args,
}
export const ARG_COUNT = 12;
/** Index in the Float32Array view of the control block for the f32 argument (eps). */
export const FLOAT_ARG = Slot.Args + ARG_COUNT;
export const CONTROL_INTS = FLOAT_ARG + 1;

/** Returns the [start, end) range of `units` that thread `index` of `threads` computes, in whole grains. */
export function shareOf(units: number, grain: number, threads: number, index: number): [number, number] {
  const grains = Math.ceil(units / grain);
  const start = Math.floor((grains * index) / threads) * grain;
  const end = Math.min(units, Math.floor((grains * (index + 1)) / threads) * grain);
  return [Math.min(start, units), end];
}

/** Runs the share of one operation described by the control block, on the given thread's instances. */
export function runShare(control: Int32Array, floats: Float32Array, instances: KernelExports[], threads: number, index: number): void {
  const op = control[Slot.Op] as Op;
  const kernels = instances[control[Slot.Shard]];
  const a = (k: number) => control[Slot.Args + k] >>> 0;
  if (op === Op.Attention) {
    // Interleaved units: thread `index` takes units index, index + threads, ...
    // Argument 8 is the scores scratch of thread 0; each thread's area is argument 9 bytes long.
    kernels.attention(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), index, control[Slot.Units], threads, a(8) + index * a(9));
    return;
  }
  const [u0, u1] = shareOf(control[Slot.Units], control[Slot.Grain], threads, index);
  if (u0 >= u1) return;
  switch (op) {
    case Op.MatmulQ8_0:
      return kernels.matmulQ8_0(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), u0, u1);
    case Op.MatmulQ8_0Rows4:
      return kernels.matmulQ8_0Rows4(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), u0, u1);
    case Op.MatmulQ4_KRows4:
      return kernels.matmulQ4_KRows4(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), u0, u1, threadScratch(index));
    case Op.MatmulQ4_0:
      return kernels.matmulQ4_0(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), u0, u1);
    case Op.MatmulQ4_K:
      return kernels.matmulQ4_K(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), u0, u1, threadScratch(index));
    case Op.MatmulQ6_K:
      return kernels.matmulQ6_K(a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), u0, u1);
    case Op.MatmulF32:
      return kernels.matmulF32(a(0), a(1), a(2), a(3), a(4), a(5), u0, u1);
    case Op.MatmulF16:
      return kernels.matmulF16(a(0), a(1), a(2), a(3), a(4), a(5), u0, u1);
    case Op.MatmulF16Rows4:
      return kernels.matmulF16Rows4(a(0), a(1), a(2), a(3), a(4), a(5), u0, u1, threadScratch(index));
    case Op.MatmulBF16:
      return kernels.matmulBF16(a(0), a(1), a(2), a(3), a(4), a(5), u0, u1);
    case Op.RmsNorm:
      return kernels.rmsNorm(a(0), a(1), a(2), a(3), floats[FLOAT_ARG], u0, u1);
    case Op.Rope:
      return kernels.rope(a(0), a(1), a(2), a(3), a(4), u0, u1);
    case Op.Swiglu:
      return kernels.swiglu(a(0), a(1), a(2), u0, u1);
    case Op.Add:
      return kernels.add(a(0), a(1), u0, u1);
    case Op.Sum:
      kernels.sum(a(0), u0, u1);
      return;
    case Op.GetRows:
      return kernels.getRows(a(0), a(1), a(2), a(3), a(4), a(5), u0, u1);
    default:
      throw new Error(`unknown kernel operation ${op}`);
  }
}

/** Runs every kernel on small zeroed inputs at `base` (needs 64 KiB) until V8 has had reason to optimize them. */
export function warmKernels(kernels: KernelExports, memory: WebAssembly.Memory, base: number): void {
  new Uint8Array(memory.buffer, base, 65536).fill(0);
  const cols = 256;
  const rows = 8;
  const n = 2;
  const w = base;
  const x = base + 16384;
  const xs = base + 24576;
  const y = base + 32768;
  for (let round = 0; round < 40; round++) {
    kernels.quantizeRows(x, x, xs, n, cols);
    kernels.matmulQ8_0(y, rows, w, 272, x, xs, n, cols, 0, rows);
    kernels.matmulQ8_0Rows4(y, rows, w, 272, x, xs, n, cols, 0, rows);
    kernels.matmulQ4_0(y, rows, w, 144, x, xs, n, cols, 0, rows);
    kernels.matmulQ4_K(y, rows, w, 144, x, xs, n, cols, 0, rows, threadScratch(0));
    kernels.widenActivations(x, x, n, 16);
    kernels.matmulQ4_KRows4(y, rows, w, 144, x, xs, n, cols, 0, rows, threadScratch(0));
    kernels.matmulQ6_K(y, rows, w, 210, x, xs, n, cols, 0, rows);
    kernels.matmulF32(y, rows, w, x, n, cols, 0, rows);
    kernels.matmulF16(y, rows, w, x, n, cols, 0, rows);
    kernels.matmulF16Rows4(y, rows, w, x, n, cols, 0, rows, threadScratch(0));
    kernels.matmulF16Rows4(y, rows, w, x, 5, cols, 0, rows, threadScratch(0));
    kernels.matmulBF16(y, rows, w, x, n, cols, 0, rows);
    kernels.rmsNorm(y, x, w, cols, 1e-5, 0, n);
    kernels.rope(y, w, 2, 64, round & 1, 0, n);
    kernels.swiglu(y, x, w, 0, cols);
    kernels.add(y, x, 0, cols);
    kernels.attention(y, x, w, w, 3, 4, 2, 64, 0, 8, 1, xs);
    kernels.sum(w, 0, cols);
    for (const type of [0, 1, 30, 8, 2, 12, 14, 257, 264, 268]) kernels.getRows(y, w, 0, cols, type, x, 0, 1);
  }
}
