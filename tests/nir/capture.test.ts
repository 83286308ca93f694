import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from '../../src/engine/generate.js';
import { Sequence } from '../../src/engine/sequence.js';
import { capture, parseSpan } from '../../src/nir/capture.js';
import { greedy, makeTestModel, maxAbsDiff } from '../engine/helpers.js';

const TOKENS = [12, 7, 30, 2, 55, 19, 44];

test('capture equals the tap of a full prefill', () => {
  const model = makeTestModel({ seed: 41 });
  const d = model.model.config.hiddenSize;
  for (const layer of [0, 1, 3]) {
    let seen: Float32Array | null = null;
    const sequence = new Sequence(model.decoder, {
      observer: { wantsLayerInput: (l) => l === layer, onLayerInput: (_l, hidden) => (seen = hidden.slice()) },
    });
    sequence.prefill(Int32Array.from(TOKENS));
    const crv = capture(model.decoder, TOKENS, layer);
    assert.equal(crv.rowCount, TOKENS.length);
    assert.equal(crv.width, d);
    assert.deepEqual(crv.rows, seen);
  }
});

test('H_0 is the token embeddings', () => {
  const model = makeTestModel({ seed: 42 });
  const d = model.model.config.hiddenSize;
  const table = model.model.weights.get('token_embd')!;
  const embeddings = model.arena.f32(table.shard, table.offset, table.rows * table.cols);
  const crv = capture(model.decoder, TOKENS, 0);
  TOKENS.forEach((id, i) => assert.deepEqual(crv.rows.subarray(i * d, (i + 1) * d), embeddings.subarray(id * d, (id + 1) * d)));
});

test('span selects rows', () => {
  const model = makeTestModel({ seed: 43 });
  const d = model.model.config.hiddenSize;
  const all = capture(model.decoder, TOKENS, 2);
  const part = capture(model.decoder, TOKENS, 2, { start: 2, end: 5 });
  assert.equal(part.rowCount, 3);
  assert.deepEqual(part.rows, all.rows.slice(2 * d, 5 * d));
});

test('span parsing and bad spans', () => {
  assert.deepEqual(parseSpan('2:5', 7), { start: 2, end: 5 });
  assert.deepEqual(parseSpan(':3', 7), { start: 0, end: 3 });
  assert.deepEqual(parseSpan('-2:', 7), { start: 5, end: 7 });
  assert.throws(() => parseSpan('2-5', 7), /invalid span '2-5'/);
  const model = makeTestModel();
  assert.throws(() => capture(model.decoder, TOKENS, 1, { start: 5, end: 9 }), /invalid span 5:9 for 7 tokens/);
  assert.throws(() => capture(model.decoder, TOKENS, 4), /invalid capture layer 4.*0\.\.3/);
  assert.throws(() => capture(model.decoder, [], 1), /empty token sequence/);
});

for (const layer of [0, 2, 3]) {
  test(`recording equals later capture (layer ${layer})`, () => {
    const model = makeTestModel({ seed: 44 });
    const d = model.model.config.hiddenSize;
    const prompt = [3, 9, 27];
    const result = generate(model.decoder, { promptTokens: prompt, sampler: greedy, maxTokens: 6, record: { layer } });
    assert.equal(result.stopReason, 'max-tokens');
    assert.equal(result.recorded!.length, result.tokens.length * d);
    const later = capture(model.decoder, [...prompt, ...result.tokens], layer, { start: prompt.length, end: prompt.length + 6 });
    const diff = maxAbsDiff(result.recorded!, later.rows);
    assert.ok(diff <= 1e-5, `max abs diff ${diff}`);
  });
}

test('recording stops with a stop token', () => {
  const model = makeTestModel({ seed: 45 });
  const d = model.model.config.hiddenSize;
  const prompt = [3, 9, 27];
  const free = generate(model.decoder, { promptTokens: prompt, sampler: greedy, maxTokens: 6 });
  const stop = free.tokens[3];
  const result = generate(model.decoder, { promptTokens: prompt, sampler: greedy, maxTokens: 6, stopTokenIds: [stop], record: { layer: 1 } });
  assert.equal(result.stopReason, 'stop-token');
  assert.deepEqual(result.tokens, free.tokens.slice(0, free.tokens.indexOf(stop)));
  const later = capture(model.decoder, [...prompt, ...result.tokens], 1, { start: prompt.length, end: prompt.length + result.tokens.length });
  assert.equal(result.recorded!.length, result.tokens.length * d);
  assert.ok(maxAbsDiff(result.recorded!, later.rows) <= 1e-5);
});
