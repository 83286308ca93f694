// Broken Hugging Face tokenizer files: each raises ModelFileError naming the file.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadTokenizer } from '../../src/tokenizer/tokenizer.js';
import { ModelFileError } from '../../src/util/errors.js';
import { makeTempDir, writeBpeHfFiles } from './fixtures/fixture-files.js';

const temp = makeTempDir();
after(() => temp.remove());

function writeFile(name: string, text: string): string {
  const path = join(temp.dir, name);
  writeFileSync(path, text);
  return path;
}

async function assertModelFileError(files: Parameters<typeof loadTokenizer>[0], path: string, fragment: string): Promise<void> {
  await assert.rejects(loadTokenizer(files), (error: unknown) => {
    assert.ok(error instanceof ModelFileError, `expected ModelFileError, got ${String(error)}`);
    assert.ok(error.message.includes(path), `message ${JSON.stringify(error.message)} lacks the path`);
    assert.ok(error.message.includes(fragment), `message ${JSON.stringify(error.message)} lacks ${JSON.stringify(fragment)}`);
    return true;
  });
}

test('missing tokenizer.json is rejected', async () => {
  const path = join(temp.dir, 'absent.json');
  await assertModelFileError({ kind: 'hf', tokenizerJson: path }, path, 'ENOENT');
});

test('invalid JSON is rejected', async () => {
  const path = writeFile('broken.json', '{"model": ');
  await assertModelFileError({ kind: 'hf', tokenizerJson: path }, path, 'valid JSON');
});

test('JSON array is rejected', async () => {
  const path = writeFile('array.json', '[1, 2]');
  await assertModelFileError({ kind: 'hf', tokenizerJson: path }, path, 'an array');
});

test('tokenizer.json without model is rejected', async () => {
  const path = writeFile('no-model.json', '{"added_tokens": []}');
  await assertModelFileError({ kind: 'hf', tokenizerJson: path }, path, '"model"');
});

test('chat_template of wrong type is rejected', async () => {
  const files = writeBpeHfFiles(temp.dir, 'gpt-2', { chat_template: 42 });
  await assertModelFileError({ kind: 'hf', ...files }, files.tokenizerConfig, 'chat_template');
});

test('named chat templates pick default', async () => {
  const files = writeBpeHfFiles(temp.dir, 'gpt-2', {
    chat_template: [
      { name: 'tool_use', template: 'tools' },
      { name: 'default', template: '{{ messages[0].content }}!' },
    ],
  });
  const tokenizer = await loadTokenizer({ kind: 'hf', ...files });
  assert.equal(tokenizer.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: false }), 'hi!');
});
