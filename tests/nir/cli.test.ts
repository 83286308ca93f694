// `nir capture` and `nir generate` end to end: invariant 2 through CRV files, and input errors.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTestModel } from '../../tools/testmodel/generate.js';
import { maxAbsDiff } from '../engine/helpers.js';

const NIR = fileURLToPath(new URL('../../../bin/nir.js', import.meta.url));
const CONTEXT = [1, 40, 95, 7, 300];
const PROMPT = [12, 250, 33];

let folder: string;
let model: string;
let wideModel: string;

before(() => {
  folder = mkdtempSync(join(tmpdir(), 'nir-cli-'));
  model = generateTestModel({ preset: 'tiny', seed: 9, out: join(folder, 'tiny'), formats: ['gguf-f32'] }).gguf['gguf-f32']!;
  wideModel = generateTestModel({ preset: 'tiny', seed: 9, hidden: 64, out: join(folder, 'narrow'), formats: ['gguf-f32'] }).gguf['gguf-f32']!;
});
after(() => rmSync(folder, { recursive: true, force: true }));

function nir(...args: string[]) {
  const result = spawnSync(process.execPath, [NIR, ...args, '--threads', '1'], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface GenerateJson {
  tokens: number[];
  text: string;
  logits: number[][];
}

test('CLI capture then inject equals c + p', () => {
  const crv = join(folder, 'context.safetensors');
  const captured = nir('capture', '--model', model, '--tokens', CONTEXT.join(','), '--layer', '0', '--out', crv);
  assert.equal(captured.code, 0, captured.stderr);
  assert.match(captured.stdout, /5 rows of width 128/);

  const common = ['--max-tokens', '4', '--json', '--logits'];
  const plain = nir('generate', '--model', model, '--tokens', [...CONTEXT, ...PROMPT].join(','), ...common);
  const injected = nir('generate', '--model', model, '--tokens', PROMPT.join(','), '--inject', `crv=${crv},layer=0`, ...common);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(injected.code, 0, injected.stderr);
  const a = JSON.parse(plain.stdout) as GenerateJson;
  const b = JSON.parse(injected.stdout) as GenerateJson;
  assert.deepEqual(b.tokens, a.tokens);
  assert.equal(b.logits.length, a.logits.length);
  b.logits.forEach((row, step) => {
    const diff = maxAbsDiff(row, a.logits[step]);
    assert.ok(diff <= 1e-4, `step ${step}: max abs diff ${diff}`);
  });
});

test('CLI rejects CRV of another width', () => {
  const crv = join(folder, 'wide.safetensors');
  assert.equal(nir('capture', '--model', wideModel, '--tokens', '1,2,3', '--layer', '1', '--out', crv).code, 0);
  const result = nir('generate', '--model', model, '--tokens', '1,2', '--inject', `crv=${crv},layer=1`);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /CRV width 64 does not match the model's hidden size 128/);
});

test('CLI rejects bad options', () => {
  const outOfVocab = nir('generate', '--model', model, '--tokens', '1,384');
  assert.equal(outOfVocab.code, 2);
  assert.match(outOfVocab.stderr, /token id '384' is not in 0\.\.383/);

  const badLayer = nir('generate', '--model', model, '--tokens', '1', '--inject', `crv=${join(folder, 'context.safetensors')},layer=9`);
  assert.equal(badLayer.code, 2);
  assert.match(badLayer.stderr, /invalid injection layer 9/);

  const badSpec = nir('generate', '--model', model, '--tokens', '1', '--inject', 'layer=1');
  assert.equal(badSpec.code, 2);
  assert.match(badSpec.stderr, /crv=FILE and layer=K are required/);

  const unknown = nir('generate', '--model', model, '--tokens', '1', '--bogus');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown option '--bogus'/);

  const missing = nir('generate', '--model', model, '--tokens', '1', '--inject', `crv=${join(folder, 'absent.safetensors')},layer=1`);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /CRV file .*absent\.safetensors not found/);

  const both = nir('capture', '--model', model, '--tokens', '1', '--text', 'a', '--layer', '0', '--out', join(folder, 'x.safetensors'));
  assert.equal(both.code, 2);
  assert.match(both.stderr, /exactly one of --text and --tokens/);
});

test('CLI streamed text equals JSON text', () => {
  const args = ['generate', '--model', model, '--prompt', 'The quick brown fox', '--max-tokens', '6'];
  const streamed = nir(...args);
  const json = nir(...args, '--json');
  assert.equal(streamed.code, 0, streamed.stderr);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as GenerateJson;
  assert.equal(parsed.tokens.length, 6);
  assert.equal(streamed.stdout, `${parsed.text}\n`);
});
