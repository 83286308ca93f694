// Compares token ids with llama.cpp (through node-llama-cpp 3.21.1) on the same GGUF files.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import { loadTokenizer, type Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { HELD_OUT_TEXTS, PARITY_TEXTS } from './fixtures/corpus.js';

const TEXTS = [...PARITY_TEXTS, ...HELD_OUT_TEXTS];
import { BPE_PRE_TOKENIZERS, makeTempDir, writeBpeGguf, writeSpmGguf, type GgufFixture } from './fixtures/fixture-files.js';

const temp = makeTempDir();
let llama: Llama;

before(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.fatal });
});

after(async () => {
  await llama.dispose();
  temp.remove();
});

function describeMismatch(text: string, expected: readonly number[], actual: readonly number[]): string {
  let first = 0;
  while (first < expected.length && expected[first] === actual[first]) first++;
  return `text ${JSON.stringify(text)}: first difference at index ${first}\n  llama.cpp: ${JSON.stringify(expected)}\n  ours:      ${JSON.stringify(actual)}`;
}

function compareWithLlamaCpp(writeFixture: () => GgufFixture): void {
  let fixture: GgufFixture;
  let model: LlamaModel;
  let ours: Tokenizer;

  before(async () => {
    fixture = writeFixture();
    model = await llama.loadModel({ modelPath: fixture.path, vocabOnly: true });
    ours = await loadTokenizer({ kind: 'gguf', metadata: fixture.metadata, path: fixture.path });
  });

  after(async () => {
    await model.dispose();
  });

  for (const parseSpecial of [false, true]) {
    test(`ids match, parseSpecial=${parseSpecial}`, () => {
      const mismatches: string[] = [];
      let tokenCount = 0;
      for (const text of TEXTS) {
        const expected = Array.from(model.tokenize(text, parseSpecial));
        const actual = ours.encode(text, { parseSpecial });
        tokenCount += actual.length;
        if (JSON.stringify(expected) !== JSON.stringify(actual)) mismatches.push(describeMismatch(text, expected, actual));
      }
      assert.ok(tokenCount > TEXTS.length, 'the texts produced almost no tokens');
      assert.deepEqual(mismatches, [], `${mismatches.length} of ${TEXTS.length} texts differ:\n${mismatches.join('\n')}`);
    });
  }

  test('special ids and BOS flag match', () => {
    assert.equal(ours.bosId, model.tokens.bos);
    assert.equal(ours.eosId, model.tokens.eos);
    assert.equal(ours.addBos, model.tokens.shouldPrependBosToken);
    const eot = model.tokens.eot;
    if (eot !== null) assert.ok(ours.eotIds.includes(eot), `llama.cpp's end-of-turn id ${eot} is missing from ${JSON.stringify(ours.eotIds)}`);
  });

  test('addSpecial puts BOS first when the model asks for it', () => {
    const plain = ours.encode('Hello world');
    const withSpecial = ours.encode('Hello world', { addSpecial: true });
    const expected = ours.addBos ? [ours.bosId as number, ...plain] : plain;
    assert.deepEqual(withSpecial, expected);
  });

  test('decode matches llama.cpp detokenize', () => {
    for (const text of TEXTS) {
      for (const addSpecial of [false, true]) {
        const ids = ours.encode(text, { parseSpecial: true, addSpecial });
        const tokens = ids as Token[];
        assert.equal(ours.decode(ids), model.detokenize(tokens, true), `text ${JSON.stringify(text)}, addSpecial=${addSpecial}`);
        assert.equal(ours.decode(ids, { skipSpecial: true }), model.detokenize(tokens, false), `text ${JSON.stringify(text)}, addSpecial=${addSpecial}, skipSpecial`);
      }
    }
  });

  test('decode inverts encode for plain texts', () => {
    for (const text of TEXTS.filter((t) => !t.includes('<'))) {
      // A lone surrogate has no UTF-8 form, so it comes back as U+FFFD.
      const wellFormed = Buffer.from(text, 'utf8').toString('utf8');
      assert.equal(ours.decode(ours.encode(text)), wellFormed);
    }
  });

  test('decode skips control tokens on request', () => {
    const ids = ours.encode('<|im_start|>user\nHi<|im_end|>', { parseSpecial: true });
    const shown = ours.decode(ids);
    const skipped = ours.decode(ids, { skipSpecial: true });
    // SentencePiece puts a space after each special token, so only the ends are compared.
    assert.ok(shown.startsWith('<|im_start|>'), shown);
    assert.ok(shown.endsWith('user\nHi<|im_end|>'), shown);
    assert.ok(!skipped.includes('<|im_'), skipped);
    assert.ok(skipped.endsWith('user\nHi'), skipped);
  });
}

for (const pre of BPE_PRE_TOKENIZERS) {
  describe(`gpt2 vocabulary, pre ${pre}`, () => compareWithLlamaCpp(() => writeBpeGguf(temp.dir, pre)));
}

describe('llama (SentencePiece) vocabulary', () => compareWithLlamaCpp(() => writeSpmGguf(temp.dir)));
