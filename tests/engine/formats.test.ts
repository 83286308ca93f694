// The same generated weights as a Hugging Face folder and as a GGUF file must give the same
// logits and hidden states: the GGUF form of llama permutes Q and K rows for interleaved rotary
// pairs, which must cancel out.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder } from '../../src/engine/forward.js';
import { Sequence } from '../../src/engine/sequence.js';
import { Arena } from '../../src/kernels/arena.js';
import { ReferenceBackend } from '../../src/kernels/reference/backend.js';
import { loadModel } from '../../src/model/load.js';
import { capture } from '../../src/nir/capture.js';
import { generateTestModel } from '../../tools/testmodel/generate.js';
import { maxAbsDiff } from './helpers.js';

const PROMPT = [1, 40, 95, 7, 300, 12, 250, 33];

let folder: string;
before(() => {
  folder = mkdtempSync(join(tmpdir(), 'nir-formats-'));
});
after(() => rmSync(folder, { recursive: true, force: true }));

async function openDecoder(path: string): Promise<Decoder> {
  const arena = new Arena();
  return new Decoder(new ReferenceBackend(arena), await loadModel(path, arena));
}

for (const arch of ['llama', 'qwen2'] as const) {
  test(`${arch} HF folder equals GGUF F32`, async () => {
    const files = generateTestModel({ preset: 'tiny', arch, seed: 5, out: join(folder, arch), formats: ['hf', 'gguf-f32'] });
    const hf = await openDecoder(files.hf!);
    const gguf = await openDecoder(files.gguf['gguf-f32']!);
    assert.equal(hf.rope.style, 'neox');
    assert.equal(gguf.rope.style, arch === 'llama' ? 'interleaved' : 'neox');

    const hfLogits = new Sequence(hf).prefill(Int32Array.from(PROMPT))!;
    const ggufLogits = new Sequence(gguf).prefill(Int32Array.from(PROMPT))!;
    const logitDiff = maxAbsDiff(hfLogits, ggufLogits);
    console.log(`# ${arch}: max logit diff ${logitDiff.toExponential(2)}`);
    assert.ok(logitDiff <= 1e-5, `max logit diff ${logitDiff}`);

    const hiddenDiff = maxAbsDiff(capture(hf, PROMPT, 1).rows, capture(gguf, PROMPT, 1).rows);
    assert.ok(hiddenDiff <= 1e-5, `max H_1 diff ${hiddenDiff}`);
  });
}

test('llama3 scaling: HF formula equals GGUF rope_freqs', async () => {
  const files = generateTestModel({
    preset: 'llama-3.2-1b', hidden: 128, layers: 2, heads: 4, kvHeads: 2, intermediate: 256, vocab: 384,
    seed: 5, out: join(folder, 'llama3'), formats: ['hf', 'gguf-f32'],
  });
  const hf = await openDecoder(files.hf!);
  const gguf = await openDecoder(files.gguf['gguf-f32']!);
  assert.ok(gguf.weights.ropeFreqs !== undefined, 'the GGUF file carries rope_freqs');
  assert.equal(hf.weights.ropeFreqs, undefined);

  // Scaled frequencies differ from plain ones only at positions in the hundreds.
  const prompt = Array.from({ length: 600 }, (_, i) => (i * 37 + 11) % 384);
  const diff = maxAbsDiff(new Sequence(hf).prefill(Int32Array.from(prompt))!, new Sequence(gguf).prefill(Int32Array.from(prompt))!);
  console.log(`# llama3 at position 600: max logit diff ${diff.toExponential(2)}`);
  assert.ok(diff <= 1e-4, `max logit diff ${diff}`);
});
