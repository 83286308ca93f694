// Kernel micro-benchmarks for the WebAssembly backend. Matrix-vector throughput is measured per
// weight type and thread count, with the weights rotating through more memory than any L3 so that
// it measures main memory. The same run measures read bandwidth and the hand-off cost per operation.
//
//   node dist/tools/bench/kernels.js [--threads 1,2] [--types Q8_0,Q4_K] [--megabytes 320] [--size 4096] [--json]

import { parseArgs } from 'node:util';
import { GgmlType, GGML_TYPE_LAYOUT, tensorBytes, type WeightTensor } from '../../src/model/types.js';
import { Arena } from '../../src/kernels/arena.js';
import { createBackend } from '../../src/kernels/wasm/backend.js';
import { measureHandOff, measureReadBandwidth } from '../../src/kernels/wasm/probe.js';

const TYPES_BY_NAME = new Map(Object.entries(GGML_TYPE_LAYOUT).map(([id, layout]) => [layout.name, Number(id) as GgmlType]));

interface MatvecResult {
  type: string;
  threads: number;
  rows: number;
  cols: number;
  matrices: number;
  microseconds: number;
  gigabytesPerSecond: number;
  /**
   * Bytes per second of CPU time used by the process (all threads, spinning included). On a
   * machine shared with other work it shows what the kernels do per core they actually got.
   */
  gigabytesPerCpuSecond: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Fills weight bytes with a cheap pattern that keeps every scale finite and small. */
function fillWeights(bytes: Uint8Array, type: GgmlType): void {
  for (let j = 0; j < bytes.length; j++) bytes[j] = (j * 131 + 7) & 0x3f;
  if (type === GgmlType.F32) new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4).fill(0.01);
}

async function benchMatvec(type: GgmlType, threads: number, size: number, megabytes: number): Promise<MatvecResult> {
  const matrixBytes = tensorBytes(type, size * size);
  const count = Math.max(2, Math.ceil((megabytes * 1e6) / matrixBytes));
  const arena = new Arena();
  const backend = await createBackend({ threads, arena });
  try {
    const weights: WeightTensor[] = [];
    for (let k = 0; k < count; k++) {
      const { shard, offset } = arena.alloc(matrixBytes);
      fillWeights(arena.bytes(shard, offset, matrixBytes), type);
      weights.push({ name: `w${k}`, type, rows: size, cols: size, shard, offset, nbytes: matrixBytes });
    }
    // The layout the engine uses: F16, Q8_0 and Q4_K are interleaved in groups of four rows.
    backend.prepareWeights(weights);
    const x = backend.allocF32(size);
    backend.view(x).fill(0.5);
    const y = backend.allocF32(size);
    const times: number[] = [];
    let cpuStart = process.cpuUsage();
    for (let pass = 0; pass < 4; pass++) {
      // The first pass only warms caches, page tables and the compiled kernels.
      if (pass === 1) cpuStart = process.cpuUsage();
      for (const w of weights) {
        const start = performance.now();
        backend.matmul(y, x, w, 1);
        if (pass > 0) times.push(performance.now() - start);
      }
    }
    const cpu = process.cpuUsage(cpuStart);
    const milliseconds = median(times);
    return {
      type: GGML_TYPE_LAYOUT[type].name + (weights[0].interleaved ? ' rows4' : ''),
      threads,
      rows: size,
      cols: size,
      matrices: count,
      microseconds: milliseconds * 1000,
      gigabytesPerSecond: matrixBytes / (milliseconds / 1000) / 1e9,
      gigabytesPerCpuSecond: (times.length * matrixBytes) / ((cpu.user + cpu.system) / 1e6) / 1e9,
    };
  } finally {
    await backend.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      threads: { type: 'string', default: '1,2' },
      types: { type: 'string', default: 'F32,F16,BF16,Q8_0,Q4_0,Q4_K,Q6_K' },
      megabytes: { type: 'string', default: '320' },
      size: { type: 'string', default: '4096' },
      json: { type: 'boolean', default: false },
    },
  });
  const threadCounts = values.threads.split(',').map(Number);
  const megabytes = Number(values.megabytes);
  const size = Number(values.size);
  if (threadCounts.some((t) => !Number.isInteger(t) || t < 1)) throw new Error(`--threads must list positive integers, found ${values.threads}`);
  if (!Number.isInteger(size) || size < 256 || size % 256 !== 0) throw new Error(`--size must be a multiple of 256, found ${values.size}`);
  if (!(megabytes > 0)) throw new Error(`--megabytes must be positive, found ${values.megabytes}`);
  const types = values.types.split(',').map((name) => {
    const type = TYPES_BY_NAME.get(name);
    if (type === undefined) throw new Error(`unknown type ${name}: expected one of ${[...TYPES_BY_NAME.keys()].join(', ')}`);
    return type;
  });

  const machine: Record<string, unknown>[] = [];
  for (const threads of threadCounts) {
    const bandwidth = await measureReadBandwidth(threads);
    const handOffMicroseconds = await measureHandOff(threads);
    machine.push({ threads, readGigabytesPerSecond: bandwidth.bytesPerSecond / 1e9, handOffMicroseconds });
  }
  const results: MatvecResult[] = [];
  for (const type of types) {
    for (const threads of threadCounts) results.push(await benchMatvec(type, threads, size, megabytes));
  }

  if (values.json) {
    console.log(JSON.stringify({ machine, matvec: results }, null, 2));
    return;
  }
  for (const row of machine) {
    console.log(`threads ${row.threads}: read ${(row.readGigabytesPerSecond as number).toFixed(1)} GB/s, hand-off ${(row.handOffMicroseconds as number).toFixed(2)} µs per op`);
  }
  console.log(`matrix-vector ${size}x${size}, weights rotating through >= ${megabytes} MB:`);
  for (const r of results) {
    const perCpu = `${r.gigabytesPerCpuSecond.toFixed(1).padStart(5)} GB per CPU-second`;
    console.log(`  ${r.type.padEnd(10)} threads ${r.threads}: ${r.gigabytesPerSecond.toFixed(1).padStart(5)} GB/s  ${perCpu}  ${r.microseconds.toFixed(0).padStart(6)} µs/op  (${r.matrices} matrices)`);
  }
}

await main();
