// The recorded CRV source: rows recorded during the thinking stage equal a later capture of the
// reasoning tokens after the same prompt, at every capture layer.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../../src/data/mbpp.js';
import { buildCrvs } from '../../src/eval/crv-stage.js';
import { openModelContext, type ModelContext } from '../../src/eval/model-context.js';
import type { EvalOptions } from '../../src/eval/options.js';
import { BUNDLED_PROMPTS_DIR, loadTemplate } from '../../src/eval/templates.js';
import { think } from '../../src/eval/thinking.js';
import { capture } from '../../src/nir/capture.js';
import { generateTestModel } from '../../tools/testmodel/generate.js';

const work = mkdtempSync(join(tmpdir(), 'nir-recorded-'));
const contexts: ModelContext[] = [];
after(async () => {
  for (const context of contexts) await context.close();
});

function options(runDir: string): EvalOptions {
  return {
    model: '', dataset: 'full', tasks: '11', contextVariant: false, placement: 'prepend', alpha: 1, positions: 'consistent',
    crvSource: { kind: 'recorded' }, thinkingTemplate: join(BUNDLED_PROMPTS_DIR, 'thinking.txt'), codeTemplate: join(BUNDLED_PROMPTS_DIR, 'code.txt'),
    chat: true, temperature: 0, seed: 1, samples: 1, thinkingMaxTokens: 12, codeMaxTokens: 8, retryOnNameMismatch: false,
    threads: 1, workers: 1, timeoutMs: 5000, out: runDir,
  };
}

test('recorded rows equal capture after prompt', async () => {
  const files = generateTestModel({ preset: 'tiny', layers: 3, seed: 5, out: join(work, 'model'), formats: ['gguf-f32'] });
  const context = await openModelContext(files.gguf['gguf-f32']!, 1);
  contexts.push(context);
  const task = loadDataset('full').tasks.find((t) => t.taskId === 11)!;
  const runDir = join(work, 'run');
  const layers = [0, 2, 3];
  const thinking = think(context, task, options(runDir), runDir, loadTemplate(join(BUNDLED_PROMPTS_DIR, 'thinking.txt')), layers);
  const { prompt_ids: promptIds, tokens } = thinking.record;
  assert.ok(tokens.length > 1, 'the thinking stage generated fewer than two tokens');

  const d = context.model.config.hiddenSize;
  const all = [...promptIds, ...tokens];
  for (const layer of layers) {
    const recorded = thinking.recorded.get(layer)!;
    assert.equal(recorded.length, tokens.length * d, `layer ${layer}: recorded ${recorded.length / d} rows for ${tokens.length} tokens`);
    const expected = capture(context.decoder, all, layer, { start: promptIds.length, end: all.length }).rows;
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(expected[i] - recorded[i]));
    assert.ok(maxDiff < 1e-4, `layer ${layer}: recorded rows differ from a capture by ${maxDiff}`);
  }

  // From the cache (no recorded rows), the CRV stage captures the same rows again.
  const cached = think(context, task, options(runDir), runDir, '', layers);
  assert.equal(cached.cached, true);
  const crvs = buildCrvs(context, cached, { kind: 'recorded' }, [2], join(work, 'run-cached'));
  const fresh = thinking.recorded.get(2)!;
  const rebuilt = crvs.byLayer.get(2)!.rows;
  assert.equal(rebuilt.length, fresh.length);
  let maxDiff = 0;
  for (let i = 0; i < fresh.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fresh[i] - rebuilt[i]));
  assert.ok(maxDiff < 1e-4, `CRV from the cached thinking differs by ${maxDiff}`);
});
