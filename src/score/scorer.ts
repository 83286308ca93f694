// Scoring of one completion (extraction, metrics, sandboxed asserts) and a bounded-concurrency runner.

import type { Task } from '../data/mbpp.js';
import type { Sandbox, TestJob } from '../sandbox/index.js';
import { log } from '../util/log.js';
import { extractProgram } from './extract.js';
import type { MetricsPool } from './metrics-client.js';
import type { CodeMetrics } from './metrics-types.js';
import { buildSampleRecord, type SampleRecord } from './sample.js';

export interface ScoreDependencies {
  metrics: MetricsPool;
  /** null skips running the asserts: samples with a program get outcome `not_run`. */
  sandbox: Sandbox | null;
  timeoutMs?: number;
}

/** Builds the sandbox job for a task: test imports go before the setup code. */
export function testJobFor(task: Task, program: string, id: string, timeoutMs?: number): TestJob {
  const setupCode = [...task.testImports, task.setupCode].filter((part) => part.trim() !== '').join('\n');
  return { id, program, setupCode, tests: task.tests, challengeTests: task.challengeTests, timeoutMs };
}

/** Scores one completion of `task`. */
export async function scoreCompletion(
  task: Task,
  completion: string,
  key: { task_id: number; variant: string; sample: number },
  dependencies: ScoreDependencies,
): Promise<SampleRecord> {
  const extraction = await extractProgram(completion, dependencies.metrics);
  let metrics: CodeMetrics;
  try {
    metrics = await dependencies.metrics.analyze(extraction.program, task.tests[0]);
  } catch (error) {
    // One program that breaks the helper twice must not stop the run: its metrics are recorded as missing.
    log.error(`metrics failed for task ${key.task_id} variant ${key.variant} sample ${key.sample}: ${(error as Error).message}`);
    metrics = missingMetrics(extraction.program, (error as Error).message);
  }
  let test = null;
  if (extraction.found && dependencies.sandbox !== null) {
    const id = `${key.task_id}-${key.variant}-${key.sample}`;
    test = await dependencies.sandbox.run(testJobFor(task, extraction.program, id, dependencies.timeoutMs));
  }
  return buildSampleRecord(key, extraction, metrics, test, { tests: task.tests.length, challengeTests: task.challengeTests.length });
}

/** Metrics of a program the helper could not analyze: only the sizes, and the reason. */
function missingMetrics(program: string, reason: string): CodeMetrics {
  const source = program.replace(/\r\n?/g, '\n');
  return {
    characters: [...source].length,
    lines: source.split('\n').filter((line) => line.trim() !== '').length,
    syntax: { valid: false, message: `not checked: ${reason}`, line: null, offset: null },
    called_function: null,
    name_match: null,
    complexity: null,
    halstead: null,
    raw: null,
    mi: null,
    errors: { helper: reason },
  };
}

/**
 * Runs `work` on every item with at most `limit` at once, in order of start.
 * Stops starting new items once `shouldStop` returns true; items already started finish.
 */
export async function runBounded<T>(items: T[], limit: number, work: (item: T) => Promise<void>, shouldStop: () => boolean = () => false): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async () => {
    while (next < items.length && !shouldStop() && errors.length === 0) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (errors.length > 0) throw errors[0];
}
