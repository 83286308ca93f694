// Word splits of the JavaScript pre-tokenizer regexes on hand-checked cases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePatterns, preTokenizerFor, splitWords, supportedPreTokenizers } from '../../src/tokenizer/pretokenize.js';
import { InputError } from '../../src/util/errors.js';

function split(pre: string, text: string): string[] {
  return splitWords(text, compilePatterns(preTokenizerFor(pre, 'test')));
}

test('llama3 keeps trailing space apart', () => {
  assert.deepEqual(split('llama-bpe', 'Hello  world'), ['Hello', ' ', ' world']);
});

test('llama3 groups digits by three', () => {
  assert.deepEqual(split('llama-bpe', 'x 1234567'), ['x', ' ', '123', '456', '7']);
});

test('llama3 contractions ignore case', () => {
  assert.deepEqual(split('llama-bpe', "IT'S we'RE"), ['IT', "'S", ' we', "'RE"]);
});

test('llama3 newline runs swallow leading spaces', () => {
  assert.deepEqual(split('llama-bpe', 'a  \n\n  b'), ['a', '  \n\n', ' ', ' b']);
});

test('llama3 punctuation takes trailing newlines', () => {
  assert.deepEqual(split('llama-bpe', 'f():\n\treturn'), ['f', '():\n', '\treturn']);
});

test('qwen2 splits single digits', () => {
  assert.deepEqual(split('qwen2', 'v123'), ['v', '1', '2', '3']);
});

test('gpt2 contractions are lowercase only', () => {
  assert.deepEqual(split('gpt-2', "it's IT'S"), ['it', "'s", ' IT', "'", 'S']);
});

test('gpt2 leaves the last space to the word', () => {
  assert.deepEqual(split('gpt-2', 'a   b'), ['a', '  ', ' b']);
});

test('smollm isolates digits first', () => {
  assert.deepEqual(split('smollm', 'ab 12c'), ['ab', ' ', '1', '2', 'c']);
});

test('non-breaking space counts as whitespace', () => {
  assert.deepEqual(split('llama-bpe', 'a\u00a0\u00a0b'), ['a', '\u00a0', '\u00a0b']);
});

test('byte order mark is not whitespace', () => {
  // JavaScript's \s matches U+FEFF; Unicode White_Space, which llama.cpp uses, does not.
  assert.deepEqual(split('gpt-2', 'a \ufeff'), ['a', ' \ufeff']);
});

test('split loses no characters', () => {
  const text = 'def f(x):\n\treturn x**2  # 你好 🙂\r\n';
  for (const pre of supportedPreTokenizers()) {
    assert.equal(split(pre, text).join(''), text, `pre ${pre}`);
  }
});

test('unknown pre lists supported ones', () => {
  assert.throws(
    () => preTokenizerFor('tekken', 'model.gguf'),
    (error: unknown) => error instanceof InputError && error.message.includes('"tekken"') && error.message.includes('llama-bpe') && error.message.startsWith('model.gguf'),
  );
});
