// A model whose weights span several arena memories: the decoder's activations and caches must
// share one memory, so that the wasm kernels run without their slower cross-memory fallback.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder } from '../../src/engine/forward.js';
import { createRandomModel } from '../../src/engine/random-model.js';
import { Sequence } from '../../src/engine/sequence.js';
import { Arena, RESERVED_BYTES } from '../../src/kernels/arena.js';
import { ReferenceBackend } from '../../src/kernels/reference/backend.js';
import { createBackend } from '../../src/kernels/wasm/backend.js';
import { setLogSink, type LogLevel } from '../../src/util/log.js';
import { maxAbsDiff } from './helpers.js';

const OPTIONS = {
  seed: 71,
  config: { hiddenSize: 128, numHeads: 4, numKvHeads: 2, headDim: 32, intermediateSize: 512, vocabSize: 512, numLayers: 4 },
};
const PROMPT = [1, 200, 33, 450, 7, 99, 300, 12];
// About 1 MiB of weights per layer, so 1.5 MiB memories hold one layer each with a gap after it.
const SHARD_BYTES = RESERVED_BYTES + 1.5 * 1024 * 1024;

test('activations share one memory across shards', { timeout: 60_000 }, async () => {
  const arena = new Arena(SHARD_BYTES);
  const model = createRandomModel(arena, OPTIONS);
  assert.ok(arena.memories.length >= 3, `weights span ${arena.memories.length} memories`);

  const warnings: string[] = [];
  setLogSink((level: LogLevel, message: string) => {
    if (level === 'warn') warnings.push(message);
  });
  const backend = await createBackend({ threads: 1, arena });
  let wasmLogits: Float32Array;
  try {
    wasmLogits = new Sequence(new Decoder(backend, model), { capacity: 64 }).prefill(Int32Array.from(PROMPT))!;
  } finally {
    await backend.close();
    setLogSink((level, message) => process.stderr.write(`[${level}] ${message}\n`));
  }
  assert.deepEqual(warnings, []);

  const reference = new Sequence(new Decoder(new ReferenceBackend(arena), model), { capacity: 64 }).prefill(Int32Array.from(PROMPT))!;
  const diff = maxAbsDiff(wasmLogits, reference);
  const scale = Math.max(...reference.map(Math.abs));
  assert.ok(diff <= 1e-5 * scale, `wasm against reference: max abs diff ${diff} for logits up to ${scale}`);
});
