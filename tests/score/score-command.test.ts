// `nir score` end to end through the real sandbox on a few MBPP reference solutions and broken replies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../../src/data/mbpp.js';

const NIR = fileURLToPath(new URL('../../../bin/nir.js', import.meta.url));

function runScore(dir: string, name: string, lines: object[], extra: string[]): { records: any[]; summary: any; csv: string; stderr: string } {
  const completions = join(dir, `${name}.jsonl`);
  writeFileSync(completions, lines.map((line) => JSON.stringify(line)).join('\n'));
  const out = join(dir, name);
  const result = spawnSync(process.execPath, [NIR, 'score', '--completions', completions, '--out', out, '--workers', '1', ...extra], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  const records = readFileSync(join(out, 'samples.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  return {
    records,
    summary: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')),
    csv: readFileSync(join(out, 'summary.csv'), 'utf8'),
    stderr: result.stderr,
  };
}

test('score: references, broken replies, variants', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nir-score-'));
  try {
    const tasks = new Map(loadDataset('full').tasks.map((task) => [task.taskId, task]));
    const reference = (id: number, sample = 0) => ({ task_id: id, completion: `\`\`\`python\n${tasks.get(id)!.code}\n\`\`\``, sample });
    const { records, summary, csv, stderr } = runScore(
      dir,
      'full',
      [
        reference(2),
        reference(11),
        reference(341),
        reference(596),
        { task_id: 2, completion: 'I cannot solve this.', sample: 1 },
        { task_id: 2, completion: '```python\ndef similar_elements(a, b)\n    return a\n```', sample: 2 },
        { task_id: 2, completion: '```python\ndef other(a, b):\n    return a\n```', sample: 3 },
        { task_id: 2, completion: '```python\ndef similar_elements(a, b):\n    while True:\n        pass\n```', variant: 'loop' },
      ],
      ['--timeout-ms', '5000'],
    );
    const byKey = new Map(records.map((record) => [`${record.task_id}/${record.variant}/${record.sample}`, record]));
    assert.equal(records.length, 8);
    assert.match(stderr, /8\/8 scored/);

    assert.equal(byKey.get('2/default/0').outcome, 'passed');
    assert.equal(byKey.get('2/default/0').name_match, true);
    assert.equal(byKey.get('11/default/0').outcome, 'passed');
    assert.equal(byKey.get('11/default/0').challenge_total, 2);
    assert.equal(byKey.get('11/default/0').challenge_passed, 2);
    // Reference solutions that fail their own asserts: set ordering (341) and sys.getsizeof (596).
    assert.equal(byKey.get('341/default/0').outcome, 'failed');
    assert.equal(byKey.get('596/default/0').outcome, 'failed');

    const noResponse = byKey.get('2/default/1');
    assert.equal(noResponse.response, false);
    assert.equal(noResponse.outcome, 'no_code');
    const invalid = byKey.get('2/default/2');
    assert.equal(invalid.syntax_valid, false);
    assert.equal(invalid.syntax_error.line, 1);
    assert.equal(invalid.cc_total, null);
    assert.equal(byKey.get('2/default/3').name_match, false);
    assert.equal(byKey.get('2/loop/0').outcome, 'timeout');

    const variants = summary.variants.map((item: any) => item.variant);
    assert.deepEqual(variants, ['default', 'loop']);
    const main = summary.variants[0];
    assert.equal(main.samples, 7);
    assert.equal(main.tasks, 4);
    assert.equal(main.response_rate.mean, 6 / 7);
    assert.equal(main.syntax_rate.mean, 5 / 7);
    assert.equal(main.pass_rate.mean, 2 / 7);
    // Task 2 has four samples and one pass; the other tasks have one sample each, so only pass@1 exists.
    assert.deepEqual(Object.keys(main.pass_at_k), ['pass@1']);
    assert.ok(Math.abs(main.pass_at_k['pass@1'].mean - (0.25 + 1 + 0 + 0) / 4) < 1e-12);
    assert.match(csv, /^variant,figure,n,mean,low,high\ndefault,response_rate,7,/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('score: sanitized test imports applied', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nir-score-'));
  try {
    const task = loadDataset('sanitized').tasks.find((item) => item.taskId === 98)!;
    assert.deepEqual(task.testImports, ['import math']);
    assert.doesNotMatch(task.code, /import math/);
    const { records } = runScore(dir, 'sanitized', [{ task_id: 98, completion: task.code }], ['--dataset', 'sanitized', '--timeout-ms', '20000']);
    assert.equal(records[0].outcome, 'passed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
