// --threads is bounded by the kernel backend's limit in every command, checked before a model is
// loaded: the model path x.gguf does not exist, so any other error would name the missing file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run as capture } from '../../src/cli/commands/capture.js';
import { run as generate } from '../../src/cli/commands/generate.js';
import { parseThreads } from '../../src/cli/option-values.js';
import { MAX_THREADS } from '../../src/kernels/wasm/protocol.js';
import { InputError } from '../../src/util/errors.js';

test('parseThreads accepts the range', () => {
  assert.equal(parseThreads('1'), 1);
  assert.equal(parseThreads(String(MAX_THREADS)), MAX_THREADS);
});

test('parseThreads rejects values outside it', () => {
  for (const text of ['0', String(MAX_THREADS + 1), '2.5', 'two', '']) {
    assert.throws(() => parseThreads(text), (error: Error) => error instanceof InputError && error.message.startsWith(`invalid --threads '${text}'`), text);
  }
});

test('commands check --threads before loading', async () => {
  const tooMany = String(MAX_THREADS + 1);
  await assert.rejects(generate(['--model', 'x.gguf', '--tokens', '1', '--threads', tooMany]), /invalid --threads/);
  await assert.rejects(capture(['--model', 'x.gguf', '--tokens', '1', '--layer', '0', '--out', 'x.safetensors', '--threads', tooMany]), /invalid --threads/);
});
