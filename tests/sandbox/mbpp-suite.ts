// MBPP reference solutions: the sandbox must agree with a plain, unsandboxed run of each task.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import type { Sandbox } from '../../src/sandbox/index.js';
import type { TestJob, TestResult } from '../../src/sandbox/types.js';
import { createSandbox, pythonFor, type SandboxMode } from './helpers.js';

const MBPP_FILE = fileURLToPath(new URL('../../../data/mbpp/mbpp.jsonl', import.meta.url));
/** Set to 1 to run all 974 tasks instead of every 20th plus ALWAYS_RUN (about 8 minutes on two busy cores). */
const ALL_TASKS = process.env.NIR_SANDBOX_MBPP_ALL === '1';
/** Reference solutions that fail their own asserts in a plain run. */
const KNOWN_FAILING = [341, 596, 642];
/** Tasks worth always running: the known failures, a slow one (123), setup code (367, 927), a builtin shadowed (126). */
const ALWAYS_RUN = [...KNOWN_FAILING, 123, 126, 367, 927];
const SLOW_TASK_TIMEOUT_MS = 60_000;
const TASK_TIMEOUT_MS = 15_000;

interface MbppTask {
  task_id: number;
  code: string;
  test_setup_code: string;
  test_list: string[];
  challenge_test_list: string[];
}

function loadTasks(): MbppTask[] {
  const lines = readFileSync(MBPP_FILE, 'utf8').split('\n').filter((line) => line.trim() !== '');
  const tasks = lines.map((line) => JSON.parse(line) as MbppTask);
  return ALL_TASKS ? tasks : tasks.filter((task) => task.task_id % 20 === 0 || ALWAYS_RUN.includes(task.task_id));
}

function toJob(task: MbppTask): TestJob {
  return {
    id: `mbpp-${task.task_id}`,
    program: task.code,
    setupCode: task.test_setup_code,
    tests: task.test_list,
    challengeTests: task.challenge_test_list,
    timeoutMs: task.task_id === 123 ? SLOW_TASK_TIMEOUT_MS : TASK_TIMEOUT_MS,
  };
}

/** Run program, setup code and asserts as one plain script; exit code 0 is a pass. */
function runPlain(python: string, task: MbppTask, dir: string): Promise<boolean> {
  const file = path.join(dir, `task_${task.task_id}.py`);
  writeFileSync(file, [task.code, task.test_setup_code, ...task.test_list].join('\n'));
  return new Promise((resolve) => {
    const child = spawn(python, [file], { cwd: dir, stdio: 'ignore', timeout: SLOW_TASK_TIMEOUT_MS });
    child.on('exit', (code) => resolve(code === 0));
    child.on('error', () => resolve(false));
  });
}

async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  });
  await Promise.all(runners);
  return results;
}

export function defineMbppSuite(mode: SandboxMode, skipReason: string | false): void {
  const reason = skipReason || (!existsSync(MBPP_FILE) && `MBPP data not found at ${MBPP_FILE}`);
  describe(`sandbox on MBPP reference solutions (${mode})`, { skip: reason }, () => {
    let sandbox: Sandbox;
    let tasks: MbppTask[];
    let plain: boolean[];
    let sandboxed: TestResult[];
    let scratch: string;

    before(async () => {
      tasks = loadTasks();
      scratch = mkdtempSync(path.join(os.tmpdir(), 'nir-mbpp-plain-'));
      const python = pythonFor(mode) ?? 'python3';
      plain = await mapLimited(tasks, 2, (task) => runPlain(python, task, scratch));
      sandbox = await createSandbox(mode, { workers: 2, memoryBytes: 2 * 1024 * 1024 * 1024, maxOutputBytes: 64 * 1024 });
      sandboxed = await mapLimited(tasks, 2, (task) => sandbox.run(toJob(task)));
    });

    after(async () => {
      await sandbox?.close();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    it('plain run fails the known failures', () => {
      for (const id of KNOWN_FAILING) {
        const index = tasks.findIndex((task) => task.task_id === id);
        assert.ok(index >= 0, `task ${id} missing from the sample`);
        assert.equal(plain[index], false, `task ${id} passed its own asserts in a plain run`);
      }
    });

    it('sandbox agrees with plain run', () => {
      const mismatches = tasks
        .map((task, index) => ({ task, plain: plain[index], result: sandboxed[index] }))
        .filter((row) => row.plain !== row.result.passed)
        .map((row) => `task ${row.task.task_id}: plain ${row.plain ? 'pass' : 'fail'}, sandbox ${row.result.outcome} ${JSON.stringify(row.result.error ?? row.result.asserts)}`);
      assert.deepEqual(mismatches, [], `${mismatches.length} of ${tasks.length} tasks disagree`);
    });

    it('plain passes are most tasks', () => {
      // Guards against a broken plain runner that fails everything, which would make agreement meaningless.
      const passes = plain.filter(Boolean).length;
      assert.ok(passes >= tasks.length - KNOWN_FAILING.length - 5, `only ${passes} of ${tasks.length} pass plainly`);
    });
  });
}
