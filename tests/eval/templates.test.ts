import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTemplate, renderTemplate } from '../../src/eval/templates.js';
import { InputError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'nir-templates-'));

test('loadTemplate rejects template without task', () => {
  const path = join(dir, 'plain.txt');
  writeFileSync(path, 'Think about it.\n');
  assert.throws(() => loadTemplate(path, ['task']), (error: unknown) => error instanceof InputError && /no \{\{task\}\} placeholder/.test(error.message));
});

test('loadTemplate accepts spaced placeholder', () => {
  const path = join(dir, 'spaced.txt');
  writeFileSync(path, 'Task: {{ task }}\n');
  assert.equal(loadTemplate(path, ['task']), 'Task: {{ task }}\n');
});

test('renderTemplate fills and rejects unknown', () => {
  assert.equal(renderTemplate('{{task}} / {{ tests }}', { task: 'a', tests: 'b' }), 'a / b');
  assert.throws(() => renderTemplate('{{code}}', { task: 'a' }), /unknown placeholder \{\{code\}\}/);
});
