import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyConfig } from '../../src/engine/random-model.js';
import { readSafetensors, writeSafetensors } from '../../src/model/safetensors.js';
import { capture } from '../../src/nir/capture.js';
import { loadCrv, saveCrv, type CrvProvenance } from '../../src/nir/crv-file.js';
import { makeTestModel } from '../engine/helpers.js';

const PROVENANCE: CrvProvenance = {
  modelName: 'tiny random',
  modelPath: '/models/tiny.gguf',
  modelSha256: 'ab'.repeat(32),
  layer: 2,
  sourceText: 'def f(x):\n  return x',
  sourceTokens: [3, 9, 27, 4],
  span: { start: 1, end: 4 },
};

function withFolder(body: (folder: string) => void): void {
  const folder = mkdtempSync(join(tmpdir(), 'nir-crv-'));
  try {
    body(folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

test('CRV file round trip keeps rows and provenance', () => {
  withFolder((folder) => {
    const model = makeTestModel({ seed: 61 });
    const crv = capture(model.decoder, PROVENANCE.sourceTokens, 2, PROVENANCE.span);
    const path = join(folder, 'crv.safetensors');
    saveCrv(path, crv, PROVENANCE);
    const loaded = loadCrv(path, model.model.config);
    assert.deepEqual(loaded.crv, crv);
    assert.deepEqual(loaded.provenance, PROVENANCE);

    // The file is plain safetensors: one F32 tensor `crv` [rows, hidden].
    const file = readSafetensors(path);
    assert.deepEqual(file.tensors.get('crv')?.shape, [3, 32]);
    assert.equal(file.tensors.get('crv')?.dtype, 'F32');
    assert.equal(file.metadata.model_sha256, PROVENANCE.modelSha256);
  });
});

test('CRV width mismatch names both widths', () => {
  withFolder((folder) => {
    const path = join(folder, 'narrow.safetensors');
    saveCrv(path, { rows: new Float32Array(2 * 16), rowCount: 2, width: 16 }, PROVENANCE);
    assert.throws(
      () => loadCrv(path, tinyConfig()),
      (error: Error) => error.name === 'InputError' && /width 16/.test(error.message) && /hidden size 32/.test(error.message) && error.message.includes(path),
    );
  });
});

test('CRV file without crv tensor is rejected', () => {
  withFolder((folder) => {
    const path = join(folder, 'other.safetensors');
    writeSafetensors(path, [{ name: 'weight', dtype: 'F32', shape: [2, 32], data: new Float32Array(64) }], { format: 'nir-crv/1' });
    assert.throws(() => loadCrv(path, tinyConfig()), /no tensor 'crv' found/);
  });
});

test('CRV with too many rows is rejected before reading', () => {
  withFolder((folder) => {
    const path = join(folder, 'long.safetensors');
    saveCrv(path, { rows: new Float32Array(300 * 32), rowCount: 300, width: 32 }, PROVENANCE);
    assert.throws(() => loadCrv(path, tinyConfig()), /300 rows, more than the model's context length 256/);
  });
});

test('CRV with broken metadata is rejected', () => {
  withFolder((folder) => {
    const path = join(folder, 'meta.safetensors');
    writeSafetensors(path, [{ name: 'crv', dtype: 'F32', shape: [1, 32], data: new Float32Array(32) }], {
      format: 'nir-crv/1',
      layer: 'two',
    });
    assert.throws(() => loadCrv(path, tinyConfig()), /invalid CRV layer 'two'/);
  });
});

test('truncated CRV file is rejected', () => {
  withFolder((folder) => {
    const path = join(folder, 'cut.safetensors');
    saveCrv(path, { rows: new Float32Array(4 * 32), rowCount: 4, width: 32 }, PROVENANCE);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 10));
    assert.throws(() => loadCrv(path, tinyConfig()), (error: Error) => error.message.includes(path));
  });
});
