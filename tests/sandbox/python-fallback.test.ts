// Without bubblewrap, jobs of a root process run as other uids. A default python3 that those uids
// cannot read (pyenv under /root) must be replaced by the system interpreter instead of failing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Sandbox } from '../../src/sandbox/index.js';

function defaultPythonHiddenFromOthers(): boolean {
  const executable = execFileSync('python3', ['-c', 'import os, sys; print(os.path.realpath(sys.executable))'], { encoding: 'utf8' }).trim();
  for (let dir = path.dirname(executable); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return true;
  }
  return false;
}

const applies = process.getuid?.() === 0 && existsSync('/usr/bin/python3') && defaultPythonHiddenFromOthers();

test('sandbox without bubblewrap falls back', { skip: applies ? false : 'needs root and a default python3 hidden from other users' }, async () => {
  const sandbox = await Sandbox.create({ useBubblewrap: false, workers: 1 });
  try {
    const result = await sandbox.run({ id: 'fallback', program: 'def inc(x):\n    return x + 1\n', setupCode: '', tests: ['assert inc(1) == 2'], challengeTests: [] });
    assert.equal(result.outcome, 'passed');
    assert.equal(result.isolated, false);
  } finally {
    await sandbox.close();
  }
});
