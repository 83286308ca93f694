// MBPP tasks: loading the full set, the sanitized set or any file in either schema into one Task type.

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError } from '../util/errors.js';

/** One MBPP task, whichever file it came from. */
export interface Task {
  taskId: number;
  /** Task description (`text` in the full set, `prompt` in the sanitized set). */
  text: string;
  /** Reference solution, as stored (line ends unchanged). */
  code: string;
  /** Python run after the program and before the asserts (`test_setup_code`). */
  setupCode: string;
  tests: string[];
  /** Extra asserts that never decide pass@1 (`challenge_test_list`). */
  challengeTests: string[];
  /** Import lines the asserts need (`test_imports`, sanitized set only). */
  testImports: string[];
  source: 'full' | 'sanitized';
}

/** A loaded dataset with the provenance a run folder records. */
export interface Dataset {
  /** `full`, `sanitized`, or `file` for a path given by the user. */
  name: 'full' | 'sanitized' | 'file';
  path: string;
  sha256: string;
  tasks: Task[];
}

/** Largest dataset file read; the full MBPP set is about 0.56 MB. */
export const MAX_DATASET_BYTES = 256 * 1024 * 1024;

const DATA_DIR = fileURLToPath(new URL('../../../data/mbpp/', import.meta.url));
export const FULL_SET_PATH = `${DATA_DIR}mbpp.jsonl`;
export const SANITIZED_SET_PATH = `${DATA_DIR}sanitized-mbpp.json`;

/** Loads `full`, `sanitized`, or a path to a JSON Lines file or JSON array in either MBPP schema. */
export function loadDataset(spec: string): Dataset {
  if (spec === 'full') return { name: 'full', ...readTaskFile(FULL_SET_PATH) };
  if (spec === 'sanitized') return { name: 'sanitized', ...readTaskFile(SANITIZED_SET_PATH) };
  return { name: 'file', ...readTaskFile(spec) };
}

/** Reads one dataset file, checking its size first, and returns its tasks and sha256. */
export function readTaskFile(path: string): { path: string; sha256: string; tasks: Task[] } {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new InputError(`dataset file ${path} cannot be read: ${(error as Error).message}`, {
      source: path,
      hint: 'pass --dataset full, sanitized, or the path of an MBPP JSONL file',
    });
  }
  if (size > MAX_DATASET_BYTES) {
    throw new InputError(`dataset file ${path} is ${size} bytes, more than the limit of ${MAX_DATASET_BYTES}`, {
      source: path,
      expected: `at most ${MAX_DATASET_BYTES} bytes`,
      found: `${size} bytes`,
    });
  }
  const bytes = readFileSync(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const text = bytes.toString('utf8');
  const tasks = text.trimStart().startsWith('[') ? parseJsonArray(path, text) : parseJsonLines(path, text);
  checkUniqueIds(path, tasks);
  return { path, sha256, tasks };
}

function parseJsonArray(path: string, text: string): Task[] {
  let records: unknown;
  try {
    records = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path}: invalid JSON: ${(error as Error).message}`, { source: path });
  }
  if (!Array.isArray(records)) {
    throw new InputError(`${path}: expected a JSON array of tasks`, { source: path, expected: 'array', found: typeof records });
  }
  return records.map((record, index) => parseTask(record, `${path}: element ${index}`));
}

function parseJsonLines(path: string, text: string): Task[] {
  const tasks: Task[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].trim();
    if (line === '') continue;
    const where = `${path}:${index + 1}`;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new InputError(`${where}: invalid JSON: ${(error as Error).message}`, { source: where });
    }
    tasks.push(parseTask(record, where));
  }
  if (tasks.length === 0) throw new InputError(`${path}: no tasks found`, { source: path, expected: 'at least one task' });
  return tasks;
}

/** Checks one record of either schema; `where` names the file and line or element for errors. */
export function parseTask(record: unknown, where: string): Task {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw fieldError(where, '(record)', 'a JSON object', describe(record));
  }
  const fields = record as Record<string, unknown>;
  const taskId = fields.task_id;
  if (typeof taskId !== 'number' || !Number.isSafeInteger(taskId) || taskId < 1) {
    throw fieldError(where, 'task_id', 'a positive integer', describe(taskId));
  }
  const hasPrompt = fields.text === undefined && fields.prompt !== undefined;
  const text = requireString(fields, hasPrompt ? 'prompt' : 'text', where);
  const code = requireString(fields, 'code', where);
  const tests = requireStringList(fields, 'test_list', where);
  if (tests.length === 0) throw fieldError(where, 'test_list', 'at least one assert', 'an empty list');
  const setupCode = fields.test_setup_code === undefined ? '' : requireString(fields, 'test_setup_code', where);
  const challengeTests = fields.challenge_test_list === undefined ? [] : requireStringList(fields, 'challenge_test_list', where);
  const testImports = fields.test_imports === undefined ? [] : requireStringList(fields, 'test_imports', where);
  const source = hasPrompt || fields.test_imports !== undefined ? 'sanitized' : 'full';
  return { taskId, text, code, setupCode, tests, challengeTests, testImports, source };
}

function requireString(fields: Record<string, unknown>, name: string, where: string): string {
  const value = fields[name];
  if (typeof value !== 'string') throw fieldError(where, name, 'a string', describe(value));
  return value;
}

function requireStringList(fields: Record<string, unknown>, name: string, where: string): string[] {
  const value = fields[name];
  if (!Array.isArray(value)) throw fieldError(where, name, 'a list of strings', describe(value));
  value.forEach((item, index) => {
    if (typeof item !== 'string') throw fieldError(where, `${name}[${index}]`, 'a string', describe(item));
  });
  return value as string[];
}

function checkUniqueIds(path: string, tasks: Task[]): void {
  const seen = new Set<number>();
  for (const task of tasks) {
    if (seen.has(task.taskId)) {
      throw new InputError(`${path}: task_id ${task.taskId} occurs more than once`, { source: path, found: String(task.taskId) });
    }
    seen.add(task.taskId);
  }
}

function fieldError(where: string, field: string, expected: string, found: string): InputError {
  return new InputError(`${where}: field ${field}: expected ${expected}, found ${found}`, { source: where, expected, found });
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
