import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRopeTable } from '../../src/engine/rope.js';
import { tinyConfig } from '../../src/engine/random-model.js';

// Llama 3.1 8B's rotary settings.
const llama31 = tinyConfig({
  headDim: 128,
  ropeTheta: 500000,
  ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 },
});
const base = (i: number) => Math.pow(500000, (-2 * i) / 128);

test('plain table is theta^(-2i/hd)', () => {
  const table = buildRopeTable(tinyConfig({ headDim: 8, ropeTheta: 10000 }));
  assert.deepEqual(Array.from(table.invFreq), [1, 0.1, 0.01, 0.001].map(Math.fround));
  assert.equal(table.style, 'neox');
});

test('llama3 keeps high and divides low frequencies', () => {
  const table = buildRopeTable(llama31);
  assert.equal(table.invFreq.length, 64);
  // i = 0: wavelength 2π, shorter than 8192 / 4, so unchanged.
  assert.equal(table.invFreq[0], 1);
  // i = 40: wavelength about 22900, longer than 8192 / 1, so divided by 8.
  assert.equal(table.invFreq[40], Math.fround(base(40) / 8));
});

test('llama3 interpolates the middle band', () => {
  const table = buildRopeTable(llama31);
  // i = 30: wavelength about 2948, between 2048 and 8192.
  const wavelength = (2 * Math.PI) / base(30);
  assert.ok(wavelength > 2048, `wavelength ${wavelength}`);
  assert.ok(wavelength < 8192, `wavelength ${wavelength}`);
  const smooth = (8192 / wavelength - 1) / 3;
  const expected = (1 - smooth) * (base(30) / 8) + smooth * base(30);
  assert.ok(Math.abs(table.invFreq[30] - expected) / expected < 1e-6);
});

test('rope_freqs factors replace llama3 scaling', () => {
  const factors = new Float32Array(64).fill(2);
  const table = buildRopeTable(llama31, factors);
  assert.equal(table.invFreq[0], 0.5);
  assert.equal(table.invFreq[40], Math.fround(base(40) / 2));
});

test('linear scaling divides every frequency', () => {
  const table = buildRopeTable(tinyConfig({ ropeScaling: { type: 'linear', factor: 4 } }));
  assert.equal(table.invFreq[0], 0.25);
  assert.equal(table.invFreq[1], Math.fround(0.1 / 4));
});

test('wrong rope_freqs length names both counts', () => {
  assert.throws(() => buildRopeTable(llama31, new Float32Array(32)), /64 values.*32 values/);
});
