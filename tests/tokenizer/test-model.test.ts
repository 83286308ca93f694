// Tokenizers of the generator's tiny test models: the GGUF path against llama.cpp, and the
// Hugging Face folder against the GGUF file of the same model.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';
import { readGgufHeader } from '../../src/model/gguf-reader.js';
import { loadTokenizer, type Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { generateTestModel } from '../../tools/testmodel/generate.js';
import { HELD_OUT_TEXTS, PARITY_TEXTS } from './fixtures/corpus.js';
import { makeTempDir } from './fixtures/fixture-files.js';

const TEXTS = [...PARITY_TEXTS, ...HELD_OUT_TEXTS];
const temp = makeTempDir();
let llama: Llama;

before(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.fatal });
});

after(async () => {
  await llama.dispose();
  temp.remove();
});

async function assertSameIdsAsLlamaCpp(ggufPath: string, ours: Tokenizer): Promise<void> {
  const model = await llama.loadModel({ modelPath: ggufPath, vocabOnly: true });
  try {
    for (const parseSpecial of [false, true]) {
      for (const text of TEXTS) {
        assert.deepEqual(ours.encode(text, { parseSpecial }), Array.from(model.tokenize(text, parseSpecial)), `text ${JSON.stringify(text)}, parseSpecial=${parseSpecial}`);
      }
    }
    assert.equal(ours.bosId, model.tokens.bos);
    assert.equal(ours.eosId, model.tokens.eos);
    assert.equal(ours.addBos, model.tokens.shouldPrependBosToken);
  } finally {
    await model.dispose();
  }
}

describe('tiny test model, byte-level BPE', () => {
  let ggufPath: string;
  let hfDir: string;
  let gguf: Tokenizer;
  let hf: Tokenizer;

  before(async () => {
    const files = generateTestModel({ preset: 'tiny', seed: 1, out: join(temp.dir, 'bpe'), formats: ['hf', 'gguf-f32'] });
    ggufPath = files.gguf['gguf-f32'] as string;
    hfDir = files.hf as string;
    gguf = await loadTokenizer({ kind: 'gguf', metadata: readGgufHeader(ggufPath).metadata, path: ggufPath });
    const optional = (name: string) => (existsSync(join(hfDir, name)) ? join(hfDir, name) : undefined);
    hf = await loadTokenizer({
      kind: 'hf',
      tokenizerJson: join(hfDir, 'tokenizer.json'),
      tokenizerConfig: optional('tokenizer_config.json'),
      generationConfig: optional('generation_config.json'),
    });
  });

  test('GGUF ids match llama.cpp', async () => {
    await assertSameIdsAsLlamaCpp(ggufPath, gguf);
  });

  test('folder ids match the GGUF ids', () => {
    for (const parseSpecial of [false, true]) {
      for (const addSpecial of [false, true]) {
        for (const text of TEXTS) {
          assert.deepEqual(hf.encode(text, { parseSpecial, addSpecial }), gguf.encode(text, { parseSpecial, addSpecial }), `text ${JSON.stringify(text)}`);
        }
      }
    }
  });

  test('folder and GGUF agree on special ids', () => {
    assert.equal(hf.vocabSize, gguf.vocabSize);
    assert.equal(hf.bosId, gguf.bosId);
    assert.equal(hf.eosId, gguf.eosId);
    assert.equal(hf.addBos, gguf.addBos);
    assert.deepEqual(hf.stopIds, gguf.stopIds);
  });

  test('folder and GGUF render the same chat prompt', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Add 2 and 3.' },
    ];
    const fromHf = hf.applyChatTemplate(messages, { addGenerationPrompt: true });
    assert.equal(fromHf, gguf.applyChatTemplate(messages, { addGenerationPrompt: true }));
    assert.ok(fromHf.endsWith('<|im_start|>assistant\n'), `prompt ends with ${JSON.stringify(fromHf.slice(-40))}`);
  });
});

describe('tiny test model, SentencePiece', () => {
  test('GGUF ids match llama.cpp', async () => {
    const files = generateTestModel({ preset: 'tiny', seed: 2, out: join(temp.dir, 'spm'), formats: ['gguf-f32'], tokenizer: 'spm' });
    const path = files.gguf['gguf-f32'] as string;
    const tokenizer = await loadTokenizer({ kind: 'gguf', metadata: readGgufHeader(path).metadata, path });
    await assertSameIdsAsLlamaCpp(path, tokenizer);
  });
});
