// The invariants of NIR capture and integration, each its own test, on tiny random models.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generate, type GenerateRequest } from '../../src/engine/generate.js';
import { Sequence } from '../../src/engine/sequence.js';
import { capture } from '../../src/nir/capture.js';
import { createInjection, type Crv } from '../../src/nir/injection.js';
import { greedy, makeTestModel, maxAbsDiff, type TestModel } from '../engine/helpers.js';

const CONTEXT = [12, 7, 30, 2, 55, 19];
const PROMPT = [4, 41, 23, 8];
const STEPS = 6;

function run(model: TestModel, request: Partial<GenerateRequest> & { promptTokens: number[] }) {
  return generate(model.decoder, { sampler: greedy, maxTokens: STEPS, returnLogits: true, ...request });
}

/** Collects H_layer rows of every forward call into one [rows, d] list per layer. */
function layerTap(layers: number[], d: number) {
  const rows = new Map<number, Float32Array[]>(layers.map((l) => [l, []]));
  return {
    rows,
    observer: {
      wantsLayerInput: (l: number) => rows.has(l),
      onLayerInput: (l: number, hidden: Float32Array, _first: number, count: number) => {
        for (let i = 0; i < count; i++) rows.get(l)!.push(hidden.slice(i * d, (i + 1) * d));
      },
    },
  };
}

function assertLogitsClose(a: Float32Array[], b: Float32Array[], tolerance: number): void {
  assert.equal(a.length, b.length, 'number of steps');
  a.forEach((logits, step) => {
    const diff = maxAbsDiff(logits, b[step]);
    assert.ok(diff <= tolerance, `step ${step}: max abs diff ${diff}`);
  });
}

test('invariant 1: empty CRV changes nothing', () => {
  const model = makeTestModel({ seed: 21 });
  const plain = run(model, { promptTokens: PROMPT });
  const empty: Crv = { rows: new Float32Array(0), rowCount: 0, width: 32 };
  for (const placement of ['prepend', 'append', 'add'] as const) {
    for (const layer of [0, 1, 3]) {
      const injection = createInjection(model.model.config, empty, { layer, placement });
      const result = run(model, { promptTokens: PROMPT, injections: [injection] });
      assert.deepEqual(result.tokens, plain.tokens, `${placement} at ${layer}: tokens`);
      assert.deepEqual(result.logits, plain.logits, `${placement} at ${layer}: logits`);
    }
  }
});

test('invariant 2: H_0 prepended at 0 equals c + p', () => {
  const model = makeTestModel({ seed: 22 });
  const plain = run(model, { promptTokens: [...CONTEXT, ...PROMPT] });
  const crv = capture(model.decoder, CONTEXT, 0);
  const injection = createInjection(model.model.config, crv, { layer: 0, placement: 'prepend' });
  const integrated = run(model, { promptTokens: PROMPT, injections: [injection], positions: 'consistent' });
  assert.deepEqual(integrated.tokens, plain.tokens);
  assertLogitsClose(integrated.logits!, plain.logits!, 1e-5);
});

test('invariant 3: original positions break from step 2', () => {
  const model = makeTestModel({ seed: 23 });
  const plain = run(model, { promptTokens: [...CONTEXT, ...PROMPT] });
  const crv = capture(model.decoder, CONTEXT, 0);
  const injection = createInjection(model.model.config, crv, { layer: 0 });
  // Follow the plain run's tokens so that only positions differ between the two runs.
  const script = [...plain.tokens];
  const sampler = { sample: () => script.shift()! };
  const original = run(model, { promptTokens: PROMPT, injections: [injection], positions: 'original', sampler });
  const first = maxAbsDiff(original.logits![0], plain.logits![0]);
  const second = maxAbsDiff(original.logits![1], plain.logits![1]);
  assert.ok(first <= 1e-5, `first token: max abs diff ${first}`);
  assert.ok(second > 1e-3, `second token should differ, max abs diff ${second}`);
});

for (const k of [1, 2]) {
  test(`invariant 4: injected rows see only R (k = ${k})`, () => {
    const model = makeTestModel({ seed: 24 });
    const config = model.model.config;
    const L = config.numLayers;
    const d = config.hiddenSize;
    const crv = capture(model.decoder, CONTEXT, k);
    const upper = Array.from({ length: L - k }, (_, i) => k + 1 + i);
    const tap = layerTap(upper, d);
    const injection = createInjection(config, crv, { layer: k });
    generate(model.decoder, { promptTokens: PROMPT, injections: [injection], sampler: greedy, maxTokens: 1, observer: tap.observer });
    for (const j of upper) {
      const own = capture(model.decoder, CONTEXT, j);
      const seen = tap.rows.get(j)!.slice(0, CONTEXT.length);
      seen.forEach((row, i) => {
        const diff = maxAbsDiff(row, own.rows.subarray(i * d, (i + 1) * d));
        assert.ok(diff <= 1e-5, `layer ${j}, row ${i}: max abs diff ${diff}`);
      });
    }
  });
}

test('invariant 5: width mismatch names both widths', () => {
  const model = makeTestModel();
  const crv: Crv = { rows: new Float32Array(3 * 16), rowCount: 3, width: 16 };
  assert.throws(
    () => createInjection(model.model.config, crv, { layer: 1 }),
    (error: Error) => error.name === 'InputError' && /\b16\b/.test(error.message) && /\b32\b/.test(error.message),
  );
});

test('append of H_0(q) at 0 equals p + q', () => {
  const model = makeTestModel({ seed: 25 });
  const plain = run(model, { promptTokens: [...PROMPT, ...CONTEXT] });
  const crv = capture(model.decoder, CONTEXT, 0);
  const injection = createInjection(model.model.config, crv, { layer: 0, placement: 'append' });
  const integrated = run(model, { promptTokens: PROMPT, injections: [injection] });
  assert.deepEqual(integrated.tokens, plain.tokens);
  assertLogitsClose(integrated.logits!, plain.logits!, 1e-5);
});

test('add shifts every row of H_k by alpha * mean', () => {
  const model = makeTestModel({ seed: 26 });
  const d = model.model.config.hiddenSize;
  const k = 2;
  const alpha = 0.5;
  const crv = capture(model.decoder, CONTEXT, 1);
  const mean = new Float64Array(d);
  for (let r = 0; r < crv.rowCount; r++) for (let j = 0; j < d; j++) mean[j] += crv.rows[r * d + j] / crv.rowCount;

  const plainTap = layerTap([k], d);
  const plain = run(model, { promptTokens: PROMPT, observer: plainTap.observer });
  const script = [...plain.tokens];
  const addTap = layerTap([k], d);
  const injection = createInjection(model.model.config, crv, { layer: k, placement: 'add', alpha });
  const added = run(model, {
    promptTokens: PROMPT,
    injections: [injection],
    observer: addTap.observer,
    sampler: { sample: () => script.shift()! },
  });
  const plainRows = plainTap.rows.get(k)!;
  const addRows = addTap.rows.get(k)!;
  assert.equal(addRows.length, PROMPT.length + STEPS - 1, 'prompt rows and fed tokens');
  addRows.forEach((row, i) => {
    const expected = plainRows[i].map((v, j) => v + alpha * mean[j]);
    assert.ok(maxAbsDiff(row, expected) <= 1e-5, `row ${i}: max abs diff ${maxAbsDiff(row, expected)}`);
  });
  assert.ok(maxAbsDiff(added.logits![0], plain.logits![0]) > 1e-4, 'add at layer 2 must change the logits');
});

test('prepend at k = L changes no logits', () => {
  const model = makeTestModel({ seed: 27 });
  const L = model.model.config.numLayers;
  const plain = run(model, { promptTokens: PROMPT });
  const crv = capture(model.decoder, CONTEXT, L);
  const injection = createInjection(model.model.config, crv, { layer: L, placement: 'prepend' });
  const integrated = run(model, { promptTokens: PROMPT, injections: [injection] });
  assert.deepEqual(integrated.tokens, plain.tokens);
  assertLogitsClose(integrated.logits!, plain.logits!, 0);
});

test('append at k = L feeds the head R last row', () => {
  const model = makeTestModel({ seed: 28 });
  const L = model.model.config.numLayers;
  const d = model.model.config.hiddenSize;
  const crv = capture(model.decoder, CONTEXT, L);
  const injection = createInjection(model.model.config, crv, { layer: L, placement: 'append' });
  const integrated = run(model, { promptTokens: PROMPT, injections: [injection], maxTokens: 1 });
  // The plain run on the context ends with the same last row, so its first logits match.
  const contextRun = run(model, { promptTokens: CONTEXT, maxTokens: 1 });
  assert.equal(crv.rows.length, CONTEXT.length * d);
  assertLogitsClose(integrated.logits!, contextRun.logits!, 1e-6);
});

test('several injections: each lengthens its layers', () => {
  const model = makeTestModel({ seed: 29, config: { numLayers: 4 } });
  const config = model.model.config;
  const d = config.hiddenSize;
  const second = [50, 51, 52];
  const crvA = capture(model.decoder, CONTEXT, 1);
  const crvB = capture(model.decoder, second, 3);
  const injections = [
    createInjection(config, crvB, { layer: 3 }),
    createInjection(config, crvA, { layer: 1 }),
  ];
  const tap = layerTap([4], d);
  const sequence = new Sequence(model.decoder, { injections, observer: tap.observer });
  sequence.prefill(Int32Array.from(PROMPT));
  const m = PROMPT.length;
  const rA = CONTEXT.length;
  const rB = second.length;
  assert.deepEqual(sequence.cacheLengths(), [m, m + rA, m + rA, m + rA + rB]);
  sequence.step(9);
  sequence.step(10);
  assert.deepEqual(sequence.cacheLengths(), [m + 2, m + rA + 2, m + rA + 2, m + rA + rB + 2]);

  // B is prepended last, so it is first at layer 3 and its rows at layer 4 are B's own H_4.
  const own = capture(model.decoder, second, 4);
  tap.rows.get(4)!.slice(0, rB).forEach((row, i) => {
    const diff = maxAbsDiff(row, own.rows.subarray(i * d, (i + 1) * d));
    assert.ok(diff <= 1e-5, `row ${i}: max abs diff ${diff}`);
  });
});

test('injections apply in layer order whatever the list order', () => {
  const model = makeTestModel({ seed: 30 });
  const config = model.model.config;
  const a = createInjection(config, capture(model.decoder, CONTEXT, 0), { layer: 0 });
  const b = createInjection(config, capture(model.decoder, [5, 6], 2), { layer: 2, placement: 'append' });
  const sorted = run(model, { promptTokens: PROMPT, injections: [a, b] });
  const reversed = run(model, { promptTokens: PROMPT, injections: [b, a] });
  assert.deepEqual(reversed.logits, sorted.logits);
});

test('consistent positions follow each cache length', () => {
  const model = makeTestModel({ seed: 31 });
  const config = model.model.config;
  const crv = capture(model.decoder, CONTEXT, 0);
  const injection = createInjection(config, crv, { layer: 0 });
  // Equivalent plain run: invariant 2 at the level of the decode steps after a long generation.
  const plain = run(model, { promptTokens: [...CONTEXT, ...PROMPT], maxTokens: 12 });
  const integrated = run(model, { promptTokens: PROMPT, injections: [injection], maxTokens: 12 });
  assertLogitsClose(integrated.logits!, plain.logits!, 1e-5);
});

test('injection layer outside 0..L is rejected', () => {
  const model = makeTestModel();
  const crv = capture(model.decoder, CONTEXT, 0);
  assert.throws(() => createInjection(model.model.config, crv, { layer: 4 }), /invalid injection layer 4.*0\.\.3/);
  assert.throws(() => createInjection(model.model.config, crv, { layer: -1 }), /invalid injection layer -1/);
});

test('non-finite CRV value is rejected', () => {
  const model = makeTestModel();
  const crv = capture(model.decoder, CONTEXT, 0);
  crv.rows[40] = Number.NaN;
  assert.throws(() => createInjection(model.model.config, crv, { layer: 0 }), /NaN at row 1, column 8/);
});

test('alpha with prepend is rejected', () => {
  const model = makeTestModel();
  const crv = capture(model.decoder, CONTEXT, 0);
  assert.throws(() => createInjection(model.model.config, crv, { layer: 0, alpha: 2 }), /alpha 2 applies only to placement add/);
});
