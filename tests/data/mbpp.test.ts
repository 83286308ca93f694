// Loading MBPP (both sets and user files), split selection, and errors on malformed records.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FULL_SET_PATH, loadDataset } from '../../src/data/mbpp.js';
import { parseIdList, selectTasks, splitOf } from '../../src/data/selection.js';
import { InputError } from '../../src/util/errors.js';

test('full set loads 974 tasks', () => {
  const dataset = loadDataset('full');
  assert.equal(dataset.tasks.length, 974);
  assert.equal(dataset.sha256, createHash('sha256').update(readFileSync(FULL_SET_PATH)).digest('hex'));
  assert.deepEqual(dataset.tasks.map((task) => task.taskId), Array.from({ length: 974 }, (_, i) => i + 1));
  assert.ok(dataset.tasks.every((task) => task.source === 'full' && task.tests.length === 3 && task.testImports.length === 0));
  const withSetup = dataset.tasks.filter((task) => task.setupCode !== '').map((task) => task.taskId);
  assert.deepEqual(withSetup, [367, 927]);
  const withChallenge = dataset.tasks.filter((task) => task.challengeTests.length > 0).map((task) => task.taskId);
  assert.deepEqual(withChallenge, [11, 16, 20, 23, 25, 26, 28, 42, 43, 44, 47]);
});

test('sanitized set loads 427 tasks', () => {
  const dataset = loadDataset('sanitized');
  assert.equal(dataset.tasks.length, 427);
  assert.ok(dataset.tasks.every((task) => task.source === 'sanitized'));
  assert.equal(dataset.tasks.filter((task) => task.testImports.length > 0).length, 13);
  assert.ok(dataset.tasks.every((task) => task.text.length > 0));
});

test('split counts match the conventions', () => {
  const full = loadDataset('full').tasks;
  const sanitized = loadDataset('sanitized').tasks;
  const expected: Record<string, [number, number]> = { prompt: [10, 7], test: [500, 257], validation: [90, 43], train: [374, 120] };
  for (const [split, [fullCount, sanitizedCount]] of Object.entries(expected)) {
    assert.equal(selectTasks(full, { split: split as 'test' }).length, fullCount, `full ${split}`);
    assert.equal(selectTasks(sanitized, { split: split as 'test' }).length, sanitizedCount, `sanitized ${split}`);
  }
  assert.equal(splitOf(11), 'test');
  assert.equal(splitOf(600), 'validation');
  assert.equal(splitOf(975), undefined);
});

test('selection by ids, range and limit', () => {
  const full = loadDataset('full').tasks;
  assert.deepEqual([...parseIdList('11,12,15')], [11, 12, 15]);
  assert.deepEqual([...parseIdList('11-14, 20')], [11, 12, 13, 14, 20]);
  assert.deepEqual(selectTasks(full, { ids: '11-20', limit: 3 }).map((task) => task.taskId), [11, 12, 13]);
  assert.deepEqual(selectTasks(full, { split: 'test', limit: 2 }).map((task) => task.taskId), [11, 12]);
  assert.throws(() => parseIdList('11-x'), /invalid task id list '11-x'/);
  assert.throws(() => parseIdList('20-11'), /end is smaller than the start/);
  assert.throws(() => selectTasks(full, { split: 'prompt', ids: '11' }), /not found in the dataset split prompt: 11/);
  assert.throws(() => selectTasks(full, { split: 'dev' as 'test' }), /unknown split 'dev'/);
});

test('user JSONL in either schema loads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nir-data-'));
  try {
    const path = join(dir, 'tasks.jsonl');
    writeFileSync(
      path,
      [
        JSON.stringify({ task_id: 5, text: 'Add.', code: 'def add(a, b): return a + b', test_list: ['assert add(1, 2) == 3'] }),
        '',
        JSON.stringify({ task_id: 6, prompt: 'Neg.', code: 'def neg(a): return -a', test_imports: ['import math'], test_list: ['assert neg(1) == -1'] }),
      ].join('\n'),
    );
    const dataset = loadDataset(path);
    assert.equal(dataset.name, 'file');
    assert.equal(dataset.tasks.length, 2);
    assert.equal(dataset.tasks[0].source, 'full');
    assert.equal(dataset.tasks[0].setupCode, '');
    assert.equal(dataset.tasks[1].source, 'sanitized');
    assert.deepEqual(dataset.tasks[1].testImports, ['import math']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed JSONL names line and field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nir-data-'));
  const good = JSON.stringify({ task_id: 1, text: 't', code: 'c', test_list: ['assert 1'] });
  const cases: [string, RegExp][] = [
    [`${good}\n{not json`, /tasks\.jsonl:2: invalid JSON/],
    [`${good}\n${JSON.stringify({ task_id: '2', text: 't', code: 'c', test_list: [] })}`, /tasks\.jsonl:2: field task_id: expected a positive integer, found the string "2"/],
    [JSON.stringify({ task_id: 3, code: 'c', test_list: ['a'] }), /tasks\.jsonl:1: field text: expected a string, found nothing \(missing\)/],
    [JSON.stringify({ task_id: 3, text: 't', code: 'c', test_list: ['a', 7] }), /tasks\.jsonl:1: field test_list\[1\]: expected a string, found number 7/],
    [JSON.stringify({ task_id: 3, text: 't', code: 'c', test_list: [] }), /field test_list: expected at least one assert/],
    [`${good}\n${good}`, /task_id 1 occurs more than once/],
    ['[1, 2]', /element 0: field \(record\): expected a JSON object/],
    ['', /no tasks found/],
  ];
  try {
    for (const [text, message] of cases) {
      const path = join(dir, 'tasks.jsonl');
      writeFileSync(path, text);
      assert.throws(() => loadDataset(path), (error: unknown) => error instanceof InputError && message.test(error.message), `case ${message}`);
    }
    assert.throws(() => loadDataset(join(dir, 'missing.jsonl')), /cannot be read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
