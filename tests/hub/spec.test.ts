import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatHubSpec, parseHubSpec } from '../../src/hub/spec.js';
import { InputError } from '../../src/util/errors.js';

test('parseHubSpec repo only', () => {
  assert.deepEqual(parseHubSpec('hf:org/name'), { repo: 'org/name', revision: 'main' });
});

test('parseHubSpec revision and file', () => {
  assert.deepEqual(parseHubSpec('hf:TheOrg/Model-1.5B_x@v1.0:quant/model-Q4_K_M.gguf'), {
    repo: 'TheOrg/Model-1.5B_x',
    revision: 'v1.0',
    file: 'quant/model-Q4_K_M.gguf',
  });
  assert.deepEqual(parseHubSpec('hf:org/name:model.gguf'), { repo: 'org/name', revision: 'main', file: 'model.gguf' });
});

test('parseHubSpec rejects invalid parts', () => {
  const invalid = [
    'hf:name-only',
    'hf:a/b/c',
    'hf:org/',
    'hf:org/../x',
    'hf:org/na me',
    'hf:org/name@',
    'hf:org/name@../main',
    'hf:org/name:',
    'hf:org/name:../secret',
    'hf:org/name:/etc/passwd',
    'hf:org/name:a//b.gguf',
    'hf:org/name:a\\b.gguf',
    'org/name',
  ];
  for (const spec of invalid) {
    assert.throws(() => parseHubSpec(spec), InputError, spec);
  }
});

test('formatHubSpec round trip', () => {
  for (const spec of ['hf:org/name', 'hf:org/name@dev', 'hf:org/name:x.gguf', 'hf:org/name@v2:dir/x.gguf']) {
    assert.equal(formatHubSpec(parseHubSpec(spec)), spec);
  }
});
