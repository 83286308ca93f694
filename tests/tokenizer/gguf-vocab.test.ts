// Hostile and incomplete GGUF tokenizer metadata: each case raises an error naming the key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readGgufVocab } from '../../src/tokenizer/gguf-vocab.js';
import { loadTokenizer } from '../../src/tokenizer/tokenizer.js';
import { InputError } from '../../src/util/errors.js';

function baseMetadata(): Map<string, unknown> {
  const tokens = ['<unk>', '<s>', '</s>', '\u2581a', 'a', '\u2581'];
  return new Map<string, unknown>([
    ['tokenizer.ggml.model', 'llama'],
    ['tokenizer.ggml.tokens', tokens],
    ['tokenizer.ggml.scores', [0, 0, 0, -1, -2, -3]],
    ['tokenizer.ggml.token_type', [2, 3, 3, 1, 1, 1]],
  ]);
}

function assertRejects(metadata: Map<string, unknown>, ...fragments: string[]): void {
  assert.throws(
    () => readGgufVocab(metadata, 'bad.gguf'),
    (error: unknown) => {
      assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
      for (const fragment of fragments) assert.ok(error.message.includes(fragment), `message ${JSON.stringify(error.message)} lacks ${JSON.stringify(fragment)}`);
      return true;
    },
  );
}

test('base metadata is accepted', () => {
  const vocab = readGgufVocab(baseMetadata(), 'ok.gguf');
  assert.equal(vocab.tokens.length, 6);
  assert.equal(vocab.bosId, 1);
  assert.equal(vocab.eosId, 2);
  assert.equal(vocab.addBos, true);
});

test('missing model key is rejected', () => {
  const metadata = baseMetadata();
  metadata.delete('tokenizer.ggml.model');
  assertRejects(metadata, 'bad.gguf', 'tokenizer.ggml.model');
});

test('unsupported model is rejected', () => {
  assertRejects(new Map([...baseMetadata(), ['tokenizer.ggml.model', 'bert']]), '"bert"');
});

test('tokens of the wrong type are rejected', () => {
  assertRejects(new Map([...baseMetadata(), ['tokenizer.ggml.tokens', [1, 2, 3]]]), 'tokenizer.ggml.tokens');
});

test('duplicate tokens are rejected', () => {
  assertRejects(new Map([...baseMetadata(), ['tokenizer.ggml.tokens', ['<unk>', '<s>', '</s>', 'a', 'a', 'b']]]), 'unique', '"a"');
});

test('short score array is rejected', () => {
  assertRejects(new Map([...baseMetadata(), ['tokenizer.ggml.scores', [0, 0]]]), 'tokenizer.ggml.scores', '2');
});

test('short token type array is rejected', () => {
  assertRejects(new Map([...baseMetadata(), ['tokenizer.ggml.token_type', [1]]]), 'tokenizer.ggml.token_type');
});

test('gpt2 model without merges is rejected', () => {
  assertRejects(new Map([...baseMetadata(), ['tokenizer.ggml.model', 'gpt2'], ['tokenizer.ggml.pre', 'gpt-2']]), 'tokenizer.ggml.merges');
});

test('add_bos without a valid bos id is rejected', () => {
  const metadata = new Map([...baseMetadata(), ['tokenizer.ggml.model', 'gpt2'], ['tokenizer.ggml.pre', 'gpt-2'], ['tokenizer.ggml.merges', []], ['tokenizer.ggml.add_bos_token', true]]);
  assertRejects(metadata, 'bos_token_id');
});

test('out-of-range bos id falls back to the default', () => {
  const vocab = readGgufVocab(new Map([...baseMetadata(), ['tokenizer.ggml.bos_token_id', 99]]), 'ok.gguf');
  assert.equal(vocab.bosId, 1);
});

test('negative token id is rejected', () => {
  assertRejects(new Map([...baseMetadata(), ['tokenizer.ggml.eos_token_id', -5]]), 'tokenizer.ggml.eos_token_id', '-5');
});

test('typed reader entries are accepted', () => {
  // The form of src/model/gguf-reader.ts: { type, value }, arrays as { itemType, items }.
  const typed = new Map<string, unknown>();
  for (const [key, value] of baseMetadata()) {
    typed.set(key, Array.isArray(value) ? { type: 9, value: { itemType: 8, items: value } } : { type: 8, value });
  }
  assert.equal(readGgufVocab(typed, 'typed.gguf').tokens[3], '\u2581a');
});

test('end-of-turn ids are found by text', async () => {
  const metadata = baseMetadata();
  metadata.set('tokenizer.ggml.tokens', ['<unk>', '<s>', '</s>', '\u2581a', '<|im_end|>', '<|eot_id|>']);
  const tokenizer = await loadTokenizer({ kind: 'gguf', metadata });
  assert.deepEqual(tokenizer.eotIds, [4, 5]);
  assert.deepEqual(tokenizer.stopIds, [2, 4, 5]);
});

test('unknown character without byte token gives unk', async () => {
  const metadata = baseMetadata();
  metadata.set('tokenizer.ggml.token_type', [1, 3, 3, 1, 1, 1]);
  metadata.set('tokenizer.ggml.unknown_token_id', 99);
  // <unk> stays the default unknown id 0, so an unknown character encodes to it.
  const tokenizer = await loadTokenizer({ kind: 'gguf', metadata });
  assert.deepEqual(tokenizer.encode('a z'), [3, 5, 0]);
});

test('out-of-range id in decode is rejected', async () => {
  const tokenizer = await loadTokenizer({ kind: 'gguf', metadata: baseMetadata() });
  assert.throws(() => tokenizer.decode([3, 6]), (error: unknown) => error instanceof InputError && error.message.includes('token id 6'));
});
