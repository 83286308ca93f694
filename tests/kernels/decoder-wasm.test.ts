// The whole decoder on the wasm backend against the reference backend, for a generated model in
// every GGUF weight type: prompt logits and two decode steps. The quantized types see 8-bit
// activations in the wasm matmuls only, so their logits differ by about 1% of the range (2.5% allowed).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder } from '../../src/engine/forward.js';
import { argmax } from '../../src/engine/sampling.js';
import { Sequence } from '../../src/engine/sequence.js';
import { Arena } from '../../src/kernels/arena.js';
import type { Backend } from '../../src/kernels/backend.js';
import { ReferenceBackend } from '../../src/kernels/reference/backend.js';
import { createBackend } from '../../src/kernels/wasm/backend.js';
import { loadModel, type LoadedModel } from '../../src/model/load.js';
import { generateTestModel, GGUF_FORMATS } from '../../tools/testmodel/generate.js';
import { maxAbsDiff } from './blocks.js';

const dir = mkdtempSync(join(tmpdir(), 'nir-decoder-wasm-'));
const formats = Object.keys(GGUF_FORMATS) as (keyof typeof GGUF_FORMATS)[];
const PROMPT = Int32Array.from([3, 17, 101, 45, 9, 250, 77]);
/** Largest logit difference allowed, as a fraction of the reference logits' range. */
const TOLERANCE = { float: 1e-4, quantized: 0.025 };

let files: ReturnType<typeof generateTestModel>;
before(() => {
  files = generateTestModel({ seed: 12, out: dir, arch: 'llama', hidden: 256, heads: 4, kvHeads: 2, intermediate: 512, formats });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Returns the prompt's next-token logits and those of two greedy steps after it. */
function runSteps(backend: Backend, model: LoadedModel): Float32Array[] {
  const sequence = new Sequence(new Decoder(backend, model), { capacity: 16 });
  const steps = [sequence.prefill(PROMPT)!];
  for (let k = 0; k < 2; k++) steps.push(sequence.step(argmax(steps[steps.length - 1]))!);
  return steps;
}

for (const format of formats) {
  test(`decoder ${format} wasm matches reference`, async () => {
    const arena = new Arena();
    const model = await loadModel(files.gguf[format]!, arena);
    const backend = await createBackend({ threads: 2, arena });
    let actual: Float32Array[];
    try {
      actual = runSteps(backend, model);
    } finally {
      await backend.close();
    }
    const expected = runSteps(new ReferenceBackend(arena), model);
    const quantized = !['gguf-f32', 'gguf-f16', 'gguf-bf16'].includes(format);
    for (let k = 0; k < expected.length; k++) {
      const range = Math.max(...expected[k]) - Math.min(...expected[k]);
      const diff = maxAbsDiff(actual[k], expected[k]);
      const limit = (quantized ? TOLERANCE.quantized : TOLERANCE.float) * range;
      console.log(`${format} step ${k}: max diff ${diff.toExponential(2)} (${((100 * diff) / range).toFixed(3)}% of the logit range)`);
      assert.ok(diff <= limit, `${format} step ${k}: max diff ${diff} above ${limit}`);
    }
  });
}
