// tokenizer.json through @huggingface/tokenizers against the GGUF path of the same vocabulary,
// for each pre-tokenizer that has a Hugging Face counterpart.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadTokenizer } from '../../src/tokenizer/tokenizer.js';
import { HELD_OUT_TEXTS, PARITY_TEXTS } from './fixtures/corpus.js';
import { makeTempDir, sharedBpeFixture, writeBpeGguf, writeBpeHfFiles, writeSpmGguf, writeSpmHfFiles } from './fixtures/fixture-files.js';

const TEXTS = [...PARITY_TEXTS, ...HELD_OUT_TEXTS];
const temp = makeTempDir();
after(() => temp.remove());

for (const pre of ['gpt-2', 'llama-bpe', 'qwen2', 'smollm']) {
  describe(`tokenizer.json, pre ${pre}`, () => {
    const fixture = sharedBpeFixture();
    const gguf = writeBpeGguf(temp.dir, pre);
    const hfFiles = writeBpeHfFiles(temp.dir, pre, {
      bos_token: fixture.tokens[fixture.bosId],
      eos_token: { content: fixture.tokens[fixture.eosId] },
    });
    const generationConfig = join(temp.dir, `${pre}-generation_config.json`);
    writeFileSync(generationConfig, JSON.stringify({ eos_token_id: [fixture.eosId, fixture.tokens.indexOf('<|im_end|>')] }));

    for (const parseSpecial of [false, true]) {
      test(`ids match the GGUF path, parseSpecial=${parseSpecial}`, async () => {
        const fromGguf = await loadTokenizer({ kind: 'gguf', metadata: gguf.metadata, path: gguf.path });
        const fromHf = await loadTokenizer({ kind: 'hf', ...hfFiles, generationConfig });
        for (const text of TEXTS) {
          for (const addSpecial of [false, true]) {
            assert.deepEqual(fromHf.encode(text, { parseSpecial, addSpecial }), fromGguf.encode(text, { parseSpecial, addSpecial }), `text ${JSON.stringify(text)}, addSpecial=${addSpecial}`);
          }
        }
      });
    }

    test('special ids match the GGUF path', async () => {
      const fromGguf = await loadTokenizer({ kind: 'gguf', metadata: gguf.metadata, path: gguf.path });
      const fromHf = await loadTokenizer({ kind: 'hf', ...hfFiles, generationConfig });
      assert.equal(fromHf.bosId, fromGguf.bosId);
      assert.equal(fromHf.eosId, fromGguf.eosId);
      assert.equal(fromHf.addBos, fromGguf.addBos);
      assert.equal(fromHf.vocabSize, fromGguf.vocabSize);
      assert.deepEqual(fromHf.stopIds, fromGguf.stopIds);
    });

    test('decodeToken matches the GGUF path', async () => {
      const fromGguf = await loadTokenizer({ kind: 'gguf', metadata: gguf.metadata, path: gguf.path });
      const fromHf = await loadTokenizer({ kind: 'hf', ...hfFiles, generationConfig });
      for (let id = 0; id < fromGguf.vocabSize; id++) {
        assert.equal(fromHf.decodeToken(id), fromGguf.decodeToken(id), `id ${id}`);
      }
    });

    test('decode matches the GGUF path', async () => {
      const fromGguf = await loadTokenizer({ kind: 'gguf', metadata: gguf.metadata, path: gguf.path });
      const fromHf = await loadTokenizer({ kind: 'hf', ...hfFiles, generationConfig });
      for (const text of TEXTS) {
        const ids = fromGguf.encode(text, { parseSpecial: true });
        assert.equal(fromHf.decode(ids), fromGguf.decode(ids), `text ${JSON.stringify(text)}`);
        assert.equal(fromHf.decode(ids, { skipSpecial: true }), fromGguf.decode(ids, { skipSpecial: true }), `text ${JSON.stringify(text)}`);
      }
    });
  });
}

describe('tokenizer.json, SentencePiece', () => {
  const gguf = writeSpmGguf(temp.dir);
  const hfFiles = writeSpmHfFiles(temp.dir);

  test('ids match the GGUF path', async () => {
    const fromGguf = await loadTokenizer({ kind: 'gguf', metadata: gguf.metadata, path: gguf.path });
    const fromHf = await loadTokenizer({ kind: 'hf', ...hfFiles });
    for (const text of TEXTS) {
      for (const parseSpecial of [false, true]) {
        for (const addSpecial of [false, true]) {
          assert.deepEqual(fromHf.encode(text, { parseSpecial, addSpecial }), fromGguf.encode(text, { parseSpecial, addSpecial }), `text ${JSON.stringify(text)}, parseSpecial=${parseSpecial}, addSpecial=${addSpecial}`);
        }
      }
    }
  });

  test('decodeToken matches the GGUF path', async () => {
    const fromGguf = await loadTokenizer({ kind: 'gguf', metadata: gguf.metadata, path: gguf.path });
    const fromHf = await loadTokenizer({ kind: 'hf', ...hfFiles });
    for (let id = 0; id < fromGguf.vocabSize; id++) {
      assert.equal(fromHf.decodeToken(id), fromGguf.decodeToken(id), `id ${id}`);
    }
  });

  test('decode matches without leading special tokens', async () => {
    // A leading BOS or control token keeps the prefix space in llama.cpp but not in
    // Hugging Face's decoder, so those sequences are left out.
    const fromGguf = await loadTokenizer({ kind: 'gguf', metadata: gguf.metadata, path: gguf.path });
    const fromHf = await loadTokenizer({ kind: 'hf', ...hfFiles });
    for (const text of TEXTS.filter((t) => !t.startsWith('<'))) {
      const ids = fromGguf.encode(text, { parseSpecial: true });
      assert.equal(fromHf.decode(ids, { skipSpecial: true }), fromGguf.decode(ids, { skipSpecial: true }), `text ${JSON.stringify(text)}`);
    }
  });
});
