import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequence } from '../../src/engine/sequence.js';
import { makeTestModel, maxAbsDiff, naiveLogits } from './helpers.js';

const PROMPT = [3, 17, 42, 5, 9, 60, 1, 33];

for (const variant of [
  { name: 'llama neox', options: {} },
  { name: 'llama interleaved', options: { config: { ropeStyle: 'interleaved' as const } } },
  { name: 'qwen2 biases', options: { config: { architecture: 'qwen2' as const, attentionBias: true } } },
  { name: 'separate output', options: { separateOutput: true, seed: 7 } },
  { name: 'multi-query', options: { config: { numKvHeads: 1 }, seed: 3 } },
]) {
  test(`prefill logits match float64 reference (${variant.name})`, () => {
    const model = makeTestModel(variant.options);
    const expected = naiveLogits(model, PROMPT);
    const logits = new Sequence(model.decoder).prefill(Int32Array.from(PROMPT))!;
    const diff = maxAbsDiff(logits, expected[PROMPT.length - 1]);
    console.log(`# ${variant.name}: max abs diff ${diff.toExponential(2)}`);
    assert.ok(diff < 1e-4, `max abs diff ${diff}`);
  });
}

test('decode steps match float64 reference', () => {
  const model = makeTestModel({ seed: 11 });
  const expected = naiveLogits(model, PROMPT);
  const sequence = new Sequence(model.decoder);
  const first = sequence.prefill(Int32Array.of(PROMPT[0]))!;
  assert.ok(maxAbsDiff(first, expected[0]) < 1e-4);
  for (let i = 1; i < PROMPT.length; i++) {
    const logits = sequence.step(PROMPT[i])!;
    const diff = maxAbsDiff(logits, expected[i]);
    assert.ok(diff < 1e-4, `position ${i}: max abs diff ${diff}`);
  }
  assert.deepEqual(sequence.cacheLengths(), [8, 8, 8]);
});

test('chunked prefill equals one batch', () => {
  const whole = makeTestModel({ seed: 5 });
  const chunked = makeTestModel({ seed: 5 }, 3);
  const a = new Sequence(whole.decoder).prefill(Int32Array.from(PROMPT))!;
  const b = new Sequence(chunked.decoder).prefill(Int32Array.from(PROMPT))!;
  assert.ok(maxAbsDiff(a, b) < 1e-5, `max abs diff ${maxAbsDiff(a, b)}`);
});

test('cache grows past its first capacity', () => {
  const model = makeTestModel({ seed: 5 });
  const expected = naiveLogits(model, PROMPT);
  const sequence = new Sequence(model.decoder, { capacity: 2 });
  sequence.prefill(Int32Array.from(PROMPT.slice(0, 3)));
  let logits: Float32Array | null = null;
  for (const token of PROMPT.slice(3)) logits = sequence.step(token);
  assert.ok(maxAbsDiff(logits!, expected[PROMPT.length - 1]) < 1e-4);
});

test('token outside vocabulary is rejected', () => {
  const model = makeTestModel();
  assert.throws(() => new Sequence(model.decoder).prefill(Int32Array.of(1, 64)), /token id 64 is outside the vocabulary of 64/);
});

test('missing tensor names the tensor', async () => {
  const { Decoder } = await import('../../src/engine/forward.js');
  const model = makeTestModel();
  const weights = new Map(model.model.weights);
  weights.delete('blk.1.ffn_up');
  assert.throws(() => new Decoder(model.decoder.backend, { ...model.model, weights }), /blk\.1\.ffn_up/);
});

test('wrong tensor shape names both shapes', async () => {
  const { Decoder } = await import('../../src/engine/forward.js');
  const model = makeTestModel();
  const weights = new Map(model.model.weights);
  weights.set('blk.0.attn_q', { ...weights.get('blk.0.attn_q')!, rows: 16 });
  assert.throws(() => new Decoder(model.decoder.backend, { ...model.model, weights }), /\[32, 32\].*\[16, 32\]/);
});

test('new sequence ends the previous one', () => {
  const model = makeTestModel();
  const first = new Sequence(model.decoder);
  first.prefill(Int32Array.from(PROMPT));
  new Sequence(model.decoder);
  assert.throws(() => first.step(1), /reset the shared key\/value cache/);
});
