// Run folder: torn last line, settings mismatch, lock, and resume after SIGKILL of a real `nir score`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../../src/data/mbpp.js';
import { RunFolder, type ManifestRequest } from '../../src/store/run-folder.js';
import { SampleLog } from '../../src/store/sample-log.js';
import { setLogSink } from '../../src/util/log.js';

const NIR = fileURLToPath(new URL('../../../bin/nir.js', import.meta.url));
setLogSink(() => {});

function request(options: Record<string, unknown> = { timeout_ms: 5000, workers: 2 }): ManifestRequest {
  return {
    tool: { name: 'nir', version: 'test' },
    command: ['score'],
    kind: 'score',
    options,
    resume_free_options: ['workers'],
    dataset: { name: 'full', path: '/data/mbpp.jsonl', sha256: 'aa' },
    model: null,
    inputs: {},
  };
}

test('sample log drops a torn last line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nir-store-'));
  try {
    const path = join(dir, 'samples.jsonl');
    writeFileSync(path, '{"task_id":1,"variant":"a","sample":0}\n{"task_id":2,"variant":"a","sam');
    const log = new SampleLog(path);
    assert.equal(log.size, 1);
    assert.ok(log.has({ task_id: 1, variant: 'a', sample: 0 }));
    log.append({ task_id: 2, variant: 'a', sample: 0 });
    log.close();
    assert.equal(readFileSync(path, 'utf8'), '{"task_id":1,"variant":"a","sample":0}\n{"task_id":2,"variant":"a","sample":0}\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sample log rejects corrupt middle line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nir-store-'));
  try {
    const path = join(dir, 'samples.jsonl');
    writeFileSync(path, '{"task_id":1,"variant":"a","sample":0}\ngarbage\n{"task_id":2,"variant":"a","sample":0}\n');
    assert.throws(() => new SampleLog(path), /samples\.jsonl:2: invalid JSON/);
    writeFileSync(path, '{"task_id":1,"variant":"a","sample":0}\n{"task_id":1,"variant":"a","sample":0}\n');
    assert.throws(() => new SampleLog(path), /samples\.jsonl:2: duplicate sample task_id=1/);
    writeFileSync(path, '{"task_id":1}\n');
    assert.throws(() => new SampleLog(path), /needs task_id \(number\), variant \(string\) and sample \(number\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run folder rejects changed settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nir-store-'));
  try {
    RunFolder.open(dir, request()).close('interrupted');
    const resumed = RunFolder.open(dir, request({ timeout_ms: 5000, workers: 8 }));
    assert.equal(resumed.info.starts, 2);
    resumed.close('complete');
    assert.throws(
      () => RunFolder.open(dir, request({ timeout_ms: 100, workers: 2 })),
      /made with other settings[\s\S]*option timeout_ms: folder has 5000, this command has 100/,
    );
    assert.throws(() => RunFolder.open(dir, { ...request(), dataset: { name: 'full', path: '/x', sha256: 'bb' } }), /dataset sha256: folder has "aa", this command has "bb"/);
    assert.equal(existsSync(join(dir, 'run.lock')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run folder lock rejects second opener', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nir-store-'));
  try {
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    try {
      writeFileSync(join(dir, 'run.lock'), `${sleeper.pid}\n`);
      assert.throws(() => RunFolder.open(dir, request()), new RegExp(`in use by process ${sleeper.pid}`));
    } finally {
      sleeper.kill('SIGKILL');
    }
    // A lock left by a process that no longer exists is taken over.
    writeFileSync(join(dir, 'run.lock'), '999999999\n');
    RunFolder.open(dir, request()).close('complete');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('score resumes after SIGKILL without loss', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nir-resume-'));
  try {
    const completions = join(dir, 'completions.jsonl');
    const tasks = loadDataset('full').tasks.slice(0, 300);
    writeFileSync(completions, tasks.map((task) => JSON.stringify({ task_id: task.taskId, completion: task.code })).join('\n'));
    const out = join(dir, 'run');
    const samples = join(out, 'samples.jsonl');
    const args = [NIR, 'score', '--completions', completions, '--out', out, '--no-tests', '--workers', '1'];

    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        const lines = existsSync(samples) ? readFileSync(samples, 'utf8').split('\n').length - 1 : 0;
        if (lines >= 40) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(poll);
        reject(new Error('nir score finished before it could be killed'));
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    // Simulate a write torn by the kill, on top of whatever the kill left.
    const before = readFileSync(samples, 'utf8');
    const finishedBefore = before.slice(0, before.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
    appendFileSync(samples, '{"task_id":999,"variant":"default","sam');

    const rerun = spawnSync(process.execPath, args, { encoding: 'utf8' });
    assert.equal(rerun.status, 0, rerun.stderr);
    const records = readFileSync(samples, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
    const keys = records.map((record) => `${record.task_id}/${record.variant}/${record.sample}`);
    assert.equal(new Set(keys).size, keys.length, 'duplicate records after resume');
    assert.equal(records.length, 300);
    assert.deepEqual(new Set(records.map((record) => record.task_id)), new Set(tasks.map((task) => task.taskId)));
    const after = readFileSync(samples, 'utf8').split('\n');
    assert.deepEqual(after.slice(0, finishedBefore.length), finishedBefore, 'records finished before the kill changed');
    const manifest = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    assert.equal(manifest.status, 'complete');
    assert.equal(manifest.starts, 2);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.variants[0].samples, 300);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
