import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from '../../src/engine/generate.js';
import { createInjection } from '../../src/nir/injection.js';
import { greedy, makeTestModel, naiveLogits } from './helpers.js';

const PROMPT = [5, 10, 15];

test('greedy tokens follow the float64 reference', () => {
  const model = makeTestModel({ seed: 51 });
  const result = generate(model.decoder, { promptTokens: PROMPT, sampler: greedy, maxTokens: 5 });
  const expected: number[] = [];
  for (let i = 0; i < 5; i++) {
    const logits = naiveLogits(model, [...PROMPT, ...expected]).at(-1)!;
    expected.push(logits.indexOf(Math.max(...logits)));
  }
  assert.deepEqual(result.tokens, expected);
  assert.equal(result.stopReason, 'max-tokens');
});

test('context length error names every number', () => {
  const model = makeTestModel({ config: { maxPositions: 20 } });
  const crv = { rows: new Float32Array(4 * 32), rowCount: 4, width: 32 };
  const injection = createInjection(model.model.config, crv, { layer: 1 });
  assert.throws(
    () => generate(model.decoder, { promptTokens: PROMPT, injections: [injection], sampler: greedy, maxTokens: 14 }),
    (error: Error) => error.name === 'InputError' && /3 tokens \+ 4 injected rows \+ 14 new tokens = 21 positions.*20/.test(error.message),
  );
});

test('stop strings cut the text', () => {
  const model = makeTestModel({ seed: 52 });
  const free = generate(model.decoder, { promptTokens: PROMPT, sampler: greedy, maxTokens: 6 });
  const decode = (ids: number[]) => ids.map((id) => `<${id}>`).join('');
  const stop = `<${free.tokens[2]}>`;
  const cutAt = free.tokens.indexOf(free.tokens[2]);
  const result = generate(model.decoder, { promptTokens: PROMPT, sampler: greedy, maxTokens: 6, stopStrings: [stop], decode });
  assert.equal(result.stopReason, 'stop-string');
  assert.deepEqual(result.tokens, free.tokens.slice(0, cutAt + 1));
  assert.equal(result.text, decode(free.tokens.slice(0, cutAt)));
});

test('stop strings need a decode function', () => {
  const model = makeTestModel();
  assert.throws(() => generate(model.decoder, { promptTokens: PROMPT, sampler: greedy, maxTokens: 2, stopStrings: ['x'] }), /without a decode function/);
});

test('onToken streams each token and logits count steps', () => {
  const model = makeTestModel({ seed: 53 });
  const streamed: number[] = [];
  const result = generate(model.decoder, {
    promptTokens: PROMPT,
    sampler: greedy,
    maxTokens: 4,
    returnLogits: true,
    onToken: (t) => streamed.push(t),
  });
  assert.deepEqual(streamed, result.tokens);
  assert.equal(result.logits!.length, 4);
  assert.equal(result.logits![0].length, 64);
});

test('empty prompt is rejected', () => {
  const model = makeTestModel();
  assert.throws(() => generate(model.decoder, { promptTokens: [], sampler: greedy, maxTokens: 2 }), /prompt is empty/);
});
